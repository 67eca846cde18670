# Every target creates or reuses .venv/ (Python 3.12+) from pyproject.toml, so a fresh clone needs nothing else.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
AXE := node_modules/axe-core/axe.min.js

.PHONY: install run demo test lint bench

$(STAMP): pyproject.toml
	@test -x $(PY) || { python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev,local]'
	@rm -rf build *.egg-info
	@touch $@

install: $(STAMP)

# axe-core checks every page the browser tests load; package-lock.json pins it, npm installs it locally.
$(AXE): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Named here: importing the config package (its Celery app) would otherwise settle on the production settings.
DEV_SETTINGS := DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.dev}

run: install  ## serve the app with its worker and beat (embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set)
	$(DEV_SETTINGS) $(PY) -m config.run

demo: install  ## reload the demo organizations
	$(DEV_SETTINGS) $(PY) -m config.run --demo-only

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Two pytest-xdist workers, each a session with its own embedded servers (config/settings/test.py), a file's
# tests on one worker; servers named in the environment would be shared, so then one process runs them all.
TEST_WORKERS ?= $(if $(DATABASE_URL),0,2)

test: install lint $(AXE)
	@scripts/ensure-chromium
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install
	@for script in bench/[!_]*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(PY) "$$script" --full || exit 1; done
