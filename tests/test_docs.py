"""The task pages in docs/tasks are generated from the docstrings and kept in sync."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from alrnn_tasks import list_tasks

DOCS = Path(__file__).parent.parent / "docs"


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_task_pages", DOCS / "gen_task_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("task_id", list_tasks())
def test_every_task_has_an_up_to_date_docs_page(task_id):
    path = DOCS / "tasks" / f"{task_id}.md"
    assert path.exists(), "run `python docs/gen_task_pages.py`"
    assert path.read_text() == load_generator().page(task_id), (
        "run `python docs/gen_task_pages.py`"
    )


@pytest.mark.parametrize("task_id", list_tasks())
def test_every_task_docstring_has_the_spec_sections(task_id):
    from alrnn_tasks.registry import task_class

    doc = task_class(task_id).__doc__ or ""
    sections = (
        "description",
        "period",
        "observation",
        "action",
        "target",
        "episode",
        "parameters",
        "reference",
        "version",
    )
    missing = [s for s in sections if s not in doc.lower()]
    assert missing == [], f"{task_id} docstring lacks sections {missing}"
