# Named entry points that people, CI and the README all use.
# `make run`  — install, migrate the embedded SQLite database, seed demo data, serve.
# `make test` — install, lint, type-check and run the whole test suite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# pytest-xdist workers: one per core of the CI machine (2); each has its own databases.
PYTEST_WORKERS ?= 2

.PHONY: install run migrate seed serve test test-fast lint typecheck pytest format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs the project with its test extra, pinned by constraints.txt.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'

run: install migrate seed serve

migrate:
	$(BIN)/alembic upgrade head

seed:
	$(BIN)/python -m admin_app seed-demo

serve:
	$(BIN)/python -m admin_app serve --host $(HOST) --port $(PORT)

test: install lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	scripts/lint-migrations

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

# The quick loop while developing: no lint, no end-to-end tests (real processes, browsers).
test-fast: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not slow and not e2e" $(PYTEST_ARGS)

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage test-artifacts
