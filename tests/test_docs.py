"""The generated pages of the docs site are generated from the code and kept in sync.

Task pages come from the task docstrings (with an example trial figure), API
pages list every public module, the model-card page copies the shipped cards,
and the task nav of ``mkdocs.yml`` lists every task id.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from alrnn_tasks import list_tasks

DOCS = Path(__file__).parent.parent / "docs"
FIX = "run `python docs/gen_task_pages.py`"


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_task_pages", DOCS / "gen_task_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.mark.parametrize("task_id", list_tasks())
def test_every_task_has_an_up_to_date_docs_page(task_id, generator):
    path = DOCS / "tasks" / f"{task_id}.md"
    assert path.exists(), FIX
    assert path.read_text() == generator.page(task_id), FIX


@pytest.mark.parametrize("task_id", list_tasks())
def test_every_task_page_has_its_example_figure(task_id):
    figure = DOCS / "tasks" / "figures" / f"{task_id}.png"
    assert figure.is_file(), FIX
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"figures/{task_id}.png" in (DOCS / "tasks" / f"{task_id}.md").read_text()


def test_generated_pages_are_up_to_date(generator):
    for path, text in generator.generated_pages().items():
        assert path.exists(), f"{path.name} missing; {FIX}"
        assert path.read_text() == text, f"{path} is stale; {FIX}"


def test_no_stale_task_pages():
    pages = {p.stem for p in (DOCS / "tasks").glob("*.md")} - {"index"}
    assert pages == set(list_tasks()), FIX


def test_mkdocs_nav_lists_every_task(generator):
    config = generator.MKDOCS_YML.read_text()
    assert generator.mkdocs_config(config) == config, FIX
    for task_id in list_tasks():
        assert f"tasks/{task_id}.md" in config


@pytest.mark.parametrize("package", ["alrnn_tasks", "agents", "analysis"])
def test_api_page_documents_every_public_module(package, generator):
    text = (DOCS / "api" / f"{package}.md").read_text()
    modules = generator.public_modules(package)
    assert modules, f"no public modules found in {package}"
    for name in modules:
        assert f"::: {name}\n" in text, f"{name} missing from the API page; {FIX}"


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
