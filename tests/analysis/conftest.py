import pytest
import torch


@pytest.fixture(autouse=True)
def _two_threads():
    # the suite runs on two shared cores; more threads only add contention
    previous = torch.get_num_threads()
    torch.set_num_threads(min(previous, 2))
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def stimulus_selection_run(tmp_path_factory):
    """A small explicit-rule AL-RNN trained to criterion on StimulusSelection-v0."""
    from agents import ModelConfig, TrainConfig, train

    torch.set_num_threads(2)
    run_dir = tmp_path_factory.mktemp("runs") / "stimulus_selection"
    config = TrainConfig(
        task_id="StimulusSelection-v0",
        task_params={"rule_cue": "explicit", "response_mapping": "two_alternative"},
        steps=150,
        batch_size=64,
        lr=1e-2,
        eval_every=30,
        eval_trials=128,
        stop_at=0.95,
        checkpoint_every=1000,
        device="cpu",
        seed=0,
    )
    train(run_dir, config, ModelConfig(units=16, relu_units=4, seed=0), progress=False)
    return run_dir
