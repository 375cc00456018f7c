# Two commands for a fresh Debian machine with Python 3.11+:
#   make run    install, migrate, load the demo, start the web app and the RQ worker
#   make test   install what the tests need and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= demo-password-2026

.PHONY: run test lint install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo --password "$(DEMO_PASSWORD)"
	$(BIN)/python scripts/run.py

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
