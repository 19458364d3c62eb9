import pytest
import torch


@pytest.fixture(autouse=True)
def _two_threads():
    # the suite runs on two shared cores; more threads only add contention
    previous = torch.get_num_threads()
    torch.set_num_threads(min(previous, 2))
    yield
    torch.set_num_threads(previous)
