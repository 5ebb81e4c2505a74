# talk_calls: two commands do everything.
#   make demo   start the demo server (uvicorn, ASGI) at DEMO_ADDR (default 127.0.0.1:8000) with
#               fresh demo data; installs only the app and its demo extra
#   make test   lint (ruff, mypy), then the whole suite on SQLite, then on PostgreSQL when one answers
#               (with CI=true PostgreSQL is required)
#   make bench  the call API under gunicorn on PostgreSQL, driven by wrk and the cadence
#               generator, then short runs of the signaling and HPB benches below (a part
#               whose binaries are missing is skipped with a line): prints the tables and
#               writes bench/results/latest.md, < 10 minutes from a fresh clone
#               (docs/PERFORMANCE.md; BENCH_* variables are described in bench/run.py)
#   make bench-signaling  internal signaling: message latency (in-memory, Redis, two
#               processes) and 1,000 idle polls (docs/PERFORMANCE.md, "Internal signaling")
#   make bench-hpb  the High-Performance Backend: backend pings, idle clients and end for
#               everyone with 1,000 clients of Debian's signaling server (docs/PERFORMANCE.md,
#               "High-Performance Backend"; BENCH_PG_URL names its database, made and dropped)
# Variables (from the command line or the environment): PG_URL, the PostgreSQL URL of the
# test run (pytest-django creates test_<name> there); DEMO_ADDR, where make demo listens.

VENV ?= .venv
PYTHON ?= $(shell .ci/find-python)
DJANGO_SPEC ?=
PG_URL ?= postgres://postgres@127.0.0.1:5432/talk_calls
PYTEST_ARGS ?=
DEMO_ADDR ?= 127.0.0.1:8000
DEMO_HOST = $(firstword $(subst :, ,$(DEMO_ADDR)))
DEMO_PORT = $(lastword $(subst :, ,$(DEMO_ADDR)))
BIN := $(VENV)/bin

.PHONY: demo test test-sqlite test-postgres venv lint services clean bench bench-signaling bench-hpb

venv: $(VENV)/.installed

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	touch $@

# The test extra (pytest, Playwright, nc-py-api, ...) for make test.
$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[test]' $(if $(DJANGO_SPEC),'$(DJANGO_SPEC)')
	touch $@

# Only what the demo needs (the app and the demo extra) for make demo.
$(VENV)/.installed-demo: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[demo]' $(if $(DJANGO_SPEC),'$(DJANGO_SPEC)')
	touch $@

services:
	@.ci/ensure-services

demo: $(VENV)/.installed-demo
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo --base-url http://$(DEMO_ADDR)
	@echo "Serving under ASGI (uvicorn): long signaling polls never block other requests."
	$(BIN)/python -m uvicorn project.asgi:application --host $(DEMO_HOST) --port $(DEMO_PORT)

test: venv services
	$(BIN)/python -c "import django, sys; print('Python', sys.version.split()[0], 'Django', django.get_version())"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/mypy
	@if $(BIN)/python .ci/pg_ready.py "$(PG_URL)"; then \
		$(MAKE) test-sqlite SQLITE_MARKS='not browser and not hpb' && $(MAKE) test-postgres; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable, and CI=true requires it." >&2; exit 1; \
	else \
		$(MAKE) test-sqlite && echo "PostgreSQL not reachable: skipped the PostgreSQL run."; \
	fi

# The tests that drive Chromium or the HPB's binaries (marks browser, hpb) run once per
# make test: in the PostgreSQL run when there is one (the two-app-server tests need it),
# else in the SQLite run. SQLITE_MARKS is the SQLite run's -m expression.
SQLITE_MARKS ?=
test-sqlite: venv
	@echo "== test suite on SQLite$(if $(SQLITE_MARKS), ($(SQLITE_MARKS))) =="
	DATABASE_URL=sqlite:///$(CURDIR)/.test-db.sqlite3 $(BIN)/pytest $(if $(SQLITE_MARKS),-m '$(SQLITE_MARKS)') $(PYTEST_ARGS)

test-postgres: venv
	@echo "== test suite on PostgreSQL =="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Only what the bench needs (the bench extra): a fresh clone's make bench stays short.
$(VENV)/.bench-installed: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[bench]' $(if $(DJANGO_SPEC),'$(DJANGO_SPEC)')
	touch $@

bench: $(VENV)/.bench-installed
	@.ci/ensure-bench-tools
	$(BIN)/python -m bench.run

bench-signaling: $(VENV)/.bench-installed services
	$(BIN)/python bench/signaling.py --messages 1000 --idle 1000

bench-hpb: $(VENV)/.bench-installed services
	$(BIN)/python bench/hpb.py --clients 1000 --ping-requests 200 --ping-size 200

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-django52 db.sqlite3* .test-db.sqlite3* artifacts
