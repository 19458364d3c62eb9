"""A tiny 2x2x2 sweep (P x seed x training-set size) shared by the sweep tests."""

TINY_SWEEP = {
    "name": "tiny",
    "units": 6,
    "relu_units": [0, 2],
    "seeds": [0, 1],
    "train_trials": [0, 32],
    "eval_trials": 64,
    "tasks": [
        {
            "id": "StimulusSelection-v0",
            "label": "explicit",
            "params": {"rule_cue": "explicit"},
        }
    ],
    "training": {
        "steps": 6,
        "batch_size": 8,
        "eval_every": 3,
        "eval_trials": 32,
        "checkpoint_every": 3,
        "log_every": 3,
        "device": "cpu",
    },
}


def tiny_sweep(**changes):
    from agents.sweep_config import sweep_from_dict

    return sweep_from_dict({**TINY_SWEEP, **changes})
