# tellapart: `make demo` and `make test` work on a fresh machine (they create .venv themselves).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU torch first (from this machine's disk): later requirements then pull no CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	# Extras: clip adds no download (transformers already comes with sentence-transformers) and
	# makes the clip backend's tiny-model tests run; ray makes `make test` run the Ray engine's
	# tests on a local Ray instance.
	$(PY) -m pip install -q -e '.[dev,clip,ray]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tellapart demo --out demo_out

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	# the architecture contract (pyproject.toml [tool.importlinter]): layers, no cycles
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	$(PY) -m pytest -n 2 -q tests

clean:
	rm -rf $(VENV) demo_out .pytest_cache .mypy_cache .ruff_cache
