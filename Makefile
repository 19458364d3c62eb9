# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv when missing and install the package into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The CPU build of torch that a fresh machine gets. A torch that is already in
# the environment (for instance a CUDA build a GPU user brought) is kept.
TORCH_CPU ?= torch==2.13.0

.PHONY: venv demo test lint format docs docs-pages bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH_CPU)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(PY) -m agents.demo --out outputs/demo

lint: venv
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# mkdocs 1.6 prints a notice about mkdocs 2 on every run; it is not ours to act on.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

test: venv lint docs
	$(PY) -m pytest -q

# The documentation site, built strictly: a broken link, a missing reference or
# a docstring that mkdocstrings cannot parse fails the build. Output in site/.
docs: venv
	$(MKDOCS) build --strict

# Regenerate the task pages, their figures, the API pages and the model cards.
docs-pages: venv
	$(PY) docs/gen_task_pages.py

# Every benchmark in benchmarks/ in one go; writes docs/benchmarks.md from
# their measured output (BENCH_ARGS=--quick for a short run).
bench: venv
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) outputs site .pytest_cache .ruff_cache
