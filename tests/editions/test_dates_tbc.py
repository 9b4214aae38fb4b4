"""Dates as the document gives them (issue 20): a date with no time reads "time to be
confirmed" in the email and is an all-day entry in its calendar, with the note; an event
whose join link is not known reads "joining details to follow", and no link is invented."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import recurring_ical_events

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.build import build
from digest.editions.links import add_links
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.settings import load_settings

SWALE_PRIMARY = Profile("Swale", ("primary",), "mainstream")
AS_OF = date(2025, 7, 11)


def edit_events(site_dir: Path, old: str, new: str) -> None:
    path = site_dir / "content" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def untimed(site_dir: Path) -> Path:
    """The training's date without its time or place, and the surgery's weekly dates without a time."""
    edit_events(
        site_dir,
        "    start: 2025-09-18T15:30\n    end: 2025-09-18T17:00\n    venue: Kent Event Centre, Detling\n",
        "    start: 2025-09-18\n",
    )
    edit_events(site_dir, "    start: 2025-07-15T15:30\n    end: 2025-07-15T17:00\n", "    start: 2025-07-15\n")
    return site_dir


def test_the_email_says_time_to_be_confirmed_and_joining_details_to_follow(site_dir: Path) -> None:
    site = load_or_fail(load_settings(untimed(site_dir)))
    r = Renderer(site.settings).render(select(site, site.forum("2025-07-test"), AS_OF, SWALE_PRIMARY))
    assert "Thu 18 September 2025, time to be confirmed" in r.text
    assert "Next surgery: Tue 15 July 2025, time to be confirmed, weekly until Tue 16 December 2025" in r.text
    training = r.text.split("Mainstream Core Standards training (primary)")[1].split("* ")[0]
    assert "Joining details to follow" in training and "Join online" not in training
    assert "Thu 18 September 2025, time to be confirmed</strong>" in r.html
    assert "Joining details to follow" in r.html
    assert "00:00" not in r.text and "00:00" not in r.html  # never a made-up time


def test_the_calendar_entry_is_all_day_with_the_note(site_dir: Path) -> None:
    site_dir = untimed(site_dir)
    out = site_dir / "build"
    build(load_or_fail(load_settings(site_dir)), out, as_of=AS_OF)
    raw = (out / "calendar" / "events" / "mcs-primary.ics").read_bytes()
    [ev] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert b"DTSTART;VALUE=DATE:20250918" in raw and b"DTEND;VALUE=DATE:20250919" in raw
    description = str(ev["description"])
    assert description.startswith("Time to be confirmed.") and "Joining details to follow." in description
    assert "location" not in ev and "url" in ev  # the booking link the content gives; nothing invented
    assert str(ev["url"]) == "https://events.example.org/mcs-primary"

    weekly = icalendar.Calendar.from_ical((out / "calendar" / "events" / "surgery-swale.ics").read_bytes())
    days = [e.decoded("dtstart") for e in recurring_ical_events.of(weekly).between(date(2025, 1, 1), date(2026, 1, 1))]
    assert days[0] == date(2025, 7, 15) and days[-1] == date(2025, 12, 16) and len(days) == 21
    assert date(2025, 7, 22) not in days and date(2025, 10, 28) not in days  # repeat.except, as dates


def test_add_to_calendar_links_add_the_whole_day(site_dir: Path) -> None:
    site = load_or_fail(load_settings(untimed(site_dir)))
    edition = select(site, site.forum("2025-07-test"), AS_OF, SWALE_PRIMARY)
    training = next(u for u in edition.events if u.event.id == "mcs-primary")
    links = add_links(training, site.settings)
    google = parse_qs(urlsplit(links.google).query)
    assert google["dates"] == ["20250918/20250919"] and "location" not in google
    outlook = parse_qs(urlsplit(links.outlook_office).query)
    assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (["2025-09-18"], ["2025-09-19"], ["true"])
