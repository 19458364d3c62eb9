"""Multi-task suite: rules checked from the inputs, balance, periods, mask, score."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alrnn_tasks import TaskParameterError, get_task
from alrnn_tasks.multitask import SUITE_TASKS, TASK_CLASSES

N_TRIALS = 3000
TASK_IDS = {name: cls.task_id for name, cls in TASK_CLASSES.items()}
# Expected loss-mask values (DESIGN.md): 0 at start and after go, 1 before, 5 after.
GRACE_STEPS = 5  # 100 ms at dt = 20 ms


def segments(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean stimulus vector of the first and second stimulus episode of each trial.

    Returns ``(trial, episode, 4)`` vectors (mod1 sin, cos, mod2 sin, cos) and
    ``(trial, episode)`` first step of each episode, read from noiseless inputs.
    """
    stimulus = inputs[..., 1:5]
    on = np.abs(stimulus).sum(-1) > 1e-6  # (trial, time)
    previous = np.concatenate([np.zeros_like(on[:, :1]), on[:, :-1]], axis=1)
    episode = np.cumsum(on & ~previous, axis=1) * on  # 1, 2, ... while on
    vectors = np.zeros((len(inputs), 2, 4))
    starts = np.full((len(inputs), 2), -1)
    for k in (1, 2):
        in_episode = episode == k
        count = in_episode.sum(1)
        total = (stimulus * in_episode[..., None]).sum(1)
        vectors[:, k - 1] = total / np.maximum(count, 1)[:, None]
        starts[:, k - 1] = np.where(count > 0, np.argmax(in_episode, axis=1), -1)
    return vectors, starts


def angle_of(vector: np.ndarray) -> np.ndarray:
    return np.mod(np.arctan2(vector[..., 0], vector[..., 1]), 2 * np.pi)


def angle_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * (a - b))))


def expected_responses(name: str, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule of each task, applied to what the inputs show: (go, angle)."""
    vectors, _ = segments(inputs)
    mod1, mod2 = vectors[..., :2], vectors[..., 2:]
    stimulus = mod1 + mod2  # one modality is zero in single-modality tasks
    first, second = angle_of(stimulus[:, 0]), angle_of(stimulus[:, 1])
    n = len(inputs)
    if name in {"DelayPro", "MemoryPro", "ReactPro"}:
        return np.ones(n, bool), first
    if name in {"DelayAnti", "MemoryAnti", "ReactAnti"}:
        return np.ones(n, bool), np.mod(first + np.pi, 2 * np.pi)
    if name == "GoNogo":
        return np.linalg.norm(stimulus[:, 0], axis=-1) > 0.5, first
    if name.startswith(("Integration", "ContextInt")):
        strength1 = np.linalg.norm(mod1, axis=-1)  # (trial, stimulus)
        strength2 = np.linalg.norm(mod2, axis=-1)
        decisive = {
            "IntegrationModality1": strength1,
            "ContextIntModality1": strength1,
            "IntegrationModality2": strength2,
            "ContextIntModality2": strength2,
            "IntegrationMultimodal": strength1 + strength2,
        }[name]
        angle1 = np.where(
            strength1[:, 0] > 0, angle_of(mod1[:, 0]), angle_of(mod2[:, 0])
        )
        angle2 = np.where(
            strength1[:, 1] > 0, angle_of(mod1[:, 1]), angle_of(mod2[:, 1])
        )
        return np.ones(n, bool), np.where(
            decisive[:, 0] > decisive[:, 1], angle1, angle2
        )
    # match tasks: sample is the first episode, test the second
    if "Category" in name:
        match = np.floor(first / np.pi) == np.floor(second / np.pi)
    else:
        match = angle_distance(first, second) < 1e-4
    go_on_match = name in {"ReactMatch2Sample", "ReactCategoryPro"}
    return match == go_on_match, second


@pytest.fixture(scope="module", params=SUITE_TASKS)
def noiseless(request):
    task = get_task(TASK_IDS[request.param], sigma_x=0.0)
    return request.param, task, task.batch(N_TRIALS, seed=7)


def go_steps(batch) -> np.ndarray:
    fixation = batch.inputs.numpy()[..., 0]
    return np.argmax(fixation < 0.5, axis=1)


def test_targets_follow_the_task_rule_read_from_the_inputs(noiseless):
    name, task, batch = noiseless
    inputs, targets = batch.inputs.numpy(), batch.targets.numpy()
    go, angle = expected_responses(name, inputs)
    last = batch.lengths.numpy() - 1
    final = targets[np.arange(len(last)), last]  # (trial, output)

    assert np.array_equal(final[:, 0] == 0, go)
    responded = angle_of(final[go][:, 1:])
    assert angle_distance(responded, angle[go]).max() < 1e-4
    assert np.allclose(final[~go], [task.params.fixation_target, 0, 0])
    assert np.array_equal(batch.conditions["go"], go)


def test_fixation_and_response_targets_switch_exactly_at_the_go_cue(noiseless):
    _, task, batch = noiseless
    targets, period = batch.targets.numpy(), batch.period.numpy()
    go_step = go_steps(batch)
    time = np.arange(batch.n_steps)[None, :]
    before = (time < go_step[:, None]) & (period >= 0)
    assert np.allclose(targets[..., 0][before], task.params.fixation_target)
    assert np.allclose(targets[..., 1:][before], 0)
    assert np.array_equal(go_step * task.dt, batch.conditions["go_onset"])
    assert (
        period[np.arange(batch.n_trials), go_step] == len(task.period_names) - 1
    ).all()


def test_condition_balance(noiseless):
    name, _, batch = noiseless
    c = batch.conditions
    tolerance = 0.05  # > 4 binomial s.d. at 3000 trials
    if "modality" in c:
        assert abs(np.mean(c["modality"] == 1) - 0.5) < tolerance
    if (
        name in {"ReactMatch2Sample", "ReactNonMatch2Sample", "GoNogo"}
        or "Category" in name
    ):
        assert abs(np.mean(c["go"]) - 0.5) < tolerance
    else:
        assert c["go"].all()
    if "first_stronger" in c:
        assert abs(np.mean(c["first_stronger"]) - 0.5) < tolerance
    angle = c["response_angle"][c["go"]]
    assert abs(np.mean(np.cos(angle))) < tolerance
    assert abs(np.mean(np.sin(angle))) < tolerance


def test_periods_come_in_order_with_durations_in_their_ranges(noiseless):
    _, task, batch = noiseless
    period = batch.period.numpy()
    lengths = batch.lengths.numpy()
    for index, (name, timing) in enumerate(task.timing.items()):
        low, high = timing if isinstance(timing, tuple) else (timing, timing)
        durations = (period == index).sum(1)
        assert durations.min() >= round(low / task.dt), name
        assert durations.max() <= round(high / task.dt), name
    steps = np.diff(period, axis=1)
    valid = np.arange(batch.n_steps - 1)[None, :] < (lengths - 1)[:, None]
    assert (steps[valid] >= 0).all()
    assert (
        period[np.arange(len(lengths)), lengths - 1] == len(task.period_names) - 1
    ).all()
    assert lengths.max() <= task.max_steps


def test_mask_is_zero_at_start_and_after_go_one_before_five_after(noiseless):
    _, task, batch = noiseless
    mask, period = batch.mask.numpy(), batch.period.numpy()
    go_step = go_steps(batch)[:, None]
    time = np.arange(batch.n_steps)[None, :]
    expected = np.where(time < go_step, 1.0, 5.0)
    expected[
        (time < GRACE_STEPS) | ((time >= go_step) & (time < go_step + GRACE_STEPS))
    ] = 0
    expected[period < 0] = 0
    assert np.array_equal(mask, expected)
    assert np.array_equal(task.output_weights, [2.0, 1.0, 1.0])


def test_score_is_perfect_on_targets_and_near_chance_on_shuffled_targets(noiseless):
    name, task, batch = noiseless
    targets = batch.targets.numpy()
    assert task.score(targets, batch)["accuracy"] == 1.0
    assert task.score(targets, batch)[f"accuracy/{name}"] == 1.0

    last = batch.lengths.numpy() - 1
    final = targets[np.arange(batch.n_trials), last]
    shuffled = np.random.default_rng(0).permutation(final)
    outputs = np.broadcast_to(shuffled[:, None, :], targets.shape)
    accuracy = task.score(outputs, batch)["accuracy"]
    # chance: 0.1 for a response within 0.1π; ~0.3 with 50% no-go trials
    assert accuracy < (0.2 if batch.conditions["go"].all() else 0.4)


def test_input_noise_has_the_reference_scale():
    task = get_task("MemoryPro-v0")
    noisy = task.batch(500, seed=1).inputs.numpy()
    clean = get_task("MemoryPro-v0", sigma_x=0.0).batch(500, seed=1).inputs.numpy()
    in_trial = np.abs(clean).sum(-1) > 0  # the rule channel is on in every step
    noise = (noisy - clean)[in_trial]
    assert noise.std() == pytest.approx(0.1 * np.sqrt(2 / 0.2), rel=0.02)


def test_timing_per_batch_gives_every_trial_the_same_durations():
    task = get_task("MemoryPro-v0", timing_per_batch=True)
    batch = task.batch(64, seed=3)
    lengths = batch.lengths.numpy()
    assert (lengths == lengths[0]).all()
    assert np.array_equal(
        batch.period.numpy()[0], task.batch(1, seed=3).period[0].numpy()
    )


# -- MultiTask ------------------------------------------------------------
def test_multitask_draws_tasks_uniformly_and_each_trial_follows_its_task():
    task = get_task("MultiTask-v0", sigma_x=0.0)
    batch = task.batch(4000, seed=11)
    names = batch.conditions["task"]
    counts = np.array([(names == name).sum() for name in SUITE_TASKS])
    assert abs(counts / 4000 - 1 / 16).max() < 0.02
    rule = batch.inputs.numpy()[:, 0, 5:].argmax(-1)
    assert np.array_equal(np.asarray(SUITE_TASKS)[rule], names)
    for name in ("MemoryAnti", "ReactCategoryPro", "IntegrationMultimodal"):
        group = batch.select(names == name)
        go, angle = expected_responses(name, group.inputs.numpy())
        assert np.array_equal(group.conditions["go"], go)
        assert (
            angle_distance(group.conditions["response_angle"][go], angle[go]).max()
            < 1e-4
        )
    targets = batch.targets.numpy()
    assert task.score(targets, batch)["accuracy/task_mean"] == 1.0


def test_multitask_weights_subsets_and_one_task_per_batch():
    task = get_task("MultiTask-v0", tasks=("DelayPro", "GoNogo"), weights=(3.0, 1.0))
    names = task.batch(4000, seed=2).conditions["task"]
    assert set(names) == {"DelayPro", "GoNogo"}
    assert np.mean(names == "DelayPro") == pytest.approx(0.75, abs=0.03)
    assert task.period_names == ("fixation", "stimulus", "response")

    single = get_task("MultiTask-v0", one_task_per_batch=True)
    drawn = {tuple(set(single.batch(20, seed=s).conditions["task"])) for s in range(30)}
    assert all(len(names) == 1 for names in drawn)
    assert len(drawn) > 5


def test_multitask_first_trials_do_not_depend_on_batch_size():
    task = get_task("MultiTask-v0", weights=tuple(range(1, 17)))
    small, large = task.batch(10, seed=4), task.batch(300, seed=4)
    for k in range(10):
        n = int(small.lengths[k])
        assert int(large.lengths[k]) == n
        assert np.array_equal(small.inputs[k, :n].numpy(), large.inputs[k, :n].numpy())
        assert np.array_equal(
            small.targets[k].numpy()[:n], large.targets[k, :n].numpy()
        )
    for key, values in small.conditions.items():
        left, right = values, large.conditions[key][:10]
        assert np.array_equal(left, right, equal_nan=left.dtype.kind == "f"), key


def test_multitask_task_matches_the_single_task_layout():
    multi = get_task("MultiTask-v0")
    single = get_task("DelayPro-v0")
    assert multi.input_names == single.input_names
    assert multi.output_names == single.output_names
    assert set(single.period_names) <= set(multi.period_names)
    assert multi.max_steps == max(get_task(i).max_steps for i in TASK_IDS.values())


# -- parameters ------------------------------------------------------------
@pytest.mark.parametrize(
    ("task_id", "params", "message"),
    [
        ("MultiTask-v0", {"tasks": ("DelayPro", "DelayPra")}, "did you mean"),
        ("MultiTask-v0", {"tasks": ()}, "non-empty"),
        ("MultiTask-v0", {"weights": (1.0, 2.0)}, "weights must be 16"),
        ("MultiTask-v0", {"tasks": ("GoNogo", "GoNogo")}, "must not repeat"),
        ("SuiteGoNogo-v0", {"nogo_amplitude": (0.1, 0.7)}, "below go_amplitude"),
        ("SuiteGoNogo-v0", {"go_probability": 1.5}, "probability"),
        ("DelayPro-v0", {"fixation_target": 0.4}, "fixation_target"),
        ("DelayPro-v0", {"sigma_x": -1.0}, "sigma_x"),
        ("DelayPro-v0", {"tolerance": 2.0}, "units of π"),
        ("MemoryPro-v0", {"stimulus": (500.0, 100.0)}, "low <= high"),
        ("IntegrationMultimodal-v0", {"coherence": (0.5,)}, "coherence"),
        ("ReactMatch2Sample-v0", {"nonmatch_offset": (20.0, 400.0)}, "nonmatch_offset"),
    ],
)
def test_bad_parameters_raise_one_line_errors(task_id, params, message):
    with pytest.raises(TaskParameterError, match=message) as error:
        get_task(task_id, **params)
    assert "\n" not in str(error.value)


timing = st.tuples(st.floats(20.0, 400.0), st.floats(0.0, 600.0)).map(
    lambda pair: (pair[0], pair[0] + pair[1])
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SUITE_TASKS),
    dt=st.sampled_from([10.0, 20.0, 25.0]),
    sigma_x=st.floats(0.0, 0.3),
    fixation=timing,
    response=timing,
    timing_per_batch=st.booleans(),
    grace=st.floats(0.0, 200.0),
    n_trials=st.integers(1, 40),
    seed=st.integers(0, 2**32),
)
def test_any_valid_parameters_give_consistent_batches(
    name, dt, sigma_x, fixation, response, timing_per_batch, grace, n_trials, seed
):
    task = get_task(
        TASK_IDS[name],
        dt=dt,
        sigma_x=sigma_x,
        fixation=fixation,
        response=response,
        timing_per_batch=timing_per_batch,
        grace=grace,
    )
    batch = task.batch(n_trials, seed=seed)
    n, t = batch.n_trials, batch.n_steps
    assert batch.inputs.shape == (n, t, 21)
    assert batch.targets.shape == (n, t, 3)
    assert batch.mask.shape == batch.period.shape == (n, t)
    padding = batch.period.numpy() < 0
    assert (batch.mask.numpy()[padding] == 0).all()
    assert (batch.inputs.numpy()[padding] == 0).all()
    assert (batch.targets.numpy()[padding] == 0).all()
    assert (batch.lengths.numpy() <= task.max_steps).all()
    assert batch.inputs.abs().max() <= task.input_limit
    assert set(np.unique(batch.mask.numpy())) <= {0.0, 1.0, 5.0}
    assert task.score(batch.targets, batch)["accuracy"] == 1.0
