# One task runner for people and CI. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DIGEST_SECRET_KEY ?= demo-only-secret-not-for-production

.PHONY: demo test lint bench clean check build chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/digest check
	$(BIN)/digest build
# TODO(lead): uncomment once `digest subscribers import` (subscriptions branch) is merged.
#	$(BIN)/digest subscribers import content/subscribers.example.csv --skip-existing
	for f in content/forums/*.yaml; do $(BIN)/digest send --forum "$$(basename "$$f" .yaml)" || exit 1; done
	@echo
	@echo "Open build/index.html to see every edition of every forum,"
	@echo "and var/outbox/ in a mail client (e.g. mutt -f var/outbox) to read what each subscriber was sent."

check: $(STAMP)
	$(BIN)/digest check

build: $(STAMP)
	$(BIN)/digest build

# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) chromium
	$(BIN)/ruff check digest tests
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check digest tests bench
	$(BIN)/ruff format --check digest tests bench

clean:
	rm -rf build var .pytest_cache
