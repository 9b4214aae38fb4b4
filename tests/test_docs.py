"""The documentation a new user reads: every file and section it points to exists, and
none of it still speaks of work waiting to be merged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

from digest.cli.main import cli
from digest.settings import WebSettings

READ = [REPO / "README.md", REPO / "digest.toml", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
MENTION = re.compile(r"(?<![\w/.])(docs/[\w-]+\.md)")


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a page's headings."""
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


@pytest.mark.parametrize("page", READ, ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_and_section_a_page_points_to_exists(page: Path) -> None:
    text = page.read_text()
    missing = []
    targets = [(t, page.parent) for t in LINK.findall(text)] + [(t, REPO) for t in MENTION.findall(text)]
    for target, base in targets:  # a link is relative to its page, a docs/... mention to the project
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = base / path if path else page
        sections = anchors(file.read_text()) if file.suffix == ".md" and file.exists() else set()
        if not file.exists() or (anchor and anchor not in sections):
            missing.append(target)
    assert missing == []


@pytest.mark.parametrize("page", READ, ids=lambda p: str(p.relative_to(REPO)))
def test_no_page_speaks_of_work_still_to_be_merged(page: Path) -> None:
    """'(after merging the calendar branch)', 'For now the message is not sent' and 'The
    delivery stage will send it for real' described what was to come, long after it came."""
    stale = re.compile(
        r"after merging|until [^.]* lands|\bfor now\b|will send it for real|\bnot yet (?:merged|built)", re.I
    )
    text = page.read_text()
    if page.name == "CHANGELOG.md":
        text = text.split("\n## ", 2)[1]  # only what is unreleased: history may speak of its own time
    assert stale.findall(text) == []


def test_make_serve_and_make_preview_listen_on_different_ports() -> None:
    preview = next(p for p in cli.commands["preview"].params if p.name == "port")
    assert preview.default != WebSettings().port
    makefile = (REPO / "Makefile").read_text()
    for target in ("serve", "preview"):  # the Makefile runs both with their defaults, unless PORT= is given
        recipe = makefile.split(f"\n{target}: ", 1)[1].split("\n\n", 1)[0]
        assert f"digest {target} $(if $(PORT),--port $(PORT))" in recipe
        assert "--port" not in recipe.replace("$(if $(PORT),--port $(PORT))", "")
