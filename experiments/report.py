"""Turn the collected experiment sweeps into figures and ``docs/experiments.md``.

Each experiment reads ``outputs/experiments/<sweep>/results.nc`` (written by
``alrnn sweep collect``), draws one figure into ``docs/figures/`` and one
measured table into the page, under the sweep's settings and the notes of
``experiments/notes/<experiment>.md``. Every number on the page comes from
the datasets. Run after the sweeps (``experiments/run_all.sh`` does both)::

    python experiments/report.py [--sweeps outputs/experiments]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import xarray as xr

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
NOTES = ROOT / "experiments" / "notes"
STIMULUS_METRICS = [
    "accuracy",
    "accuracy/congruent",
    "accuracy/incongruent",
    "accuracy/cue",
    "accuracy/mixture",
]


def open_sweep(sweeps: Path, name: str) -> xr.Dataset | None:
    """Return a collected sweep, or ``None`` when it has not been run."""
    path = sweeps / name / "results.nc"
    if not path.is_file():
        return None
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def alrnn_by_p(ds: xr.Dataset) -> xr.Dataset:
    """Keep the AL-RNN cells, indexed by P instead of the model label."""
    return ds.sel(model=ds.family == "alrnn").swap_dims(model="relu_units")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return a Markdown table; floats shown with 3 decimals, NaN as '-'.

    Counts (subregions, fixed points, steps) go in as :func:`count` strings.
    """

    def shown(value: object) -> str:
        if isinstance(value, float | np.floating):
            if np.isnan(value):
                return "-"
            return f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(shown(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def count(value: float) -> str:
    """Show a count (or a mean of counts over seeds) without spurious decimals."""
    if np.isnan(value):
        return "-"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def setup(ds: xr.Dataset, name: str) -> str:
    """One paragraph with the sweep's size, from the sweep's own settings."""
    config = json.loads(ds.attrs["sweep_config"])
    training = config["training"]
    seeds = len(config["seeds"])
    done = int((ds.status == "done").sum())
    return (
        f"Sweep `experiments/{name}.toml`: M = {config['units']}, "
        f"P ∈ {config['relu_units']}, {seeds} seed(s), families {config['families']}, "
        f"{training['steps']} steps of {training['batch_size']}, scored on "
        f"{config['eval_trials']} fresh held-out trials; {done} cells finished. "
        f"Reproduce: `alrnn sweep run experiments/{name}.toml --out "
        f"outputs/experiments/{name} && alrnn sweep collect outputs/experiments/{name} "
        "&& python experiments/report.py`."
    )


def notes(experiment: str) -> str:
    """Return the hand-written notes of an experiment (no numbers in them)."""
    path = NOTES / f"{experiment}.md"
    return path.read_text().strip() if path.is_file() else ""


# -- experiment 1 ----------------------------------------------------------
def stimulus_selection(sweeps: Path) -> str:
    """Score vs P on StimulusSelection-v0, explicit and implicit rule."""
    parts = []
    for name in ("stimulus_selection_explicit", "stimulus_selection_implicit"):
        ds = open_sweep(sweeps, name)
        if ds is not None:
            parts.append((name, alrnn_by_p(ds)))
    if not parts:
        return ""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    rows = []
    for _, ds in parts:
        for task in ds.task.values:
            scores = ds.score.sel(task=task, train_trials=0)
            for ax, metric in zip(axes, STIMULUS_METRICS[:3], strict=True):
                _p_curve(ax, scores.sel(metric=metric), str(task))
                ax.set_title(metric)
            for p in ds.relu_units.values:
                cell = ds.sel(task=task, relu_units=p, train_trials=0)
                mean = cell.score.sel(metric=STIMULUS_METRICS).mean("seed").values
                rows.append(
                    [task, int(p), *mean, *_per_cell_means(cell), _seed_range(cell)]
                )
    axes[0].set_ylabel("held-out accuracy")
    axes[-1].legend(fontsize=7)
    _save(fig, "experiment_1_stimulus_selection.png")
    header = ["task", "P", *STIMULUS_METRICS, "regions used", "real FPs"]
    header += ["steps to criterion", "curriculum stage", "accuracy range over seeds"]
    text = "\n\n".join(setup(ds.swap_dims(relu_units="model"), n) for n, ds in parts)
    return _section(
        "1. Score vs P on StimulusSelection-v0",
        text,
        table(header, rows),
        "experiment_1_stimulus_selection.png",
        "stimulus_selection",
    )


def _per_cell_means(cell: xr.Dataset) -> list[float]:
    names = ("regions_used", "real_fixed_points", "steps_to_criterion")
    names += ("curriculum_stage",)
    return [count(float(cell[name].mean("seed", skipna=True))) for name in names]


def _seed_range(cell: xr.Dataset) -> str:
    values = cell.score.sel(metric="accuracy").values.ravel()
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return "-"
    return f"{values.min():.3f}–{values.max():.3f}"


def _p_curve(ax: plt.Axes, scores: xr.DataArray, label: str) -> None:
    """Plot mean over seeds (line) and each seed (dots) against P."""
    p = scores.relu_units.values
    position = np.arange(len(p))
    ax.plot(position, scores.mean("seed"), marker="o", label=label)
    for seed in scores.seed.values:
        ax.scatter(position, scores.sel(seed=seed), s=8, color="grey", alpha=0.5)
    ax.set_xticks(position, [str(v) for v in p])
    ax.set_xlabel("nonlinear units P")
    ax.set_ylim(0, 1.02)


# -- experiment 2 ----------------------------------------------------------
def multitask(sweeps: Path) -> str:
    """Per-task score vs P on the multi-task suite; subregions shared across tasks."""
    ds = open_sweep(sweeps, "multitask")
    if ds is None:
        return ""
    by_p = alrnn_by_p(ds).sel(task="multitask", train_trials=0).mean("seed")
    tasks = [m for m in by_p.metric.values if m.startswith("accuracy/")]
    tasks = [m for m in tasks if m not in ("accuracy/go", "accuracy/nogo")]
    p_values = [int(p) for p in by_p.relu_units.values]
    rows = [
        [m.removeprefix("accuracy/"), *by_p.score.sel(metric=m).values] for m in tasks
    ]
    rows.append(["all trials", *by_p.score.sel(metric="accuracy").values])
    for label, name in (
        ("regions used", "regions_used"),
        ("regions shared by >1 task", "regions_shared"),
        ("real fixed points (fixation input)", "real_fixed_points"),
    ):
        rows.append([label, *map(count, by_p[name].values)])

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    grid = np.array([by_p.score.sel(metric=m).values for m in tasks])
    image = left.imshow(grid, vmin=0, vmax=1, aspect="auto", cmap="viridis")
    left.set_yticks(range(len(tasks)), [m.removeprefix("accuracy/") for m in tasks])
    left.set_xticks(range(len(p_values)), [str(p) for p in p_values])
    left.set_xlabel("nonlinear units P")
    left.tick_params(axis="y", labelsize=6)
    fig.colorbar(image, ax=left, label="accuracy")
    position = np.arange(len(p_values))
    right.plot(position, by_p.regions_used, marker="o", label="used")
    right.plot(position, by_p.regions_shared, marker="s", label="shared by >1 task")
    right.set_xticks(position, [str(p) for p in p_values])
    right.set_yscale("symlog")
    right.set_xlabel("nonlinear units P")
    right.set_ylabel("subregions visited")
    right.legend(fontsize=7)
    _save(fig, "experiment_2_multitask.png")
    header = ["task", *[f"P={p}" for p in p_values]]
    return _section(
        "2. Score vs P on the multi-task suite",
        setup(ds, "multitask"),
        table(header, rows),
        "experiment_2_multitask.png",
        "multitask",
    )


# -- experiment 3 ----------------------------------------------------------
def low_data(sweeps: Path) -> str:
    """Score vs training-set size for P = 0, small, M and GRU/LSTM."""
    ds = open_sweep(sweeps, "low_data")
    if ds is None:
        return ""
    accuracy = ds.score.sel(metric=["accuracy", "accuracy/incongruent"]).isel(task=0)
    accuracy = accuracy.mean("seed")
    sizes = [int(n) for n in ds.train_trials.values]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    rows = []
    for model in ds.model.values:
        values = accuracy.sel(model=model)
        ax.plot(sizes, values.sel(metric="accuracy"), marker="o", label=str(model))
        rows.append([model, *values.sel(metric="accuracy").values])
        rows.append(
            [
                f"{model} (incongruent)",
                *values.sel(metric="accuracy/incongruent").values,
            ]
        )
    ax.set_xscale("log")
    ax.set_xlabel("training trials (fixed pool)")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    _save(fig, "experiment_3_low_data.png")
    return _section(
        "3. Low-data regime",
        setup(ds, "low_data"),
        table(["model", *[f"{n} trials" for n in sizes]], rows),
        "experiment_3_low_data.png",
        "low_data",
    )


# -- experiment 4 ----------------------------------------------------------
def sequence(sweeps: Path) -> str:
    """Score vs P on copy memory, addition and contextual integration."""
    ds = open_sweep(sweeps, "sequence")
    if ds is None:
        return ""
    by_p = alrnn_by_p(ds).sel(train_trials=0).mean("seed")
    p_values = [int(p) for p in by_p.relu_units.values]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    position = np.arange(len(p_values))
    rows = []
    for task in by_p.task.values:
        values = by_p.score.sel(task=task, metric="accuracy")
        ax.plot(position, values, marker="o", label=str(task))
        rows.append([task, "accuracy", *values.values])
        for extra in ("symbol_accuracy", "mse", "baseline_mse"):
            if extra in by_p.metric.values:
                extra_values = by_p.score.sel(task=task, metric=extra).values
                if not np.isnan(extra_values).all():
                    rows.append([task, extra, *extra_values])
        regions = by_p.regions_used.sel(task=task).values
        rows.append([task, "regions used", *map(count, regions)])
    ax.set_xticks(position, [str(p) for p in p_values])
    ax.set_xlabel("nonlinear units P")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    _save(fig, "experiment_4_sequence.png")
    return _section(
        "4. Sequence benchmarks",
        setup(ds, "sequence"),
        table(["task", "measure", *[f"P={p}" for p in p_values]], rows),
        "experiment_4_sequence.png",
        "sequence",
    )


def _save(fig: plt.Figure, name: str) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(FIGURES / name, dpi=120)
    plt.close(fig)


def _section(title: str, text: str, measured: str, figure: str, experiment: str) -> str:
    return "\n\n".join(
        part
        for part in (
            f"## {title}",
            text,
            measured,
            f"![{title}](figures/{figure})",
            notes(experiment),
        )
        if part
    )


HEADER = """# Experiments: where does the network need nonlinearity?

Measured on this repository's development machine (2 shared CPU cores, no
GPU), at the sizes stated under each experiment: small networks, few seeds
and short training, far below the budgets of the papers. The sweep files
scale up unchanged (more seeds, steps and P values; `--launcher slurm`).
This page is generated by `experiments/report.py` from the collected sweeps;
every number is measured, and the notes under each table say what the
numbers do and do not show.
"""


def main() -> None:
    """Write the figures and ``docs/experiments.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=Path, default=ROOT / "outputs" / "experiments")
    args = parser.parse_args()
    sections = [
        experiment(args.sweeps)
        for experiment in (stimulus_selection, multitask, low_data, sequence)
    ]
    page = "\n\n".join([HEADER.strip(), *filter(None, sections)]) + "\n"
    (DOCS / "experiments.md").write_text(page)
    print(f"wrote {DOCS / 'experiments.md'} ({sum(map(bool, sections))} experiments)")


if __name__ == "__main__":
    main()
