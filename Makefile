# Two commands set up a fresh machine that has only Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check schemas drill bench hospital-sim clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m deploy.dev

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, format and types: part of `make test`, also alone.
check: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

# The contract's message schemas, written again from their models (a unit test fails while one is stale).
schemas: $(STAMP)
	$(BIN)/python -m common.contracts.schemas --write

# The failure drills alone (they are part of `make test` too); each prints its figures.
drill: $(STAMP)
	$(BIN)/python -m pytest -m drill $(PYTEST_ARGS)

# Performance figures (not part of `make test`): starts the whole stack, measures, stops it.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

hospital-sim: $(STAMP)
	$(BIN)/python -m deploy.hospital_sim

clean:
	rm -rf var .pytest_cache
