"""Helpers shared by the tests (on the path through pytest's `pythonpath`), and where things are."""

from datetime import date
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
SOURCES = REPO / "content" / "sources"  # the source documents, every questioner's personal data removed

# The day after the fixture forum (tests/fixtures/site): sends, builds and previews are as of
# today unless told otherwise, so tests that expect the fixture's dates say which day it is.

FIXTURE_DAY = date(2025, 7, 11)
