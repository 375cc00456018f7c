# Two commands for a fresh Debian machine with Python 3.11+:
#   make run    install, migrate, load the demo, start the web app and the RQ worker
#   make test   install what the tests need (Chromium too) and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= demo-password-2026
# The browser tests (tests/browser) drive Debian's Chromium through Playwright.
CHROMIUM ?= /usr/bin/chromium

# The OpenID Connect tests (tests/oidc) run a real provider, panva/oidc-provider, on Node.js.
OIDC_PROVIDER := tests/oidc/provider

.PHONY: run test lint install chromium pdf-libs oidc-provider

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing chromium for the browser tests"; \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else \
	    echo "make: $(CHROMIUM) is missing, so the browser tests (tests/browser) will fail." >&2; \
	    echo "make: install it as root (sudo apt-get install chromium), then run make test." >&2; \
	  fi; \
	fi

# WeasyPrint (letters and care plans as PDF) needs Pango, HarfBuzz's subsetter and a font
# like Arial (Liberation Sans).
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation
pdf-libs:
	@missing=""; for lib in $(PDF_LIBS); do dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing$$missing for PDFs"; \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else \
	    echo "make:$$missing missing: PDFs (letters, care plans) will fail. Install them as root." >&2; \
	  fi; \
	fi

oidc-provider: $(OIDC_PROVIDER)/node_modules/.installed

$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing nodejs and npm for the OIDC tests"; \
	    apt-get update -qq && apt-get install -y -qq nodejs npm; \
	  else \
	    echo "make: npm is missing: install it as root (apt-get install nodejs npm)" >&2; exit 1; \
	  fi; \
	fi
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install pdf-libs
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo --password "$(DEMO_PASSWORD)"
	$(BIN)/python scripts/run.py

# Serial by default: on a busy 2-core machine pytest-xdist's `-n 2` was no faster (each worker
# starts its own database, Redis and OpenID provider). Elsewhere: make test PYTEST_ARGS="-n auto"
PYTEST_ARGS ?=
test: install chromium pdf-libs oidc-provider
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
