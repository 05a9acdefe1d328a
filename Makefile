# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast setup system-deps lint crm-cards bench clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)  ## create the virtualenv and install enrich with its test tools

system-deps:  ## install redis-server, postgresql and chromium with apt where missing (root)
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: setup  ## CRM sandbox + enrich + worker on the embedded default (SQLite, in-process queue)
	$(BIN)/enrich demo

test: setup system-deps lint crm-cards  ## lint, then the whole suite (CI runs exactly this)
	$(BIN)/pytest -q

test-fast: setup  ## skip the slow suites (real PostgreSQL/redis/browser ones still guard CI)
	$(BIN)/pytest -q -m "not slow"

crm-cards:  ## lint + test the CRM card front ends (integrations/, npm; SKIP_NPM=1 skips outside CI)
	integrations/check.sh

lint: setup  ## ruff (format and rules) + mypy + no import cycles + no module over 500 lines
	$(BIN)/ruff format --check enrich webhooks tests bench tools
	$(BIN)/ruff check enrich webhooks tests bench tools
	$(BIN)/mypy enrich webhooks tools
	$(BIN)/python tools/importcycles.py enrich webhooks
	$(BIN)/python tools/module_sizes.py enrich webhooks tools

clean:  ## remove the virtualenv and local databases
	rm -rf $(VENV) enrich.db enrich.db-wal enrich.db-shm var
