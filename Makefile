# Two commands set up a fresh machine that has only Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check schemas catalogs drill bench hospital-sim clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m deploy.dev

# The README's pictures of Mes documents (desktop and phone, French and German), from a demo stack
# of its own (started and stopped here), to docs/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python -m deploy.screenshots

# Everything but the drills on TEST_WORKERS workers (pytest-xdist), each with a stack of its own,
# then the drills alone on the machine (they time recoveries under load); the run fails if either
# does, after both. With PYTEST_ARGS, one plain pytest run of that selection instead.
TEST_WORKERS ?= 2
test: check
ifeq ($(strip $(PYTEST_ARGS)),)
	suite=passed; drills=passed; \
	$(BIN)/python -m pytest -m "not drill" -n $(TEST_WORKERS) || suite=FAILED; \
	$(BIN)/python -m pytest -m drill || drills=FAILED; \
	echo "make test: the suite $$suite, the drills $$drills"; \
	[ $$suite = passed ] && [ $$drills = passed ]
else
	$(BIN)/python -m pytest $(PYTEST_ARGS)
endif

# Lint, format and types: part of `make test`, also alone.
check: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

# The contract's message schemas, written again from their models (a unit test fails while one is stale).
schemas: $(STAMP)
	$(BIN)/python -m common.contracts.schemas --write

# The gateway's translations, kept with Babel: extract the message ids from the gateway's templates
# and Python (gateway/babel.cfg) into messages.pot, merge them into every language's catalogue, then
# check each compiles (the gateway compiles the .po files itself at start, so no .mo is kept).
# New or changed ids arrive untranslated or fuzzy: tests/test_catalogs.py fails until they are translated.
catalogs: $(STAMP)
	cd gateway && $(abspath $(BIN))/pybabel --quiet extract -F babel.cfg -o locales/messages.pot \
		--project=clinical-exchange-portal --version=0.1.0 .
	$(BIN)/pybabel update --ignore-pot-creation-date -i gateway/locales/messages.pot -d gateway/locales
	for po in gateway/locales/*/LC_MESSAGES/messages.po; do \
		$(BIN)/pybabel compile --statistics -i $$po -o /dev/null || exit 1; \
	done

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
