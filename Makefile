# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv when missing and install the package into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The CPU build of torch that a fresh machine gets. A torch that is already in
# the environment (for instance a CUDA build a GPU user brought) is kept.
TORCH_CPU ?= torch==2.13.0

.PHONY: venv demo test lint format bench clean

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

test: venv lint
	$(PY) -m pytest -q

bench: venv
	$(PY) benchmarks/trial_generation.py

clean:
	rm -rf $(VENV) outputs .pytest_cache .ruff_cache
