"""Audience selection: each edition holds exactly what its audience rules select."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.select import day_after, editions, occurrences, select, today
from digest.fmt import LONDON
from digest.settings import load_settings


@pytest.fixture
def site(site_dir: Path):
    return load_or_fail(load_settings(site_dir))


def ids(edition) -> list[str]:
    return [i.id for i in edition.items]


def test_swale_primary_mainstream_gets_swale_and_primary_items(site) -> None:
    forum = site.forum("2025-07-test")
    e = select(site, forum, date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    assert ids(e) == ["pt-preference-email", "pt-summer", "swale-salt", "year-r-funding"]
    assert [u.event.id for u in e.events] == ["surgery-swale", "mcs-primary"]
    assert [c.id for c in e.contacts] == ["sen-data", "senia-swale"]


def test_medway_secondary_independent_gets_only_what_is_open_to_it(site) -> None:
    forum = site.forum("2025-07-test")
    e = select(site, forum, date(2025, 7, 11), Profile("Medway", ("secondary",), "independent"))
    assert ids(e) == ["pt-preference-email", "pt-medway", "pt-summer"]
    assert e.events == ()
    assert [c.id for c in e.contacts] == ["sen-data"]


def test_exclusion_of_a_setting_and_any_matching_phase(site) -> None:
    forum = site.forum("2025-07-test")
    independent = select(site, forum, date(2025, 7, 11), Profile("Dover", ("primary", "secondary"), "independent"))
    special = select(site, forum, date(2025, 7, 11), Profile("Dover", ("primary", "secondary"), "special"))
    assert "year-r-funding" not in ids(independent)
    assert "year-r-funding" in ids(special)  # one of the reader's phases is primary


def test_past_dates_are_dropped_and_weekly_surgery_shows_next_occurrences(site) -> None:
    forum = site.forum("2025-07-test")
    e = select(site, forum, date(2025, 10, 20), Profile("Swale", ("secondary",), "mainstream"))
    (surgery,) = e.events
    assert surgery.start.date() == date(2025, 10, 21)
    # 28 October is excepted (half term): the next ones skip it
    assert [d.date() for d in surgery.later] == [date(2025, 11, 4), date(2025, 11, 11)]


def test_weekly_occurrences_keep_local_time_across_the_clock_change(site) -> None:
    surgery = next(ev for ev in site.events if ev.id == "surgery-swale")
    occ = {s.date(): s for s, _ in occurrences(surgery)}
    before, after = occ[date(2025, 10, 21)], occ[date(2025, 11, 4)]
    assert (before.hour, before.minute, after.hour, after.minute) == (15, 30, 15, 30)
    assert before.utcoffset().total_seconds() == 3600 and after.utcoffset().total_seconds() == 0
    assert date(2025, 7, 22) not in occ and date(2025, 10, 28) not in occ


def test_readers_with_identical_selections_share_one_edition(site) -> None:
    forum = site.forum("2025-07-test")
    profiles = list(site.taxonomy.profiles())
    eds = editions(site, forum, day_after(forum), profiles)
    assert sum(len(e.profiles) for e in eds) == len(profiles) == 13 * 4 * 4
    assert len(eds) == len({e.key for e in eds}) == 12  # far fewer renders than profiles
    for e in eds:  # every profile in an edition selects exactly that edition's content
        for p in e.profiles:
            assert select(site, forum, e.as_of, p).key == e.key


def test_day_after_is_the_day_after_the_last_session_and_today_is_london_today(site) -> None:
    assert day_after(site.forum("2025-07-test")) == date(2025, 7, 11)
    assert today() == datetime.now(LONDON).date()


def test_weekly_until_names_the_last_real_occurrence(site_dir: Path) -> None:
    events = site_dir / "content/events.yaml"
    events.write_text(events.read_text().replace("until: 2025-12-16", "until: 2025-12-19"))  # a Friday
    site = load_or_fail(load_settings(site_dir))
    e = select(site, site.forum("2025-07-test"), date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    surgery = next(u for u in e.events if u.event.id == "surgery-swale")
    assert surgery.last.date() == date(2025, 12, 16)  # the last Tuesday, not the Friday
