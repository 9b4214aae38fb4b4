"""What a new user tripped on (issue 16.11): the organisation written twice in every
footer, and counts such as "1 dates" on the build's pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from starlette.testclient import TestClient
from support import FIXTURE_DAY, REPO

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.build import build
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.schedules.files import load_schedules
from digest.schedules.kinds import KINDS
from digest.settings import load_settings
from digest.web.app import create_app

TWICE = re.compile(r"Kent SENCO Forum\W{1,4}Kent SENCO Forum")
BAD_COUNT = re.compile(
    r"\b1 (answers|dates|words|minutes|editions|readers|questions)\b|\b(0|[2-9]\d*) (answer|date|word|question)\b(?![-\w])"
)


def test_every_footer_names_the_organisation_once(tmp_path: Path) -> None:
    settings = load_settings(REPO)
    site = load_or_fail(settings)
    forum = site.forum("2025-07-term6")
    rendered = Renderer(settings).render(
        select(site, forum, date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    )
    texts = [rendered.html, rendered.text]
    schedules, _ = load_schedules(settings, site)
    reminder = next(s for s in schedules if s.kind == "upcoming-dates")
    plan = KINDS["upcoming-dates"].plan(settings, site, reminder, date(2025, 9, 15), "schedule:test")
    plan.add([Profile("Swale", ("primary",), "mainstream")])
    texts += [p.rendered.text for p in plan.prepared] + [p.rendered.html for p in plan.prepared]
    with TestClient(create_app(settings)) as client:
        texts.append(client.get("/subscribe").text)
    build(site, tmp_path / "site", as_of=date(2025, 7, 11))
    texts += [
        (tmp_path / "site" / page).read_text() for page in ("index.html", "2025-07-term6/index.html", "editions.html")
    ]
    assert len(texts) >= 8
    for text in texts:
        assert "Sessions House" in text
        assert not TWICE.search(text), TWICE.search(text)


def test_counts_agree_with_their_number_on_the_build_pages(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_or_fail(load_settings(site_dir)), out, as_of=FIXTURE_DAY)
    pages = [p.read_text() for p in out.rglob("*.html")]
    assert any(re.search(r"\b1 date\b", p) for p in pages)  # the fixture has editions with one date
    for page in pages:
        assert not BAD_COUNT.search(page), BAD_COUNT.search(page)
