"""Small settings shared by the agents tests (fast on two CPU cores)."""

from agents import ModelConfig, TrainConfig

EXPLICIT = {"rule_cue": "explicit"}


def tiny_config(**changes):
    settings = dict(
        task_params=EXPLICIT,
        steps=20,
        batch_size=16,
        eval_every=10,
        eval_trials=64,
        checkpoint_every=5,
        log_every=5,
        device="cpu",
    )
    settings.update(changes)
    return TrainConfig(**settings)


TINY_MODEL = ModelConfig(units=8, relu_units=2)
