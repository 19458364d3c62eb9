import pytest
import torch


@pytest.fixture(autouse=True)
def _two_threads():
    # small models run fastest on one thread, and the suite shares two cores
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
