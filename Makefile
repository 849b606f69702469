# metasync developer commands.  `make test` is the one test command (CI runs it through .ci/run).
#
#   make venv       create .venv (python3.11, else python3) and `pip install -e '.[test]'` (again only when
#                   pyproject.toml changes)
#   make services   start local Redis (127.0.0.1:6390) and FerretDB (127.0.0.1:27027), installing them if missing
#                   (make test also starts RabbitMQ on 127.0.0.1:5673 for the broker-facing tests)
#   make test       venv + services (and Debian's chromium for the browser test, installed when missing), then
#                   pytest; extra pytest arguments: make test PYTEST_ARGS='-k smoke -x'
#   make lint       ruff: lint and format check (CI runs it before the tests)
#   make format     ruff format, then the lint fixes ruff can make on its own
#   make demo       venv + services, then `metasync demo` (arguments: DEMO_ARGS=...)
#   make bench      venv + services, then bench/run_all.py (arguments: BENCH_ARGS=--quick)
#   make status     what is up
#   make stop       stop the servers started by `make services`
#
# Exported MONGODB_URI / REDIS_URL that answer are used instead of the local servers (e.g. a real MongoDB).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
STAMP := $(VENV)/.metasync-installed
SERVICES := bash scripts/services.sh
PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_ARGS ?=

.PHONY: venv services test lint format demo bench stop status

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(VENV)/bin/python -m pip install -e '.[test]'
	@touch $@

services:
	$(SERVICES) start

# The tests also run the broker-facing cases on RabbitMQ.
test: venv
	METASYNC_WITH_RABBITMQ=1 $(SERVICES) start
	bash scripts/chromium.sh >/dev/null
	eval "$$($(SERVICES) env)"; $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: venv services
	eval "$$($(SERVICES) env)"; $(VENV)/bin/metasync demo $(DEMO_ARGS)

bench: venv services
	eval "$$($(SERVICES) env)"; $(VENV)/bin/python bench/run_all.py $(BENCH_ARGS)

status:
	$(SERVICES) status

stop:
	$(SERVICES) stop
