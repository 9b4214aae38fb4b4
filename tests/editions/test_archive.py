"""The archive beyond each forum's page (issue 13): a page per topic across the forums,
answers a later one changed, the data its filters read, and the search index `digest
build` writes for the search page."""

from __future__ import annotations

import hashlib
import html
import json
import re
from itertools import product
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXTURE_DAY, REPO

from digest.cli.main import cli
from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.archive import entries, topics
from digest.editions.build import build
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.settings import load_settings


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example content, built once: (site, build folder)."""
    site = load_or_fail(load_settings(REPO))
    out = tmp_path_factory.mktemp("example-build")
    build(site, out)
    return site, out


def articles(page: str) -> dict[str, dict[str, str]]:
    """Each item on a page, by id, with its data attributes."""
    out = {}
    for attrs in re.findall(r'<article class="item" ([^>]*)>', page):
        found = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        out[found["id"]] = {
            k.removeprefix("data-"): html.unescape(v) for k, v in found.items() if k.startswith("data-")
        }
    return out


def test_each_topic_page_gathers_its_items_across_forums_newest_first(example) -> None:
    site, out = example
    every = topics(site, entries(site, FIXTURE_DAY, Renderer(site.settings)))
    assert len(every) >= 15
    questions = [(f, i) for f in site.forums.values() for i in f.items if not i.feedback]
    home = (out / "index.html").read_text()
    for topic in every:
        page = (out / topic.path).read_text()
        assert f'href="{topic.path}"' in home
        expected = [
            i.id for f, i in sorted(questions, key=lambda fi: -max(fi[0].dates).toordinal()) if topic.name in i.topics
        ]
        assert list(articles(page)) == expected, topic.name
        for forum, es in topic.groups:  # each item with its forum and date, linked to its anchor there
            for e in es:
                assert f'<a href="../{forum.id}/index.html#{e.item.id}">{forum.title}</a>' in page
    phase_transfer = (out / "topics/phase-transfer.html").read_text()
    forums = re.findall(r'<h2 id="f-([\w-]+)">', phase_transfer)
    assert forums == ["2025-07-term6", "2024-03-countywide"]  # both forums, the newest first


def test_an_answer_a_later_forum_changed_says_so_on_both(example) -> None:
    _, out = example
    for page in ("topics/speech-and-language-balanced-system.html", "2024-03-countywide/index.html"):
        text = (out / page).read_text()
        earlier = text.split('id="bs-rollout-rest-of-county"', 1)[1].split("</article>", 1)[0]
        assert '<span class="badge changed">Changed later</span>' in earlier
        assert "A later answer changed this one:" in earlier
        assert "Swale speech and language therapy: Balanced System NHS contract from 27 October 2025" in earlier
        assert "Term 6 Countywide SENCO Forum, 2 and 10 July 2025; for Swale" in earlier
    july = (out / "2025-07-term6/index.html").read_text()
    later = july.split('id="bs-swale-salt-ot-access"', 1)[1].split("</article>", 1)[0]
    assert (
        'This answer changes an earlier one: <a href="../2024-03-countywide/index.html#bs-rollout-rest-of-county">'
        in later
    )
    topic = (out / "topics/speech-and-language-balanced-system.html").read_text()
    assert '<a href="#bs-rollout-rest-of-county">Balanced System rollout' in topic  # on the same page: in-page


def test_the_filters_data_is_exactly_who_each_item_reaches(example) -> None:
    """For every single-phase school: an item shows under the filters exactly when its rule
    matches, which is exactly when the school's edition selects it."""
    site, out = example
    tax = site.taxonomy
    for forum in site.forums.values():
        shown = articles((out / forum.id / "index.html").read_text())
        assert set(shown) == {i.id for i in forum.items if not i.feedback}
        assert any(shown.values()) and not all(shown.values())  # some narrowed, most for everyone
        for d, p, s in product(tax.districts, tax.phases, tax.settings):
            profile = Profile(d, (p,), s)
            by_filter = {
                i
                for i, data in shown.items()
                if all(v in data.get(k, v).split("|") for k, v in (("districts", d), ("phases", p), ("settings", s)))
            }
            assert by_filter == {i.id for i in select(site, forum, FIXTURE_DAY, profile).items}, profile


def index(out: Path) -> dict:
    return json.loads((out / "search" / "index.json").read_text())


def test_the_index_holds_every_item_with_what_a_result_shows_and_its_filters(example) -> None:
    site, out = example
    data = index(out)
    records = {r["link"]: r for r in data["items"]}
    questions = [(f, i) for f in site.forums.values() for i in f.items if not i.feedback]
    assert len(records) == len(data["items"]) == len(questions)
    tax = site.taxonomy
    for forum, item in questions:
        record = records[f"{forum.id}/index.html#{item.id}"]
        assert record["id"] == item.id and record["forum"] == forum.title
        assert record["status"] in ("Answered", "Answer to come", "More to follow")
        assert (item.status == "pending") == (record["status"] == "Answer to come")
        assert record["title"] and record["date"].endswith(str(max(forum.dates).year))
        reach = tax.reach(site.rule("item", item.id))
        assert (record["district"], record["phase"], record["setting"]) == (
            reach["districts"],
            reach["phases"],
            reach["settings"],
        )
        for topic in item.topics:
            assert topic in record["more"]
    senia = records["2024-03-countywide/index.html#senia-hard-to-contact"]
    assert "SEN IA Surgeries" in senia["answer"] and "SEND Enquiries Hub" in senia["answer"]  # the council's words
    assert records["2024-03-countywide/index.html#bs-rollout-rest-of-county"]["changed"] is True
    assert ["SENIA", "SEN IA", "SEN Inclusion Adviser"] in data["synonyms"]  # the page reads every form
    assert {"la", "ep"} <= set(data["abbreviations"]) and "the" not in data["abbreviations"]


def test_the_site_serves_everything_the_search_needs_itself(example) -> None:
    site, out = example
    page = (out / "search.html").read_text()
    assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", page) == ["assets/search.js"]
    imports = re.findall(r'^import .* from "(.+)";$', (out / "assets" / "search.js").read_text(), re.M)
    assert imports == ["./choice.js", "./finder.js"]
    finder = (out / "assets" / "finder.js").read_text()
    assert re.findall(r'^import .* from "(.+)";$', finder, re.M) == ["./minisearch.js"]
    vendored = (out / "assets" / "minisearch.js").read_text()
    assert vendored.startswith("// MiniSearch 7.2.0") and "export { MiniSearch as default };" in vendored
    assert "sourceMappingURL" not in vendored  # no request for a map the site does not have
    published = re.search(r"SHA-256 .*?:\n// ([0-9a-f]{64})", vendored)[1]
    code = vendored[vendored.index("\n\n") + 2 :] + "//# sourceMappingURL=index.js.map\n"
    assert hashlib.sha256(code.encode()).hexdigest() == published  # the npm package's file, unchanged
    assert not re.search(r"\bimport\s*\(|XMLHttpRequest|WebSocket", vendored)  # nor for anything else
    assert not (out / "pagefind").exists()
    assert (out / "search" / "index.json").stat().st_size < 300_000  # every answer, whole


def test_a_rebuild_replaces_the_index_whole(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    site = load_or_fail(load_settings(site_dir))
    first = build(site, out, as_of=FIXTURE_DAY).index
    assert first.records == 5 and first.bytes == (out / "search" / "index.json").stat().st_size
    forum = site_dir / "content/forums/2025-07-test.yaml"
    forum.write_text(
        forum.read_text().replace("OOC schools have a separate process.", "OOC schools have their own process.")
    )
    build(load_or_fail(load_settings(site_dir)), out, as_of=FIXTURE_DAY)
    text = (out / "search" / "index.json").read_text()
    assert "their own process" in text and "a separate process" not in text
    assert [p.name for p in (out / "search").iterdir()] == ["index.json"]  # no temporary file left


def test_build_says_what_the_index_holds(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "build", "--as-of", "2025-07-11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(rf"Search index: 5 answers, \d+ KB in {re.escape(str(out / 'search'))}, [\d.]+ s\n", result.output)
