"""The shipped example content: clean, within budget, and free of questioners' data."""

from __future__ import annotations

import re
from datetime import date

import pytest
from support import REPO
from support.privacy import found_in

from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.editions.build import build
from digest.settings import load_settings

# Officers' personal addresses: none may reach a digest (nor may the people who asked
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


def test_example_content_checks_clean(built) -> None:
    site, _, _ = built
    assert [str(p) for p in site.problems.items] == []
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


def test_each_district_gets_its_own_surgery_and_adviser_only(built) -> None:
    site, builds, _ = built
    march = next(b for b in builds if b.forum_id == "2024-03-countywide")
    for district in site.taxonomy.kent:
        r = march.cell(district, "primary", "mainstream")
        surgeries = [u.event.title for u in r.edition.events if u.event.kind == "surgery"]
        assert len(surgeries) == 1 and district in surgeries[0], (district, surgeries)
        advisers = [c.name for c in r.edition.contacts if re.search(r"Inclusion Adviser, ", c.name)]
        assert len(advisers) == 1 and district in advisers[0], (district, advisers)


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
