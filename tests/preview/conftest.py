"""The preview as its tests drive it: the fixture site as of the day after its forum, and a
client for its pages (no file watching)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import FIXTURE_DAY

from digest.preview.app import create_app
from digest.preview.live import LiveSite
from digest.settings import load_settings


@pytest.fixture
def preview(site_dir: Path) -> LiveSite:
    return LiveSite(lambda: load_settings(site_dir), as_of=FIXTURE_DAY)


@pytest.fixture
def client(preview: LiveSite):
    with TestClient(create_app(preview, watch=False), base_url="http://127.0.0.1") as c:
        yield c
