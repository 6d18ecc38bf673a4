# The two commands of the README. Both work on a fresh machine with only Python 3.11:
# they create .venv themselves and need no PostgreSQL (DATABASE_URL switches to it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

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
run: $(VENV)/.installed-run
	CANPEI_SECURE_COOKIES=$${CANPEI_SECURE_COOKIES:-0} CANPEI_ADMIN_TOTP=$${CANPEI_ADMIN_TOTP:-0} \
		$(BIN)/canpei run --demo

lint: $(VENV)/.installed-test
	$(BIN)/mypy canpei

test: $(VENV)/.installed-test lint
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/persons.py

clean:
	rm -rf $(VENV) var
