# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app visitcheck
DEMO_PASSWORD ?= demo-visit-password
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint bench bench-shell install install-test chromium clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[serve]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,serve]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(FLASK) init-db
	$(FLASK) demo --password "$(DEMO_PASSWORD)"
	@echo "Sign in at http://$(HOST):$(PORT)/login as hv, sn, lead or admin with password $(DEMO_PASSWORD)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Debian's chromium: run 'sudo apt-get install -y chromium' and try again." >&2; \
		exit 1; \
	fi

test: install-test chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# Everything but the real-browser tests.
test-fast: install-test
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check visitcheck tests bench
	$(BIN)/mypy

bench: install-test
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

# The shell's size, cold start and Lighthouse score (Lighthouse comes from npm
# into .venv/lighthouse on first use; Chromium is Debian's).
bench-shell: install-test chromium
	$(BIN)/python bench/shell.py --lighthouse

clean:
	rm -rf $(VENV) dist build *.egg-info

# README screenshots from the real app (docs/screenshots/*.png).
screenshots: install-test chromium
	$(BIN)/pytest -p no:cacheprovider --rootdir . -o testpaths=docs/screenshots \
		docs/screenshots/shoot.py -q
