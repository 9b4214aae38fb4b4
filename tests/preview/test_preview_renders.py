"""What a save costs the preview (issue 24): the open page's edition is rendered before the
reload returns and the rest later, an edition whose selection and content did not change is
not rendered again, the word budget reuses the editions rendered anyway, and only the
changed file is parsed again. How fast is a figure of `make bench`, never asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURE_DAY

from digest.content import yamlio
from digest.content.load import load_site
from digest.preview.live import LiveSite
from digest.settings import load_settings

FORUM = "2025-07-test"
FORUM_FILE = Path("content/forums/2025-07-test.yaml")
SWALE = ("Swale", "primary", "mainstream")


@pytest.fixture
def preview(site_dir: Path) -> LiveSite:
    return LiveSite(lambda: load_settings(site_dir), as_of=FIXTURE_DAY, background=None)


def narrow_item(preview: LiveSite, site_dir: Path) -> tuple[str, int, int]:
    """(question of an item some editions of the forum hold and others not, written as is in
    the forum file; editions holding it; editions)."""
    build = preview.view(FORUM).build
    text = (site_dir / FORUM_FILE).read_text()
    for item in preview.site.forum(FORUM).items:
        holding = sum(1 for e in build.editions if item in e.items)
        if 0 < holding < len(build.editions) and f"question: {item.question}\n" in text:
            return item.question, holding, len(build.editions)
    raise AssertionError("the fixture forum has no item for some editions only")


def test_a_reload_renders_the_open_page_first_and_the_rest_when_asked(preview: LiveSite, site_dir: Path) -> None:
    renders = preview.renders
    first = preview.view(FORUM).build.cell(*SWALE)
    assert renders.rendered == 1  # only the page asked for
    forum = site_dir / FORUM_FILE
    forum.write_text(forum.read_text().replace("Swale schools lack access to SALT and OT.", "Swale lacks SALT."))
    preview.reload()
    assert renders.rendered == 2  # the open page's edition again, before the reload returned
    again = preview.view(FORUM).build.cell(*SWALE)
    assert renders.rendered == 2 and again is not first
    assert "Swale lacks SALT." in again.html and "Swale lacks SALT." not in first.html
    assert preview.findings == []  # the rest is for later (the background, or a page that needs it)
    view = preview.view(FORUM, whole=True)
    every = sum(len(preview.view(f).build.editions) for f in preview.site.forums)
    assert renders.rendered == 1 + every  # each edition of this load once, the open one first
    assert [title for title, _ in view.findings][-1] == "Editions over the word budget"


def test_only_the_editions_whose_content_changed_are_rendered_again(preview: LiveSite, site_dir: Path) -> None:
    renders = preview.renders
    preview.view(FORUM, whole=True)
    every = renders.rendered
    assert every >= len(preview.view(FORUM).build.editions)
    preview.reload()  # nothing changed
    preview.view(FORUM, whole=True)
    assert renders.rendered == every
    question, holding, editions = narrow_item(preview, site_dir)
    forum = site_dir / FORUM_FILE
    forum.write_text(forum.read_text().replace(f"question: {question}\n", f"question: {question} Edited?\n"))
    preview.reload()
    view = preview.view(FORUM, whole=True)
    assert renders.rendered == every + holding < every + editions
    held = [r for r in view.build.rendered.values() if any(i.question.endswith("Edited?") for i in r.edition.items)]
    assert len(held) == holding


def test_a_changed_template_renders_every_edition_again(preview: LiveSite, site_dir: Path) -> None:
    preview.view(FORUM, whole=True)
    every = preview.renders.rendered
    (site_dir / "site-templates").mkdir(exist_ok=True)
    (site_dir / "site-templates" / "email.css").write_text("p { color: #123456 }\n")
    preview.reload()
    view = preview.view(FORUM, whole=True)
    assert preview.renders.rendered >= 2 * every - 1
    assert "color:#123456" in view.build.cell(*SWALE).html


def test_the_budget_measures_the_editions_rendered_anyway(preview: LiveSite) -> None:
    view = preview.view(FORUM, whole=True)
    kept = preview.renders.rendered
    assert kept == sum(len(preview.view(f).build.editions) for f in preview.site.forums)
    assert view.findings[-1][0] == "Editions over the word budget"


def test_loading_again_parses_only_the_changed_file(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(site_dir)
    load_site(settings)
    parsed: list[str] = []
    real = yamlio.parse_yaml
    monkeypatch.setattr(yamlio, "parse_yaml", lambda text, display: parsed.append(display) or real(text, display))
    load_site(settings)
    assert parsed == []
    forum = site_dir / FORUM_FILE
    forum.write_text(forum.read_text().replace("Swale schools lack access to SALT and OT.", "Swale lacks SALT."))
    site = load_site(settings)
    assert parsed == [str(FORUM_FILE)]
    assert any(i.question.startswith("Swale lacks SALT.") for i in site.forum(FORUM).items)
