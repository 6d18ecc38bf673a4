# The two commands of the README. Both work on a fresh machine with only Python 3.11:
# they create .venv themselves and need no PostgreSQL (DATABASE_URL switches to it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint ruff bench docs clean mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

# The demo is served over plain HTTP on the loopback address, so its cookies cannot be
# "Secure", and its officer accounts sign in without the TOTP step; production keeps both
# defaults (secure cookies behind its TLS proxy, TOTP for the three officers).
# `make run PORT=8001 HOST=0.0.0.0` serves elsewhere than 127.0.0.1:8000.
HOST ?= 127.0.0.1
PORT ?= 8000

run: $(VENV)/.installed-run
	CANPEI_SECURE_COOKIES=$${CANPEI_SECURE_COOKIES:-0} CANPEI_ADMIN_TOTP=$${CANPEI_ADMIN_TOTP:-0} \
		$(BIN)/canpei run --demo --host $(HOST) --port $(PORT)

# ruff (lint everywhere, format on tests/ and bench/: see [tool.ruff.format] for why not canpei/)
# and mypy over canpei/ and tests/ (pyproject.toml's [tool.mypy]).
lint: $(VENV)/.installed-test ruff
	$(BIN)/mypy canpei tests

ruff: $(VENV)/.installed-test
	$(BIN)/ruff check canpei tests bench
	$(BIN)/ruff format --check canpei tests bench

# xdist workers, each with its own test database (pytest-django suffixes its name) and, for the
# browser tests, its own live server and Chromium. Two: the cores of the machine the suite is
# timed on; `make test PYTEST_WORKERS=auto` uses every core, `PYTEST_WORKERS=0` one process.
# xdist's default "load" distribution on purpose: loadscope/loadfile/loadgroup key tests by node
# id, and schemathesis gives all its generated operation tests one node id, so those modes
# silently run one of them instead of 58.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-test lint
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The generated parts of docs/ (data dictionary, state diagrams), then the manuals' screenshots,
# taken by the browser tests marked `screenshots` from the demo data (needs /usr/bin/chromium).
docs: $(VENV)/.installed-test
	$(BIN)/canpei docs
	CANPEI_REQUIRE_BROWSER=1 $(BIN)/pytest -p no:randomly tests/browser/test_help_pages.py

bench: $(VENV)/.installed-test
	$(BIN)/python bench/persons.py

clean:
	rm -rf $(VENV) var mutants

# Mutation testing of the rule modules (issue 18): not part of `make test` or CI (it takes long).
# MUTATE_SAMPLE=N: a seeded random sample of N mutants per module; MUTATE_MODULE=path: one module.
mutate: $(VENV)/.installed-test
	nice -n 19 $(BIN)/python -m tests.mutation.run
