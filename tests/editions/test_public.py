"""What the public site leaves out: officers' own addresses, unless digest.toml says otherwise."""

from __future__ import annotations

from pathlib import Path

from digest.content.load import load_or_fail
from digest.editions.public import IN_EMAIL, public
from digest.settings import load_settings

OFFICER = "  - id: jo-bloggs\n    name: Jo Bloggs, KCC\n    email: Jo.Bloggs@kent.gov.uk\n    officer: true\n"


def site_with_an_officer(site_dir: Path, shown: bool = False):
    contacts = site_dir / "content" / "contacts.yaml"
    contacts.write_text(contacts.read_text() + OFFICER)
    return load_or_fail(load_settings(site_dir, overrides={"site.officer_addresses_public": shown}))


def test_an_officers_address_reads_as_in_the_emailed_digest(site_dir: Path) -> None:
    site = site_with_an_officer(site_dir)
    page = (
        '<p>Email <a href="mailto:jo.bloggs@kent.gov.uk" style="color:#1d70b8">jo.bloggs@kent.gov.uk</a>.</p>'
        '<li><a style="x" href="mailto:Jo.Bloggs@kent.gov.uk">Email Jo Bloggs (KCC)</a></li>'
        "<p>or jo.bloggs@kent.gov.uk; the team: SENDataCoordination@kent.gov.uk</p>"
    )
    assert public(page, site) == (
        f"<p>Email {IN_EMAIL}.</p>"
        f"<li>Email Jo Bloggs (KCC) ({IN_EMAIL})</li>"
        f"<p>or {IN_EMAIL}; the team: SENDataCoordination@kent.gov.uk</p>"  # a team's address stays
    )


def test_digest_toml_may_show_them(site_dir: Path) -> None:
    site = site_with_an_officer(site_dir, shown=True)
    page = '<a href="mailto:jo.bloggs@kent.gov.uk">jo.bloggs@kent.gov.uk</a>'
    assert public(page, site) == page
