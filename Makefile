# Everything a developer needs, from a fresh clone: `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint format check migrations-check check-deploy audit install bench backup restore compose-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the requirement files change.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Set everything up and start web + worker + beat in the foreground (Ctrl-C stops all).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	PORT=$(PORT) scripts/run.sh

## The whole test suite (SQLite locally; PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Speed at scale against the static-file limit; writes var/bench.json (README "Benchmarks").
## Throwaway database on DATABASE_URL's PostgreSQL server, else SQLite. BENCH_ARGS="--scale 0.02" to iterate.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

migrations-check: check

## `manage.py check --deploy` under production-like settings; any warning fails.
check-deploy: install
	scripts/check-deploy.sh

## Audit pinned requirements for known vulnerabilities (accept one in .ci/audit-ignore).
audit: install
	scripts/audit-deps.sh

## Back up the configured database to var/backups/ (pg_dump, or a SQLite snapshot).
backup: install
	$(BIN)/python manage.py backup

## Restore a backup: make restore FILE=var/backups/tracker-....dump (stop the app first).
restore: install
	@test -n "$(FILE)" || (echo "usage: make restore FILE=path/to/backup" && exit 2)
	$(BIN)/python manage.py restore "$(FILE)"

## Run the compose services' commands against local PostgreSQL/Redis and smoke-test them.
compose-check: install
	scripts/compose-smoke.sh

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
