"""Every edition of the example content, for every reader profile (issue 12): each
selected item is there as a headline linked to its full text in the archive, feedback
never is, the email keeps to the word budget, and the archive holds every item in full."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from support import REPO

from digest.content import wording
from digest.content.load import load_or_fail
from digest.editions.archive import write_archive
from digest.editions.calendar import feeds
from digest.editions.markup import to_text
from digest.editions.render import Renderer
from digest.editions.select import day_after, editions, today
from digest.settings import load_settings

PLAIN_QUOTES = str.maketrans("‘’“”–", "''\"\"-")  # Markdown's typographer curls quotes in the page


@pytest.fixture(scope="module")
def site():
    return load_or_fail(load_settings(REPO))


@pytest.fixture(scope="module")
def rendered(site) -> list:
    """Every distinct edition of both forums, as of today and as of the day after each forum
    (when all its dates are ahead, the longest it gets)."""
    renderer = Renderer(site.settings)
    out = []
    for forum in site.forums.values():
        for as_of in (today(), day_after(forum)):
            out += [renderer.render(e) for e in editions(site, forum, as_of, site.taxonomy.profiles())]
    return out


def test_every_profile_is_covered(site, rendered) -> None:
    profiles = {(r.edition.forum.id, r.edition.as_of, p) for r in rendered for p in r.edition.profiles}
    assert len(profiles) == len(site.forums) * 2 * len(list(site.taxonomy.profiles()))


def test_every_selected_item_is_a_headline_linked_to_its_archive_anchor(site, rendered) -> None:
    base = site.settings.site.base_url
    for r in rendered:
        forum = r.edition.forum
        for item in r.edition.items:
            url = f"{base}/{forum.id}/#{item.id}"
            links = re.findall(rf'<a href="{re.escape(url)}"[^>]*>([^<]+)</a>', r.html)  # "To do" may link it too
            assert links, (r.edition.id, item.id)
            assert any(html.unescape(text).startswith(wording.headline(item)[:20]) for text in links)
            assert url in r.text, (r.edition.id, item.id)


def test_feedback_is_never_sent_as_an_item_but_counted_in_one_line(site, rendered) -> None:
    feedback = {i.id for f in site.forums.values() for i in f.items if i.feedback}
    assert len(feedback) >= 10  # the example forums have comments with nothing in them for readers
    for r in rendered:
        assert feedback.isdisjoint(i.id for i in r.edition.items)
        for item_id in feedback:
            assert f"#{item_id}" not in r.html and f"#{item_id}" not in r.text
        n = sum(1 for i in r.edition.forum.items if i.feedback)
        if n:
            assert r.text.count("on the forum itself") == 1 and f"{n} comment" in r.text


def test_every_email_keeps_to_the_word_budget(site, rendered) -> None:
    budget = site.settings.render.words_budget
    assert budget == 1200
    longest = max(rendered, key=lambda r: r.length.words)
    assert longest.length.words <= budget, (longest.edition.id, longest.length)
    assert all(r.length.screens <= 10 for r in rendered)  # estimated; chromium checks the longest


def test_for_your_school_comes_first_and_every_part_is_in_order(rendered) -> None:
    order = ["FOR YOUR SCHOOL", "DATES FOR YOUR DIARY", "HIGHLIGHTS", "EVERYTHING ELSE", "STILL TO COME"]
    seen = 0
    for r in rendered:
        at = [r.text.find(f"\n{h}\n") for h in order]
        present = [a for a in at if a >= 0]
        assert present == sorted(present), r.edition.id
        if r.edition.parts.yours:
            seen += 1
            assert at[0] == min(present)
    assert seen > 0


def test_the_archive_holds_every_item_in_full(site, tmp_path) -> None:
    renderer = Renderer(site.settings)
    write_archive(site, tmp_path, date(2026, 12, 3), renderer, feeds(site))
    for forum in site.forums.values():
        page = html.unescape((tmp_path / forum.id / "index.html").read_text(encoding="utf-8"))
        text = " ".join(re.sub(r"<[^>]+>", "", page).split()).translate(PLAIN_QUOTES)
        for item in forum.items:
            assert f'id="{item.id}"' in page, item.id
            assert " ".join(to_text(item.question, 10_000).split())[:80].translate(PLAIN_QUOTES) in text, item.id
            if item.answer and not item.feedback:
                first = wording.plain(item.answer)[:40].translate(PLAIN_QUOTES)
                assert first in text, item.id
            if item.answered_by:
                assert next(c.name for c in site.contacts if c.id == item.answered_by) in text
