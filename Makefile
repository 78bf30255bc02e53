# Flowra developer commands. `make dev` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install dev test lint typecheck unit integration services-up services-down services-status \
        worker migrate-up build lock assets e2e clean

install: $(STAMP)

# Re-install whenever the project metadata or the locked versions change.
$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install --quiet --disable-pip-version-check "uv>=0.5"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP)

dev: install
	$(BIN)/flowra-api

test: install services-up
	$(BIN)/nox

lint: install
	$(BIN)/nox -s lint typecheck

typecheck: install
	$(BIN)/nox -s typecheck

unit: install
	$(BIN)/nox -s unit

integration: install services-up
	$(BIN)/nox -s integration

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

services-status:
	scripts/services.sh status

worker: install
	$(BIN)/flowra-worker

migrate-up: install
	$(BIN)/flowra-migrator up

# A wheel and an sdist in dist/; the console scripts come with the wheel.
build: install
	$(BIN)/uv build --quiet --out-dir dist

# The web client in a real browser (needs `make services-up` for chromium).
e2e: install services-up
	$(BIN)/nox -s e2e

# Refresh the vendored web assets (htmx, Pico CSS; axe-core for the tests) from npm.
assets:
	scripts/assets.sh

# Refresh the locked versions after editing dependencies in pyproject.toml.
lock:
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements/constraints.txt

clean:
	rm -rf $(VENV) .nox .mypy_cache .ruff_cache .pytest_cache dist
