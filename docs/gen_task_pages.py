"""Write the generated pages of the documentation site.

- ``docs/tasks/<id>.md``: one page per registered task id, from the task's
  docstring, with an example trial figure ``docs/tasks/figures/<id>.png``
  (:func:`alrnn_tasks.plotting.plot_trials` of ``task.batch(4, seed=0)``);
  ``docs/tasks/index.md`` lists them.
- ``docs/api/<package>.md``: a mkdocstrings block per public module of
  ``alrnn_tasks``, ``agents`` and ``analysis``.
- ``docs/model-cards.md``: the cards of the pretrained models shipped in
  ``agents/pretrained``.
- The task part of the ``nav`` in ``mkdocs.yml`` (between the markers).

Run ``python docs/gen_task_pages.py`` after changing a task, a module or a
card (``--no-figures`` skips the figures); ``tests/test_docs.py`` checks that
the Markdown matches what this script writes.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from alrnn_tasks import list_tasks
from alrnn_tasks.registry import task_class

DOCS = Path(__file__).parent
PAGES = DOCS / "tasks"
FIGURES = PAGES / "figures"
API = DOCS / "api"
MKDOCS_YML = DOCS.parent / "mkdocs.yml"
PACKAGES = ("alrnn_tasks", "agents", "analysis")
NAV_BEGIN = "      # BEGIN task pages (docs/gen_task_pages.py)"
NAV_END = "      # END task pages"

PACKAGE_INTROS = {
    "alrnn_tasks": "Tasks: batched trial generators, Gymnasium and neurogym "
    "environments, trial figures.",
    "agents": "AL-RNNs and baselines, populations, training, fitting to "
    "recordings, sweeps, pretrained models and the `alrnn` command line.",
    "analysis": "Symbolic codes, linear pieces, fixed points and cycles, "
    "computational primitives, activity datasets, recordings and model-data "
    "comparison.",
}


# -- task pages ---------------------------------------------------------------


def page(task_id: str) -> str:
    """Return the Markdown page of ``task_id``."""
    cls = task_class(task_id)
    doc = inspect.cleandoc(cls.__doc__ or "")
    summary, _, body = doc.partition("\n")
    return (
        f"# {task_id}\n\n"
        f"{summary}\n\n"
        f"Class: `{cls.__module__}.{cls.__qualname__}`. "
        f"Create it with `alrnn_tasks.get_task({task_id!r})` or "
        f"`gymnasium.make({task_id!r})`.\n\n"
        f"![Example trials of {task_id}](figures/{task_id}.png)\n\n"
        "*Four trials of `task.batch(4, seed=0)` drawn by "
        "`alrnn_tasks.plotting.plot_trials`: inputs with period boundaries "
        "(top) and targets (bottom).*\n\n"
        "```text\n"
        f"{body.strip()}\n"
        "```\n"
    )


def task_index() -> str:
    """Return ``docs/tasks/index.md``: every task id with its summary line."""
    rows = []
    for task_id in list_tasks():
        summary = inspect.cleandoc(task_class(task_id).__doc__ or "").split("\n")[0]
        rows.append(f"| [{task_id}]({task_id}.md) | {summary} |")
    return (
        "# Tasks\n\n"
        "Every task is one vectorised generator of whole trial batches; the "
        "Gymnasium and neurogym environments draw their trials from it. Each "
        "page below is generated from the task's docstring, which is its "
        "specification: periods and timing, observations, actions, targets "
        "and reward, episode end, parameters, reference and version history.\n\n"
        "| id | summary |\n|---|---|\n" + "\n".join(rows) + "\n"
    )


def write_figure(task_id: str) -> Path:
    """Render the example trial figure of ``task_id`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from alrnn_tasks import get_task
    from alrnn_tasks.plotting import plot_trials

    FIGURES.mkdir(parents=True, exist_ok=True)
    figure = plot_trials(get_task(task_id).batch(4, seed=0))
    path = FIGURES / f"{task_id}.png"
    # No metadata, so that an unchanged figure gives an unchanged file.
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)
    return path


def task_nav() -> str:
    """Return the nav lines of the task pages for ``mkdocs.yml``."""
    lines = [NAV_BEGIN, "      - tasks/index.md"]
    lines += [f"      - {task_id}: tasks/{task_id}.md" for task_id in list_tasks()]
    return "\n".join([*lines, NAV_END])


def mkdocs_config(text: str) -> str:
    """Return ``text`` (``mkdocs.yml``) with its task nav block regenerated."""
    before, begin, rest = text.partition(NAV_BEGIN)
    _, end, after = rest.partition(NAV_END)
    if not begin or not end:
        raise ValueError(f"mkdocs.yml lacks the markers {NAV_BEGIN!r} / {NAV_END!r}")
    return before + task_nav() + after


# -- API reference ------------------------------------------------------------


def public_modules(package: str) -> list[str]:
    """Return the public modules of ``package`` (no leading underscore), sorted."""
    module = importlib.import_module(package)
    names = [
        info.name
        for info in pkgutil.iter_modules(module.__path__, prefix=f"{package}.")
        if not info.name.rpartition(".")[2].startswith("_")
    ]
    return sorted(names)


def api_page(package: str) -> str:
    """Return ``docs/api/<package>.md``: the package and each public module."""
    blocks = [
        f"# `{package}`\n\n{PACKAGE_INTROS[package]}\n\n"
        f"::: {package}\n    options:\n      show_submodules: false\n"
        "      members: false\n"
    ]
    blocks += [f"::: {name}\n" for name in public_modules(package)]
    return "\n".join(blocks)


# -- model cards --------------------------------------------------------------


def _score_line(scores: dict) -> str:
    shown = ("accuracy", "accuracy/congruent", "accuracy/incongruent", "accuracy/cue")
    parts = [f"{k} {scores[k]:.3f}" for k in shown if scores.get(k) is not None]
    return ", ".join(parts) if parts else "see the card"


def model_cards_page() -> str:
    """Return ``docs/model-cards.md`` from the shipped cards."""
    from agents import list_pretrained
    from agents.model_zoo import model_card

    head = (
        "# Model cards\n\n"
        "Pretrained AL-RNNs ship inside the package (`agents/pretrained/`, "
        "safetensors weights and a JSON card each) and load offline without "
        "pickle:\n\n"
        "```python\nimport agents\n\n"
        "agents.list_pretrained()\n"
        'model, task = agents.pretrained("NAME")\n```\n\n'
        "`alrnn pretrained NAME` prints a card; `--export DIR` writes a run "
        "directory for `alrnn evaluate`, `alrnn record` and `alrnn analyze`. "
        "Every number below is copied by `docs/gen_task_pages.py` from the "
        "cards, which `experiments/make_pretrained.py` wrote from measured "
        "scores on fresh trials of a seed the training never used; "
        "`tests/agents/test_model_zoo.py` checks that each model still reaches "
        "its score within the card's tolerance. How they were trained: "
        "[Sweeps](sweeps.md); what they show: [Experiments](experiments.md).\n\n"
        "| name | task | M | P | accuracy (held out) | regions used | "
        "real fixed points |\n|---|---|---|---|---|---|---|\n"
    )
    rows, sections = [], []
    for name in list_pretrained():
        card = model_card(name)
        model, score = card["model"], card["score"]
        rows.append(
            f"| [{name}](#{name.lower()}) | {card['task_id']} | "
            f"{model['units']} | {model['relu_units']} | "
            f"{score['scores']['accuracy']:.3f} | {card.get('regions_used', '')} "
            f"| {card.get('real_fixed_points', '')} |"
        )
        training = card["training"]
        params = ", ".join(
            f"`{k}={v}`" for k, v in training["settings"]["task_params"].items()
        )
        sections.append(
            f"## {name}\n\n"
            f"- **Task**: `{card['task_id']}` ({params or 'defaults'}).\n"
            f"- **Model**: {model['kind']}, M = {model['units']} units, "
            f"P = {model['relu_units']} {model['nonlinearity']} units, "
            f"{card['n_inputs']} inputs, {card['n_outputs']} outputs.\n"
            f"- **Score** on {score['trials']} fresh trials (seed {score['seed']}): "
            f"{_score_line(score['scores'])}.\n"
            f"- **Training**: {training['steps']} steps, "
            f"{training['trials_seen']} trials seen; {training['data']}.\n"
            f"- **Reproduce**: `{training['command']}` (cell "
            f"`{training['cell']}` of `{training['sweep_file']}`).\n"
            f"- **Test**: a fresh {card['test']['trials']}-trial measurement must "
            f"agree within {card['test']['tolerance']}.\n"
        )
    return head + "\n".join(rows) + "\n\n" + "\n".join(sections)


# -- all pages ------------------------------------------------------------------


def generated_pages() -> dict[Path, str]:
    """Return every generated Markdown page by path."""
    pages = {PAGES / f"{task_id}.md": page(task_id) for task_id in list_tasks()}
    pages[PAGES / "index.md"] = task_index()
    pages.update({API / f"{package}.md": api_page(package) for package in PACKAGES})
    pages[DOCS / "model-cards.md"] = model_cards_page()
    return pages


def main(argv: list[str] | None = None) -> int:
    """Write every page and figure; remove pages of ids that no longer exist."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)

    PAGES.mkdir(exist_ok=True)
    API.mkdir(exist_ok=True)
    pages = generated_pages()
    for path, text in pages.items():
        path.write_text(text)
    for stale in set(PAGES.glob("*.md")) - set(pages):
        stale.unlink()
    MKDOCS_YML.write_text(mkdocs_config(MKDOCS_YML.read_text()))

    if not args.no_figures:
        wanted = {write_figure(task_id) for task_id in list_tasks()}
        for stale in set(FIGURES.glob("*.png")) - wanted:
            stale.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
