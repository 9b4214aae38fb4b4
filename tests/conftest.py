"""Shared fixtures: a fresh copy of the small test site, and a real headless chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import FIXTURES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", "test-secret-key-0123456789abcdef")
    for name in list(os.environ):
        if name.startswith("DIGEST_") and name != "DIGEST_SECRET_KEY":
            monkeypatch.delenv(name)


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/site (settings, content) in tmp_path."""
    dest = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", dest)
    return dest


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (make test installs both; nothing is skipped)."""
    from playwright.sync_api import expect, sync_playwright

    # a page waits for what it shows, never for a time: the 5 s default is a guess that a
    # machine with both cores busy misses; 30 s only stops a test that would hang
    expect.set_options(timeout=30_000)

    # chromium keeps the machine's clock when the tests run under libfaketime: no page reads
    # the date in the browser, and libfaketime makes chromium take seconds over each page
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()
