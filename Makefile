# Two commands on a fresh machine: `make demo` (app on SQLite with the sample cables) and
# `make test` (the whole suite on SQLite, then on PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cablearchive
DEMO_ENV := DJANGO_DEBUG=1 CABLEARCHIVE_TASK_BACKEND=django_tasks.backends.immediate.ImmediateBackend

.PHONY: install demo run manage migrate import-sample test test-sqlite test-postgres lint conformance bench migrations-check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput

import-sample: migrate
	$(DEMO_ENV) $(PY) manage.py import_cables sample/ ; test $$? -le 1

demo: import-sample
	$(DEMO_ENV) $(PY) manage.py ensure_demo_admin
	@echo "Archive at http://$(HOST):$(PORT)/  (admin: /admin/, user demo / password demo)"
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

run: migrate
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Any management command on the development database: make manage ARGS="reparse --dry-run"
manage: migrate
	$(DEMO_ENV) $(PY) manage.py $(ARGS)

test: test-sqlite test-postgres

test-sqlite: install
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(VENV)/bin/mypy --strict --follow-imports=silent \
		cables/parser cables/readers cables/archives.py cables/importing cables/search

migrations-check: install
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

conformance: install
	$(PY) bench/conformance.py

bench: install
	$(PY) bench/import_rate.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles var
