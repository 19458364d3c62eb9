"""The masked loss: per-output weights of continuous targets."""

import torch

import agents.training
from agents import ModelConfig, TrainConfig, train
from agents.evaluation import masked_loss


def test_output_weights_scale_each_outputs_squared_error():
    outputs = torch.zeros(1, 2, 3, 3)
    targets = torch.zeros(2, 3, 3)
    targets[..., 0] = 1.0  # error only on the first (fixation) output
    mask = torch.ones(2, 3)
    plain = masked_loss(outputs, targets, mask)
    weighted = masked_loss(outputs, targets, mask, torch.tensor([2.0, 1.0, 1.0]))
    torch.testing.assert_close(weighted, 2 * plain)
    targets[..., 0], targets[..., 1] = 0.0, 1.0  # error on an unweighted output
    torch.testing.assert_close(
        masked_loss(outputs, targets, mask, torch.tensor([2.0, 1.0, 1.0])),
        masked_loss(outputs, targets, mask),
    )


def test_the_trainer_passes_the_tasks_output_weights(tmp_path, monkeypatch):
    seen = []

    def spy(outputs, targets, mask, output_weights=None):
        seen.append(output_weights)
        return masked_loss(outputs, targets, mask, output_weights)

    monkeypatch.setattr(agents.training, "masked_loss", spy)
    config = TrainConfig(
        task_id="DelayPro-v0", steps=2, batch_size=4, eval_every=100, device="cpu"
    )
    train(tmp_path / "run", config, ModelConfig(units=8, relu_units=2))
    assert seen and all(w.tolist() == [2.0, 1.0, 1.0] for w in seen)
