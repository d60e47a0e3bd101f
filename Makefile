# The two commands of README.md: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
XDIST ?= -n 2
PORT ?= 5000
EXTRACT_KEYWORDS := -k _l -k lazy_gettext -k N_ -k RuleViolation -k Conflict -k NotFound -k Forbidden -k required -k TaskConflict -k WorkflowFailure

.PHONY: setup demo test test-pg test-browser ci bench translations vendor clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

app/translations/en/LC_MESSAGES/messages.mo: app/translations/en/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -f -o $@ -i $< >/dev/null

setup: $(STAMP) app/translations/en/LC_MESSAGES/messages.mo

## The product with demo data on SQLite, at http://127.0.0.1:5000 (with the scheduler beside it); make demo PORT=5001 for another port
demo: setup
	$(FLASK) db upgrade
	$(FLASK) demo-data
	export SIGNING_TRUST_ROOTS=$${SIGNING_TRUST_ROOTS:-$(CURDIR)/instance/demo-certificates/demo-ca.pem}; \
	  $(FLASK) scheduler run & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

## The test suite on SQLite (always: CI exports TEST_DATABASE_URL for the PostgreSQL leg); make test-pg on PostgreSQL
test: setup
	TEST_DATABASE_URL= $(BIN)/python -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-pg: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	  $(BIN)/python -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-browser: setup
	$(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)

ci:
	bash .ci/run

## Every benchmark in bench/, one table of figures and ratios (needs PostgreSQL; QUICK=1 for a smoke run)
bench: setup
	$(BIN)/python -m bench $(if $(QUICK),--quick)

## Re-extract messages and merge them into the English catalogue (then translate the new ones).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(EXTRACT_KEYWORDS) --no-location --sort-output -o app/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l en --no-fuzzy-matching

## Copy front-end files from the npm registry into app/static/vendor (committed).
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) instance artifacts .pytest_cache
