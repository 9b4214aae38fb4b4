# One task runner for people and CI. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DIGEST_SECRET_KEY ?= demo-only-secret-not-for-production

.PHONY: demo test lint bench clean check build

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/digest check
	$(BIN)/digest build
	@echo
	@echo "Open build/index.html to see every edition of every forum."

check: $(STAMP)
	$(BIN)/digest check

build: $(STAMP)
	$(BIN)/digest build

test: $(STAMP)
	$(BIN)/ruff check digest tests
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check digest tests bench
	$(BIN)/ruff format --check digest tests bench

clean:
	rm -rf build var .pytest_cache
