"""Write one Markdown page per registered task id from the task's docstring.

Run ``python docs/gen_task_pages.py`` after changing a task; a test checks that
the pages in ``docs/tasks/`` match what this script writes.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from alrnn_tasks import list_tasks
from alrnn_tasks.registry import task_class

PAGES = Path(__file__).parent / "tasks"


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
        "```text\n"
        f"{body.strip()}\n"
        "```\n"
    )


def main() -> int:
    """Write every page and remove pages of ids that no longer exist."""
    PAGES.mkdir(exist_ok=True)
    wanted = {f"{task_id}.md": page(task_id) for task_id in list_tasks()}
    for name, text in wanted.items():
        (PAGES / name).write_text(text)
    for stale in set(p.name for p in PAGES.glob("*.md")) - set(wanted):
        (PAGES / stale).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
