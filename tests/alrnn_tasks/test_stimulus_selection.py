"""StimulusSelection-v0: trial distribution, rule tables, sessions and scoring."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alrnn_tasks import get_task

HOLD, LEFT, RIGHT = 0, 1, 2
N_TRIALS = 10_000

# Expected response for (mapping, rule, noise side or pitch), written from the
# experiment's description, independently of the generator's code.
RULE_TABLE = {
    ("go_nogo", "localization", "left"): LEFT,
    ("go_nogo", "localization", "right"): HOLD,
    ("go_nogo", "pitch", "low"): RIGHT,
    ("go_nogo", "pitch", "high"): HOLD,
    ("two_alternative", "localization", "left"): LEFT,
    ("two_alternative", "localization", "right"): RIGHT,
    ("two_alternative", "pitch", "high"): LEFT,
    ("two_alternative", "pitch", "low"): RIGHT,
}
MODES = [
    (mapping, cue)
    for mapping in ("go_nogo", "two_alternative")
    for cue in ("implicit", "explicit")
]


def expected_action(mapping: str, rule: str, noise_side: str, pitch: str) -> int:
    relevant = noise_side if rule == "localization" else pitch
    return RULE_TABLE[(mapping, rule, relevant)]


@pytest.fixture(scope="module", params=MODES, ids=lambda m: f"{m[0]}-{m[1]}")
def big_batch(request):
    mapping, cue = request.param
    task = get_task("StimulusSelection-v0", response_mapping=mapping, rule_cue=cue)
    return task, task.batch(N_TRIALS, seed=123)


def test_target_in_the_response_window_follows_the_rule_table_in_every_trial(big_batch):
    task, batch = big_batch
    c = batch.conditions
    mapping = task.params.response_mapping
    expected = np.array(
        [
            expected_action(mapping, r, n, p)
            for r, n, p in zip(c["rule"], c["noise_side"], c["pitch"], strict=True)
        ]
    )
    response = batch.period.numpy() == task.period_names.index("response")
    targets = batch.targets.numpy()
    assert response.any(axis=1).all()
    for trial in range(batch.n_trials):
        assert (targets[trial, response[trial]] == expected[trial]).all()
    # before the window the target is always "hold"
    assert (targets[~response & (batch.period.numpy() >= 0)] == HOLD).all()
    np.testing.assert_array_equal(c["correct_action"], expected)
    np.testing.assert_array_equal(c["go"], expected != HOLD)


def test_congruence_means_the_same_response_under_both_rules(big_batch):
    task, batch = big_batch
    c = batch.conditions
    mapping = task.params.response_mapping
    mixture = ~c["cue_trial"]
    both = [
        (RULE_TABLE[(mapping, "localization", n)], RULE_TABLE[(mapping, "pitch", p)])
        for n, p in zip(c["noise_side"][mixture], c["pitch"][mixture], strict=True)
    ]
    np.testing.assert_array_equal(c["congruent"][mixture], [a == b for a, b in both])
    assert not c["congruent"][~mixture].any()
    congruent_stims = set(c["stim_name"][mixture & c["congruent"]])
    prefixes = {s[:5] for s in congruent_stims}
    assert prefixes == ({"ri_hi"} if mapping == "go_nogo" else {"le_hi", "ri_lo"})


def test_conditions_are_balanced_as_specified(big_batch):
    _, batch = big_batch
    c = batch.conditions
    # block proportions follow the 20/60/20/60 cycle
    block_share = np.bincount(c["block"], minlength=5)[1:] / N_TRIALS
    np.testing.assert_allclose(
        block_share, [20 / 160, 60 / 160, 20 / 160, 60 / 160], atol=0.02
    )
    mixture = ~c["cue_trial"]
    for stim in ("le_hi", "ri_hi", "le_lo", "ri_lo"):
        share = np.mean([s.startswith(stim) for s in c["stim_name"][mixture]])
        assert abs(share - 0.25) < 0.025, stim
    lb_cue = c["block"] == 1
    pb_cue = c["block"] == 3
    assert abs(np.mean(c["noise_side"][lb_cue] == "left") - 0.5) < 0.05
    assert abs(np.mean(c["pitch"][pb_cue] == "high") - 0.5) < 0.05


def test_cue_trials_carry_only_the_relevant_sound(big_batch):
    task, batch = big_batch
    c = batch.conditions
    channel = {name: i for i, name in enumerate(task.input_names)}
    stimulus = batch.period.numpy() == task.period_names.index("stimulus")
    # noise-free signal: mean of each sound channel over the stimulus period
    inputs = batch.inputs.numpy()
    counts = stimulus.sum(axis=1)
    mean = {
        name: (inputs[..., channel[name]] * stimulus).sum(axis=1) / counts
        for name in ("noise_left", "noise_right", "warble_high", "warble_low")
    }
    on = {name: value > 0.5 for name, value in mean.items()}
    noise_on = on["noise_left"] | on["noise_right"]
    warble_on = on["warble_high"] | on["warble_low"]
    lb_cue, pb_cue = c["block"] == 1, c["block"] == 3
    assert (noise_on[lb_cue] & ~warble_on[lb_cue]).all()
    assert (warble_on[pb_cue] & ~noise_on[pb_cue]).all()
    mixture = ~c["cue_trial"]
    assert (noise_on[mixture] & warble_on[mixture]).all()
    np.testing.assert_array_equal(on["noise_left"], c["noise_side"] == "left")
    np.testing.assert_array_equal(on["warble_low"], c["pitch"] == "low")
    for trial in range(batch.n_trials):
        name = c["stim_name"][trial]
        if c["cue_trial"][trial]:
            assert name in (
                {"le_lc", "ri_lc"} if c["block"][trial] == 1 else {"hi_pc", "lo_pc"}
            )
        else:
            assert name.endswith("_lc" if c["rule"][trial] == "localization" else "_pc")


def test_padding_has_mask_zero_and_zero_input(big_batch):
    _, batch = big_batch
    padding = batch.period.numpy() == -1
    assert padding.any()
    assert (batch.mask.numpy()[padding] == 0).all()
    assert (batch.inputs.numpy()[padding] == 0).all()
    assert (batch.mask.numpy()[~padding] == 1).all()


def test_period_timing_matches_the_parameters(big_batch):
    task, batch = big_batch
    period = batch.period.numpy()
    durations = {
        name: (period == i).sum(axis=1) * task.dt
        for i, name in enumerate(task.period_names)
    }
    assert durations["hold"].min() >= 240 and durations["hold"].max() <= 360
    assert len(np.unique(durations["hold"])) > 3
    assert (durations["stimulus"] == 260).all() or (durations["stimulus"] == 240).all()
    assert (durations["response"] == 500).all()
    np.testing.assert_array_equal(batch.conditions["stim_onset"], durations["hold"])
    # periods come in order: hold, stimulus, response, then padding
    diffs = np.diff(np.where(period == -1, 99, period), axis=1)
    assert (diffs >= 0).all()


def test_implicit_sessions_follow_the_160_trial_cycle():
    task = get_task("StimulusSelection-v0")
    batch = task.batch(400, seed=0)
    expected = np.concatenate(
        [np.full(20, 1), np.full(60, 2), np.full(20, 3), np.full(60, 4)]
    )
    np.testing.assert_array_equal(batch.conditions["block"], np.tile(expected, 3)[:400])
    np.testing.assert_array_equal(
        batch.conditions["trial_in_cycle"], np.arange(400) % 160
    )
    since = batch.conditions["trials_since_switch"]
    np.testing.assert_array_equal(since[:160], np.tile(np.arange(80), 2))


def test_first_rule_and_block_lengths_change_the_cycle():
    task = get_task(
        "StimulusSelection-v0", first_rule="pitch", block_lengths=(0, 5, 2, 3)
    )
    c = task.batch(20, seed=0).conditions
    np.testing.assert_array_equal(c["block"][:10], [3, 3, 4, 4, 4, 2, 2, 2, 2, 2])
    assert (c["rule"][:5] == "pitch").all() and (
        c["rule"][5:10] == "localization"
    ).all()


def test_sessions_carry_the_cycle_on_across_batch_boundaries():
    task = get_task("StimulusSelection-v0")
    first = task.sessions(3, 50, seed=1, start=[0, 10, 150])
    second = task.sessions(3, 50, seed=2, start=[50, 60, 200])
    for session, offset in enumerate([0, 10, 150]):
        in_first = first.conditions["session"] == session
        in_second = second.conditions["session"] == session
        position = np.concatenate(
            [
                first.conditions["trial_in_cycle"][in_first],
                second.conditions["trial_in_cycle"][in_second],
            ]
        )
        np.testing.assert_array_equal(position, (offset + np.arange(100)) % 160)


def test_to_sessions_concatenates_trials_without_padding():
    task = get_task("StimulusSelection-v0")
    batch = task.sessions(2, 6, seed=3)
    sessions = batch.to_sessions()
    assert sessions.n_sessions == 2 and sessions.trials_per_session == 6
    lengths = batch.lengths.numpy().reshape(2, 6)
    for s in range(2):
        for k in range(6):
            start = sessions.trial_start[s, k]
            trial = s * 6 + k
            steps = slice(start, start + lengths[s, k])
            torch.testing.assert_close(
                sessions.inputs[s, steps], batch.inputs[trial, : lengths[s, k]]
            )
            assert (sessions.trial[s, steps] == k).all()
        assert (sessions.trial[s, lengths[s].sum() :] == -1).all()


def test_explicit_rule_channels_name_the_rule_throughout_the_trial():
    task = get_task("StimulusSelection-v0", rule_cue="explicit", sigma=0.0)
    batch = task.batch(200, seed=0)
    inputs = batch.inputs.numpy()
    in_trial = batch.period.numpy() >= 0
    lb = batch.conditions["rule"] == "localization"
    rule_lb = inputs[..., task.input_names.index("rule_lb")]
    assert (rule_lb[lb][in_trial[lb]] == 1).all()
    assert (rule_lb[~lb][in_trial[~lb]] == 0).all()


def test_feedback_period_shows_the_reward_of_a_correct_response():
    task = get_task("StimulusSelection-v0", feedback=True, sigma=0.0)
    batch = task.batch(300, seed=0)
    feedback = batch.period.numpy() == task.period_names.index("feedback")
    reward = batch.inputs.numpy()[..., -1]
    go = batch.conditions["go"]
    assert (reward[go][feedback[go]] == 1).all()
    assert (reward[~go][feedback[~go]] == 0).all()
    assert (batch.mask.numpy()[feedback] == 0).all()


def test_env_reward_channel_follows_the_agents_actual_outcome():
    import gymnasium as gym

    env = gym.make("StimulusSelection-v0", feedback=True, sigma=0.0).unwrapped
    env.reset(seed=0)
    seen = {"hit": [], "error": [], "wrong_port": []}
    for _ in range(3000):
        trial = env.trial
        wrong = {0: 1, 1: 2, 2: 1}[trial["correct_action"]]
        in_response = env._period[env.t_ind] == env.task.period_names.index("response")
        action = wrong if in_response and env.t_ind % 2 else 0
        if in_response and not env.t_ind % 2 and trial["go"]:
            action = trial["correct_action"]
        observation, reward, _, _, info = env.step(action)
        if "outcome" in info:
            outcome, rewarded = info["outcome"], reward > 0
        if env.t_ind > 0 and env._period[env.t_ind] == env.task.period_names.index(
            "feedback"
        ):
            seen[outcome].append((observation[-1], rewarded))
    for outcome, values in seen.items():
        assert values, outcome
        for channel, rewarded in values:
            assert channel == float(rewarded)
    assert any(rewarded for _, rewarded in seen["hit"])
    assert not any(rewarded for _, rewarded in seen["error"] + seen["wrong_port"])


def _one_hot(actions: np.ndarray) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.as_tensor(actions), 3).float()


@pytest.mark.parametrize("mapping", ["go_nogo", "two_alternative"])
def test_score_is_perfect_on_targets_and_not_on_wrong_answers(mapping):
    task = get_task(
        "StimulusSelection-v0", response_mapping=mapping, rule_cue="explicit"
    )
    batch = task.batch(2000, seed=0)
    scores = task.score(_one_hot(batch.targets), batch)
    assert scores["accuracy"] == 1.0
    assert scores["interference_rate"] == 0.0
    groups = {k: v for k, v in scores.items() if k.startswith(("accuracy", "hit_rate"))}
    assert all(
        v == 1.0 or (np.isnan(v) and k == "hit_rate/nogo") for k, v in groups.items()
    )
    assert np.isnan(groups["hit_rate/nogo"]) == (mapping == "two_alternative")

    # answering by the other rule: right on congruent and cue trials only
    other = batch.conditions["other_rule_action"]
    as_other_rule = np.where(other >= 0, other, batch.conditions["correct_action"])
    response = batch.period.numpy() == task.period_names.index("response")
    actions = np.where(response, as_other_rule[:, None], HOLD)
    scores = task.score(_one_hot(actions), batch)
    assert scores["accuracy/incongruent"] == 0.0
    assert scores["interference_rate"] == 1.0
    assert scores["accuracy/congruent"] == 1.0
    assert scores["accuracy/cue"] == 1.0


def test_score_counts_a_poke_before_the_window_as_a_fixation_break():
    task = get_task("StimulusSelection-v0", rule_cue="explicit")
    batch = task.batch(100, seed=0)
    actions = batch.targets.clone()
    actions[:50, 0] = LEFT
    scores = task.score(_one_hot(actions), batch)
    assert scores["fixation_break_rate"] == 0.5
    assert scores["accuracy"] == 0.5


def test_score_reports_outcomes_with_the_data_set_names():
    task = get_task("StimulusSelection-v0", rule_cue="explicit")
    batch = task.batch(500, seed=0)
    rng = np.random.default_rng(0)
    outputs = torch.as_tensor(rng.normal(size=(*batch.targets.shape, 3)))
    result = task.outcomes(outputs, batch)
    assert set(result["outcome"]) <= {"hit", "error", "wrong_port"}
    wrong_port = result["outcome"] == "wrong_port"
    assert (batch.conditions["go"][wrong_port]).all()
    assert (
        result["choice"][wrong_port] != batch.conditions["correct_action"][wrong_port]
    ).all()
    # random choices hit a third of the time, but random outputs never hold
    # through hold and stimulus, so no trial counts as correct
    assert 0.25 < np.mean(result["outcome"] == "hit") < 0.42
    assert task.score(outputs, batch)["accuracy"] == 0.0
