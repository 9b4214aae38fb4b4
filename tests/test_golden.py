"""Golden output, as rss2email and Pelican keep it: one whole message of an edition, and the
files a build of the small fixture site writes, each with its hash. A change to either
shows here as a diff to review (UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

from support import FIXTURE_DAY
from support.golden import golden

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.delivery.compose import Personaliser, template_for
from digest.editions.build import build
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.readers.tokens import Signer
from digest.settings import load_settings


def normalised(raw: bytes) -> str:
    """The message with its Date and MIME boundaries replaced by fixed names."""
    text = raw.decode("ascii")
    text = re.sub(r"^Date: .*$", "Date: <DATE>", text, count=1, flags=re.M)
    for n, boundary in enumerate(dict.fromkeys(re.findall(r'boundary="([^"]+)"', text)), 1):
        text = text.replace(boundary, f"BOUNDARY-{n}")
    return text


def test_golden_message_of_an_edition(site_dir: Path) -> None:
    site = load_or_fail(load_settings(site_dir))
    edition = select(site, site.forum("2025-07-test"), FIXTURE_DAY, Profile("Swale", ("primary",), "mainstream"))
    rendered = Renderer(site.settings).render(edition)
    key = "forum:2025-07-test@2025-07-11"
    template = template_for(site.settings, rendered, key, date=datetime(2025, 7, 11, 7, 0, tzinfo=UTC))
    person = Personaliser(site.settings, key, Signer(b"golden-message-key-0123456789"))
    raw = person.message(template, 7, "senco@oak.example", "Sam Reader", "a primary mainstream school in Swale")
    golden("swale-primary-mainstream.eml", normalised(raw))


def test_golden_build_tree(site_dir: Path, tmp_path: Path) -> None:
    """Built as of the day after the fixture forum, as `digest build --as-of` does: the
    editions pages say which day their editions are for, and a plain build means today."""
    out = tmp_path / "site"
    build(load_or_fail(load_settings(site_dir)), out, as_of=FIXTURE_DAY)
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}  {p.relative_to(out).as_posix()}" for p in files]
    golden("build-tree.txt", "\n".join(lines) + "\n")
