"""Dates inside answers that have gone by are marked as past, in the email and the archive."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support import REPO

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.archive import write_archive
from digest.editions.calendar import feeds
from digest.editions.past import mark_past
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.settings import load_settings

FORUM_DAY = date(2024, 3, 21)


@pytest.mark.parametrize(
    ("text", "as_of", "marked"),
    [
        ("Tuesday 7 May 2024, 2.00pm", date(2024, 5, 8), "Tuesday 7 May 2024, now past, 2.00pm"),
        ("Tuesday 7 May 2024, 2.00pm", date(2024, 5, 7), "Tuesday 7 May 2024, 2.00pm"),  # on the day: not yet
        ("on 25 June and 07/05/2024", date(2024, 9, 1), "on 25 June, now past, and 07/05/2024, now past"),
        ("book a place (2 May)", date(2024, 9, 1), "book a place (2 May, now past)"),  # never "(2 May (past))"
        ("book by **2 May** to attend", date(2024, 9, 1), "book by **2 May, now past,** to attend"),
        ("by 1st January", date(2024, 12, 1), "by 1st January"),  # no year: the next one after the forum
        ("Sept 3rd and 3rd Sept 2024", date(2024, 9, 4), "Sept 3rd and 3rd Sept 2024, now past"),
        ("the 2 may plan", date(2026, 1, 1), "the 2 may plan"),  # not a date as written
        ("7 May 2024, now past.", date(2026, 1, 1), "7 May 2024, now past."),  # never marked twice
    ],
)
def test_mark_past(text: str, as_of: date, marked: str) -> None:
    assert mark_past(text, as_of, FORUM_DAY) == marked


def test_an_archive_built_after_the_sessions_marks_them_past(tmp_path: Path) -> None:
    site = load_or_fail(load_settings(REPO))
    write_archive(site, tmp_path, date(2026, 12, 3), Renderer(site.settings), feeds(site))
    page = (tmp_path / "2024-03-countywide" / "index.html").read_text(encoding="utf-8")
    assert "primary on 2 May, now past" in page  # the primary MCS training, in its headline


def test_an_email_sent_before_them_does_not() -> None:
    site = load_or_fail(load_settings(REPO))
    forum = site.forum("2024-03-countywide")
    reader = Profile("Swale", ("primary",), "mainstream")
    renderer = Renderer(site.settings)
    assert "now past" not in renderer.render(select(site, forum, date(2024, 3, 22), reader)).text
    later = renderer.render(select(site, forum, date(2024, 7, 1), reader))
    assert "primary on 2 May, now past" in later.text  # the primary MCS training, in its headline
