# The two commands of the README are `make run` and `make test`; everything else is for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint demo bench-test bench-rush bench-compare bench-billing bench-outbox bench-reference bench-allocation clean

# Only the lock is installed: a change of pyproject's tool settings needs no new install. The
# venv's own pip installs the lock; --no-compile because Python compiles what the project
# imports when it first does, and compiling every installed file (Playwright's, WeasyPrint's…)
# cost 15 s of CPU on a clean clone.
$(PY_STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements.lock
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(PY_STAMP) $(NODE_STAMP)

## Start the portal with demo data on http://$(HOST):$(PORT), 127.0.0.1:8000 unless given (SQLite, Celery eager, e-mails printed).
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --address http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (CI points it at PostgreSQL and Redis through the environment).
test: install
	$(BIN)/python scripts/ensure_chromium.py
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=portail.settings.test
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

## The bench's own tests (tests/bench, left out of `make test` by pyproject's norecursedirs).
bench-test: install
	$(BIN)/pytest tests/bench $(PYTEST_ARGS)

## The opening-day rush and the monthly billing, measured (docs/performance.md); PostgreSQL
## and Redis on 127.0.0.1. BENCH_ARGS passes options, e.g. BENCH_ARGS="--connections 200".
bench-rush: install
	$(BIN)/python -m bench.rush $(BENCH_ARGS)

## The rush on an older revision and on this tree, alternating (docs/performance.md), e.g.
## BENCH_ARGS="--old df1b3ee --runs 3".
bench-compare: install
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

bench-billing: install
	$(BIN)/python -m bench.billing $(BENCH_ARGS)

bench-outbox: install
	$(BIN)/python -m bench.outbox $(BENCH_ARGS)

bench-reference: install
	$(BIN)/python -m bench.reference $(BENCH_ARGS)

## Fair allocation (issue 28): the wish window through HTTP with arrivals spread over it, and
## the allocation run at 5,000 families x 15 Wednesdays and smaller (docs/performance.md).
bench-allocation: install
	$(BIN)/python -m bench.allocation $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var/portail.sqlite3
