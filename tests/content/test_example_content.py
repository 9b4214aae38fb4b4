"""The shipped example content: clean, within budget, and free of questioners' data."""

from __future__ import annotations

from datetime import date

import pytest
from support import REPO
from support.privacy import found_in

from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.editions.build import build
from digest.settings import load_settings

# Officers' own work addresses, which the documents give as the way to reach them: in the
# emails, never on the public site unless digest.toml says so (nor may the people who asked
# questions in the source documents, their schools and addresses: support.privacy.REAL).
PERSONAL = [
    "georgette.williams@",
    "clara.green@",
    "maria.halford@",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    settings = load_settings(REPO, overrides={"paths.templates": str(tmp_path_factory.mktemp("no-overrides"))})
    site = run_checks(load_site(settings))
    out = tmp_path_factory.mktemp("build")
    return site, build(site, out, as_of=date(2024, 3, 22)), out  # the day after the March forum: its dates ahead


# Routes the documents never give: the answers say so, and `digest check` says so too.
HONEST = {
    "senia-child-not-in-school-ehcp-request": "'Parents can contact'",  # IASK: no address in either document
    "senia-refusal-to-assess": "'Schools can contact'",  # the SEN IA: their addresses are on a slide, not in it
    "app2-personalised-plans-as-ehcp-appendix": "'please liaise'",  # the parent/carer or the case officer
}


def test_example_content_checks_clean(built) -> None:
    site, _, _ = built
    assert site.problems.errors == []
    warned = {str(p).split(": ")[0]: str(p) for p in site.problems.warnings}
    assert len(warned) == len(HONEST) == len(site.problems.warnings)
    for item_id, told in HONEST.items():
        file, line = site.where(f"item:{item_id}")
        (found,) = [w for w in site.problems.warnings if str(w).startswith(f"{file}:") and f"says {told}" in str(w)]
        assert "gives no address, phone number or page" in str(found)
    assert set(site.forums) == {"2024-03-countywide", "2025-07-term6"}
    assert sum(len(f.items) for f in site.forums.values()) >= 100


def test_every_edition_is_within_the_gmail_budget(built) -> None:
    site, builds, _ = built
    for b in builds:
        for r in b.rendered.values():
            assert r.html_bytes < site.settings.render.max_html_bytes, r.edition.id


def readable(path) -> str:
    """A built file's text (the search index is plain JSON)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_questioner_personal_data_in_any_edition(built) -> None:
    _, _, out = built
    assert (out / "search" / "index.json").is_file()  # the search index is checked too
    texts = [(path.name, readable(path)) for path in out.rglob("*.*")]
    for name, text in texts:
        for needle in PERSONAL:
            assert needle not in text, f"{needle} in {name}"
    assert found_in(texts) == []  # the questioners, by digest (this file names nobody)


def test_no_value_in_the_content_is_illustrative_or_invented() -> None:
    """Only what the documents say: no example.org link or address, no illustrative time,
    and a date the document gives without a time has none."""
    for path in (REPO / "content").glob("**/*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "illustrative" not in text.lower(), path
        assert "example.org" not in text, path
    site = load_site(load_settings(REPO))
    events = {e.id: e for e in site.events}
    assert not events["mcs-primary-2024-05-02"].timed and not events["mcs-secondary-2024-06-25"].timed
    assert all(e.online is None and e.booking is None for e in events.values())  # the links were "(#)"
    assert not [e for e in events.values() if e.kind == "surgery"]  # the documents give no surgery dates
    assert not [c for c in site.contacts if c.id.startswith("senia-")]  # nor any adviser's address


def test_the_march_digest_has_still_to_come_and_no_kent_surgeries_for_medway(built) -> None:
    site, builds, _ = built
    march = next(b for b in builds if b.forum_id == "2024-03-countywide")
    medway = march.cell("Medway", "primary", "mainstream")
    assert "Still to come" in medway.html and "STILL TO COME" in medway.text.upper()
    assert "surger" not in medway.text.lower()  # the SEN IA surgeries are a Kent service
    kent = march.cell("Swale", "primary", "mainstream")
    assert "senia-hard-to-contact" in {i.id for i in kent.edition.items}
    pending = {i.id for i in site.forums["2024-03-countywide"].items if i.status == "pending"}
    assert pending == {
        "senia-ntl-why-no-ehcp-ideal",  # "We will address this question in a follow up forum."
        "senia-ntl-mobile-pupils-statutory-protection",  # "This will be addressed in a future forum."
        "trib-school-decision-letter-less-detail",  # "I will look into this and feedback in due course."
        "loc-ehcp-barrier-evidence",  # "I will be sure to point to evidence when making future comments."
        "loc-consultation-dates",  # "These will be made available as soon as possible."
    }


def test_officers_addresses_are_in_the_emails_and_on_the_public_site_only_when_told(tmp_path) -> None:
    settings = load_settings(REPO, overrides={"site.officer_addresses_public": True})
    site = run_checks(load_site(settings))
    builds = build(site, tmp_path, forum_ids=["2025-07-term6"], as_of=date(2025, 7, 11))
    cell = builds[0].cell("Swale", "primary", "mainstream")
    assert "mailto:clara.green@kent.gov.uk" in cell.html  # the route the document gives, in the email
    page = (tmp_path / "2025-07-term6" / "index.html").read_text(encoding="utf-8")
    assert "mailto:clara.green@kent.gov.uk" in page  # and, as digest.toml says here, in the archive


def test_medway_and_independent_readers_get_the_answers_that_concern_them(built) -> None:
    _, builds, _ = built
    july = next(b for b in builds if b.forum_id == "2025-07-term6")
    medway = {i.id for i in july.cell("Medway", "primary", "mainstream").edition.items}
    independent = {i.id for i in july.cell("Dover", "secondary", "independent").edition.items}
    kent = {i.id for i in july.cell("Dover", "secondary", "mainstream").edition.items}
    assert {"ic-medway-schools", "npi-medway-schools-included"} <= medway
    assert "ic-how-to-apply" not in medway and "ic-how-to-apply" in kent
    assert "ic-independent-schools" in independent and "ic-how-to-apply" not in independent
    assert "ic-medway-schools" not in kent
