import pytest

from agents import evaluate, list_pretrained, load, pretrained
from agents.cli import main
from agents.errors import ConfigError
from agents.model_zoo import model_card, pretrained_dir

SHIPPED = list_pretrained()
TEST_SEED = 77_001  # neither the sweep's held-out seed nor the card's


def test_stimulus_selection_and_multitask_models_are_shipped():
    tasks = {
        (model_card(n)["task_id"], model_card(n)["task_params"].get("rule_cue"))
        for n in SHIPPED
    }
    assert ("StimulusSelection-v0", "explicit") in tasks
    assert ("StimulusSelection-v0", "implicit") in tasks
    assert ("MultiTask-v0", None) in tasks


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_scores_as_its_card_says(name):
    card = model_card(name)
    model, task = pretrained(name)
    assert (pretrained_dir() / f"{name}.safetensors").stat().st_size < 64_000
    assert model.config.relu_units == card["model"]["relu_units"]
    # fresh trials of another seed; the card states the tolerance (3 binomial
    # standard errors of the difference, at least 0.03; doubled for sessions)
    scores = evaluate(model, task, card["test"]["trials"], seed=TEST_SEED)
    expected = card["score"]["scores"]["accuracy"]
    assert scores["accuracy"] >= expected - card["test"]["tolerance"], (
        scores["accuracy"],
        expected,
    )


def test_unknown_name_suggests_a_shipped_one():
    if not SHIPPED:
        pytest.skip("no models shipped")
    with pytest.raises(ConfigError, match="did you mean"):
        pretrained(SHIPPED[0][:-1] + "x")


def test_cli_lists_describes_and_exports(tmp_path, capsys):
    assert main(["pretrained"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SHIPPED)
    name = SHIPPED[0]
    assert main(["pretrained", name]) == 0
    assert "reproduce" in capsys.readouterr().out
    assert main(["pretrained", name, "--export", str(tmp_path / "run")]) == 0
    exported, _ = load(tmp_path / "run")
    original, _ = pretrained(name)
    assert all(
        (a == b).all()
        for a, b in zip(
            exported.state_dict().values(), original.state_dict().values(), strict=True
        )
    )
    assert main(["pretrained", "no-such-model"]) == 2
