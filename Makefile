# One task runner for people and CI. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DIGEST_SECRET_KEY ?= demo-only-secret-not-for-production

.PHONY: demo demo-follow-up test lint bench lengths clean check build chromium spamassassin faketime dovecot serve preview

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo writes and sends as of the day after the latest forum (demo/as_of.py): as of today,
# every date in the example content would be past, with no dates, calendars or reminders to see.
demo: $(STAMP)
	$(BIN)/digest check
	@AS_OF=$$($(BIN)/python -m demo.as_of) || exit 1; \
	echo "The demo is written and sent as of $$AS_OF, the day after the latest forum, so its dates are still to come."; \
	$(BIN)/digest build --as-of "$$AS_OF" && \
	$(BIN)/digest subscribers import --skip-existing content/subscribers.example.csv && \
	for f in content/forums/*.yaml; do $(BIN)/digest send --forum "$$(basename "$$f" .yaml)" --as-of "$$AS_OF" || exit 1; done && \
	$(BIN)/digest bounces && \
	$(BIN)/digest report
	$(BIN)/digest schedules
	@echo
	@echo "Every email and page above is as of the day after the latest forum (python -m demo.as_of), not today:"
	@echo "'digest build' and 'digest send' without --as-of write for today, when the example dates are past."
	@echo "Open build/index.html for the archive (build/editions.html: every edition of every forum),"
	@echo "and var/outbox/ in a mail client (e.g. mutt -f var/outbox) to read what each subscriber was sent."
	@echo "var/report.html is the delivery report; bounces dropped into var/bounces/new/ are read by 'digest bounces'."
	@echo "Then 'make serve' and open http://127.0.0.1:8000/ to search every answer (and the subscribe and"
	@echo "preference pages), or 'make preview' to edit content and watch every edition."

# After the demo: one of the July forum's answers still to come arrives, and the follow-up goes to the
# example readers who were waiting for it (docs/follow-ups.md). The answer is written into a copy of
# content/ under var/, so the tracked files stay as they are.
FOLLOW_UP_COPY := var/follow-up-demo/content
demo-follow-up: demo
	rm -rf $(FOLLOW_UP_COPY) && mkdir -p $(dir $(FOLLOW_UP_COPY)) && cp -R content $(FOLLOW_UP_COPY)
	$(BIN)/python -m demo.answer --demo $(FOLLOW_UP_COPY)
	DIGEST_CONTENT=$(FOLLOW_UP_COPY) $(BIN)/digest check
	AS_OF=$$($(BIN)/python -m demo.as_of) && \
	DIGEST_CONTENT=$(FOLLOW_UP_COPY) $(BIN)/digest send --forum 2025-07-term6 --follow-up --dry-run --as-of "$$AS_OF" && \
	DIGEST_CONTENT=$(FOLLOW_UP_COPY) $(BIN)/digest send --forum 2025-07-term6 --follow-up --as-of "$$AS_OF"
	@echo
	@echo "The follow-ups are the newest messages in var/outbox/new/ (subject: ... 1 answer you were waiting for)."
	@echo "To see them in the preview: DIGEST_CONTENT=$(FOLLOW_UP_COPY) $(BIN)/digest preview, then Follow-ups."

# The web pages with the demo signing key (set your own DIGEST_SECRET_KEY for real use), on
# 127.0.0.1:8000 and :8001; another port with `make serve PORT=8080`. While site.base_url is
# not set, the links they mail lead back to them.
serve: $(STAMP)
	$(BIN)/digest serve $(if $(PORT),--port $(PORT))

preview: $(STAMP)
	$(BIN)/digest preview $(if $(PORT),--port $(PORT))

check: $(STAMP)
	$(BIN)/digest check

build: $(STAMP)
	$(BIN)/digest build

# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's SpamAssassin for the test that scores every example edition (local rules only, no network).
spamassassin:
	@command -v spamd >/dev/null 2>&1 && command -v spamc >/dev/null 2>&1 || { \
	  echo "Installing Debian's spamassassin for the spam-score test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq spamassassin spamc >/dev/null; }

# Debian's libfaketime for the test that reruns the date-sensitive tests with the wall clock
# moved years ahead (tests/test_any_day.py).
faketime:
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "Installing Debian's faketime for the tests that move the clock"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; }

# Debian's dovecot for the test that reads bounces over IMAP with verified TLS (tests/delivery/test_bounce_imap.py
# runs its own instance as the current user, on a free port, with a throwaway CA; the system's service is not used).
dovecot:
	@command -v /usr/sbin/dovecot >/dev/null 2>&1 || { \
	  echo "Installing Debian's dovecot for the IMAP bounce test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

# axe-core, pinned by package-lock.json, for the accessibility checks in the browser tests.
# npm ci keeps the package's own file dates, so touch the target to mark it installed.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's npm for the accessibility checks"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund
	touch $@

test: $(STAMP) chromium spamassassin faketime dovecot node_modules/axe-core/axe.min.js
	$(BIN)/ruff check digest tests bench demo
	$(BIN)/ruff format --check digest tests bench demo
	$(BIN)/python -m pytest

# Every figure of docs/benchmarks.md (about 5 minutes); prints the table and writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# Every edition's length against the Q&A document it replaces (issue 12's measure).
lengths: $(STAMP)
	$(BIN)/python -m bench.lengths

lint: $(STAMP)
	$(BIN)/ruff check digest tests bench demo
	$(BIN)/ruff format --check digest tests bench demo

clean:
	rm -rf build var .pytest_cache
