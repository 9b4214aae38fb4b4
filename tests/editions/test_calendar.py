"""Calendars: .ics files, feeds, the edition attachment and add-to-calendar links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import recurring_ical_events
from click.testing import CliRunner

from digest.cli.main import cli
from digest.content.audience import Profile
from digest.content.load import Site, load_or_fail
from digest.editions.build import build
from digest.editions.calendar import STATE_FILE, Sequences, edition_calendar
from digest.editions.links import add_links
from digest.editions.render import Renderer
from digest.editions.select import occurrences, select, upcoming
from digest.errors import DigestError
from digest.fmt import LONDON
from digest.settings import load_settings

BASE = "https://digest.test.example"
SWALE_PRIMARY = Profile("Swale", ("primary",), "mainstream")

CLOCK_CHANGE_EVENTS = """\
events:
  - id: before-change
    title: Autumn drop-in, before the clocks go back
    kind: drop-in
    start: 2025-10-23T15:30
    end: 2025-10-23T17:00
    venue: Kent Event Centre
  - id: after-change
    title: Autumn drop-in, after the clocks go back
    kind: drop-in
    start: 2025-10-30T15:30
    end: 2025-10-30T17:00
    venue: Kent Event Centre
"""


def load(site_dir: Path) -> Site:
    return load_or_fail(load_settings(site_dir))


def write_events(site_dir: Path, text: str) -> None:
    (site_dir / "content" / "events.yaml").write_text(text, encoding="utf-8")


def edit_events(site_dir: Path, old: str, new: str) -> None:
    path = site_dir / "content" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def parse(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def vevents(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(ev["uid"]).split("@")[0]: ev for ev in cal.walk("VEVENT")}


def built(site_dir: Path) -> Path:
    out = site_dir / "build"
    build(load(site_dir), out)
    return out


# -- files parse back to the same events --------------------------------------------------------
def test_each_event_file_parses_back_to_the_same_event(site_dir: Path) -> None:
    site = load(site_dir)
    out = built(site_dir)
    for event in site.events:
        raw = (out / "calendar" / "events" / f"{event.id}.ics").read_bytes()
        cal = icalendar.Calendar.from_ical(raw)
        assert str(cal["method"]) == "PUBLISH"
        assert str(cal["prodid"]).startswith("-//digest//")
        assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
        (ev,) = cal.walk("VEVENT")
        assert str(ev["uid"]) == f"{event.id}@digest.test.example"
        assert str(ev["summary"]) == event.title
        assert ev.decoded("dtstart") == event.start
        assert ev.decoded("dtend") == event.end
        assert ev.decoded("dtstart").tzinfo.key == "Europe/London"
        assert str(ev["location"]) == (event.venue or f"Online: {event.online}")
        assert ev.decoded("dtstamp") == datetime(2025, 7, 11, tzinfo=UTC)  # the day after the last forum date
        assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"


def test_text_is_escaped_and_folded_by_the_library(site_dir: Path) -> None:
    title = "Phase transfer: questions, answers; and a title long enough that it has to be folded over lines"
    edit_events(site_dir, "title: Mainstream Core Standards training (primary)", f'title: "{title}"')
    raw = (built(site_dir) / "calendar" / "events" / "mcs-primary.ics").read_bytes()
    assert b"questions\\, answers\\; and" in raw
    assert str(vevents(icalendar.Calendar.from_ical(raw))["mcs-primary"]["summary"]) == title


def test_same_content_builds_the_same_bytes(site_dir: Path) -> None:
    out = built(site_dir)
    first = {p: p.read_bytes() for p in (out / "calendar").rglob("*.ics")}
    build(load(site_dir), out)
    assert {p: p.read_bytes() for p in (out / "calendar").rglob("*.ics")} == first
    assert len(first) == 2 + 13 + 4  # two events, thirteen districts, four phases


# -- clock changes and recurrence ------------------------------------------------------------------
def test_single_events_either_side_of_the_clock_change(site_dir: Path) -> None:
    write_events(site_dir, CLOCK_CHANGE_EVENTS)
    out = built(site_dir)
    before = vevents(parse(out / "calendar" / "events" / "before-change.ics"))["before-change"]
    after = vevents(parse(out / "calendar" / "events" / "after-change.ics"))["after-change"]
    assert before.decoded("dtstart").astimezone(UTC) == datetime(2025, 10, 23, 14, 30, tzinfo=UTC)  # BST
    assert after.decoded("dtstart").astimezone(UTC) == datetime(2025, 10, 30, 15, 30, tzinfo=UTC)  # GMT


def test_weekly_surgery_keeps_local_time_across_the_clock_change(site_dir: Path) -> None:
    cal = parse(built(site_dir) / "calendar" / "events" / "surgery-swale.ics")
    ev = vevents(cal)["surgery-swale"]
    assert ev["rrule"].to_ical() == b"FREQ=WEEKLY;UNTIL=20251216T153000Z"
    found = recurring_ical_events.of(cal).between(date(2025, 10, 13), date(2025, 11, 12))
    starts = [e.decoded("dtstart") for e in found]
    assert [s.date() for s in starts] == [date(2025, 10, 14), date(2025, 10, 21), date(2025, 11, 4), date(2025, 11, 11)]
    assert {s.astimezone(LONDON).strftime("%H:%M") for s in starts} == {"15:30"}
    assert [s.astimezone(UTC).strftime("%H:%MZ") for s in starts] == ["14:30Z", "14:30Z", "15:30Z", "15:30Z"]


def test_recurrence_with_exceptions_expands_to_the_content_dates(site_dir: Path) -> None:
    site = load(site_dir)
    event = next(e for e in site.events if e.id == "surgery-swale")
    cal = parse(built(site_dir) / "calendar" / "events" / "surgery-swale.ics")
    expanded = [
        (e.decoded("dtstart"), e.decoded("dtend"))
        for e in recurring_ical_events.of(cal).between(date(2025, 1, 1), date(2026, 12, 31))
    ]
    assert expanded == occurrences(event)
    days = [s.date() for s, _ in expanded]
    assert date(2025, 7, 22) not in days and date(2025, 10, 28) not in days  # repeat.except
    assert days[0] == date(2025, 7, 15) and days[-1] == date(2025, 12, 16) and len(days) == 21


def test_next_surgery_wording_skips_an_excepted_week(site_dir: Path) -> None:
    site = load(site_dir)
    edition = select(site, site.forum("2025-07-test"), date(2025, 10, 27), SWALE_PRIMARY)
    rendered = Renderer(site.settings).render(edition)
    assert "Next surgery: Tue 4 November 2025, 15:30 to 17:00, weekly until Tue 16 December 2025" in rendered.text
    assert "Then: Tue 11 November 2025, Tue 18 November 2025" in rendered.text
    assert "Next surgery: <strong>Tue 4 November 2025, 15:30 to 17:00</strong>" in rendered.html
    assert "Tue 28 October" not in rendered.text


# -- add-to-calendar links -------------------------------------------------------------------------
def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, strict_parsing=True).items()}


def test_deep_links_carry_utc_times_in_summer(site_dir: Path) -> None:
    site = load(site_dir)
    event = next(e for e in site.events if e.id == "mcs-primary")
    links = add_links(upcoming(event, date(2025, 9, 1), 120), site.settings)
    assert links.ics == f"{BASE}/calendar/events/mcs-primary.ics"
    assert links.google.startswith("https://calendar.google.com/calendar/render?")
    assert query(links.google) == {
        "action": "TEMPLATE",
        "text": "Mainstream Core Standards training (primary)",
        "dates": "20250918T143000Z/20250918T160000Z",
        "details": "Book a place: https://events.example.org/mcs-primary",
        "location": "Kent Event Centre, Detling",
    }
    expected = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": "Mainstream Core Standards training (primary)",
        "startdt": "2025-09-18T14:30:00Z",
        "enddt": "2025-09-18T16:00:00Z",
        "body": "Book a place: https://events.example.org/mcs-primary",
        "location": "Kent Event Centre, Detling",
    }
    for url, origin in ((links.outlook_live, "outlook.live.com"), (links.outlook_office, "outlook.office.com")):
        assert urlsplit(url)[:3] == ("https", origin, "/calendar/0/deeplink/compose")
        assert query(url) == expected


def test_deep_links_for_a_weekly_event_add_the_next_date_in_winter_time(site_dir: Path) -> None:
    site = load(site_dir)
    event = next(e for e in site.events if e.id == "surgery-swale")
    links = add_links(upcoming(event, date(2025, 10, 27), 120), site.settings)
    assert query(links.google)["dates"] == "20251104T153000Z/20251104T170000Z"
    assert (query(links.outlook_office)["startdt"], query(links.outlook_office)["enddt"]) == (
        "2025-11-04T15:30:00Z",
        "2025-11-04T17:00:00Z",
    )


def test_edition_links_each_date_to_its_calendar_file(site_dir: Path) -> None:
    site = load(site_dir)
    edition = select(site, site.forum("2025-07-test"), date(2025, 9, 1), SWALE_PRIMARY)
    rendered = Renderer(site.settings).render(edition)
    for event_id in ("mcs-primary", "surgery-swale"):
        assert f'href="{BASE}/calendar/events/{event_id}.ics"' in rendered.html
        assert f"{BASE}/calendar/events/{event_id}.ics" in rendered.text
    assert rendered.html.count('href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;') == 2
    assert rendered.html.count('href="https://outlook.live.com/calendar/0/deeplink/compose?') == 2
    assert rendered.html.count('href="https://outlook.office.com/calendar/0/deeplink/compose?') == 2
    assert "Add every surgery to your calendar" in rendered.html


# -- feeds ----------------------------------------------------------------------------------------
def feed_ids(out: Path, kind: str, name: str) -> set[str]:
    return set(vevents(parse(out / "calendar" / kind / f"{name}.ics")))


def test_feeds_hold_the_events_their_readers_get(site_dir: Path) -> None:
    with (site_dir / "content" / "events.yaml").open("a", encoding="utf-8") as fh:
        fh.write(
            """\
  - id: secondary-not-medway
    title: Post-16 transition webinar
    kind: webinar
    start: 2025-11-05T16:00
    end: 2025-11-05T17:00
    online: https://meet.example.org/post16
    audience: {phases: [secondary], exclude: {districts: [Medway]}}
"""
        )
    out = built(site_dir)
    assert feed_ids(out, "district", "swale") == {"mcs-primary", "surgery-swale", "secondary-not-medway"}
    assert feed_ids(out, "district", "dartford") == {"mcs-primary", "secondary-not-medway"}
    assert feed_ids(out, "district", "medway") == {"mcs-primary"}
    assert feed_ids(out, "phase", "primary") == {"mcs-primary", "surgery-swale"}
    assert feed_ids(out, "phase", "secondary") == {"surgery-swale", "secondary-not-medway"}
    assert feed_ids(out, "phase", "early-years") == {"surgery-swale"}
    cal = parse(out / "calendar" / "district" / "swale.ics")
    assert str(cal["x-wr-calname"]) == "Test Forum: dates for Swale schools"
    assert cal["refresh-interval"].to_ical() == b"P1D"
    index = (out / "calendars.html").read_text(encoding="utf-8")
    assert 'href="webcal://digest.test.example/calendar/district/swale.ics"' in index
    assert 'href="calendar/phase/early-years.ics"' in index  # relative: the archive opens from disk too


def test_a_feed_with_no_events_is_still_a_valid_calendar(site_dir: Path) -> None:
    text = (site_dir / "content" / "events.yaml").read_text(encoding="utf-8")
    write_events(site_dir, "events:\n" + text[text.index("  - id: surgery-swale") :])
    out = built(site_dir)
    cal = parse(out / "calendar" / "district" / "dartford.ics")
    assert cal.walk("VEVENT") == []
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert feed_ids(out, "district", "swale") == {"surgery-swale"}


# -- SEQUENCE and cancellation --------------------------------------------------------------------
def sequences(out: Path) -> dict[str, int]:
    found = {}
    for path in [out / "calendar" / "events" / "mcs-primary.ics", out / "calendar" / "district" / "swale.ics"]:
        for event_id, ev in vevents(parse(path)).items():
            assert found.setdefault(event_id, int(ev["sequence"])) == int(ev["sequence"]), "same SEQUENCE in every file"
    return found


def test_sequence_rises_only_when_an_event_changes(site_dir: Path) -> None:
    out = built(site_dir)
    assert sequences(out) == {"mcs-primary": 0, "surgery-swale": 0}
    build(load(site_dir), out)
    assert sequences(out) == {"mcs-primary": 0, "surgery-swale": 0}
    edit_events(site_dir, "end: 2025-09-18T17:00", "end: 2025-09-18T17:30")
    build(load(site_dir), out)
    assert sequences(out) == {"mcs-primary": 1, "surgery-swale": 0}
    edit_events(site_dir, "venue: Kent Event Centre, Detling", "venue: Oakwood House, Maidstone")
    build(load(site_dir), out)
    build(load(site_dir), out)
    assert sequences(out) == {"mcs-primary": 2, "surgery-swale": 0}
    forum = site_dir / "content/forums/2025-07-test.yaml"  # a later forum date moves DTSTAMP, not SEQUENCE
    forum.write_text(forum.read_text().replace("dates: [2025-07-02, 2025-07-10]", "dates: [2025-07-02, 2025-07-17]"))
    build(load(site_dir), out)
    assert sequences(out) == {"mcs-primary": 2, "surgery-swale": 0}


def test_cancelled_event_is_published_as_cancelled_without_add_links(site_dir: Path) -> None:
    edit_events(
        site_dir, "    audience: {phases: [primary]}", "    status: cancelled\n    audience: {phases: [primary]}"
    )
    out = built(site_dir)
    for path in (out / "calendar" / "events" / "mcs-primary.ics", out / "calendar" / "phase" / "primary.ics"):
        assert str(vevents(parse(path))["mcs-primary"]["status"]) == "CANCELLED"
    assert sequences(out)["mcs-primary"] == 0
    site = load(site_dir)
    rendered = Renderer(site.settings).render(select(site, site.forum("2025-07-test"), date(2025, 9, 1), SWALE_PRIMARY))
    assert "Cancelled: Mainstream Core Standards training (primary)" in rendered.html
    assert "calendar/events/mcs-primary.ics" not in rendered.html + rendered.text
    assert "calendar/events/surgery-swale.ics" in rendered.html


# -- the edition attachment -----------------------------------------------------------------------
def test_edition_calendar_holds_the_upcoming_events_with_the_build_sequences(site_dir: Path) -> None:
    out = built(site_dir)
    edit_events(site_dir, "end: 2025-09-18T17:00", "end: 2025-09-18T17:30")
    site = load(site_dir)
    edition = select(site, site.forum("2025-07-test"), date(2025, 9, 1), Profile("Dartford", ("primary",), "special"))
    cal = icalendar.Calendar.from_ical(edition_calendar(edition, Sequences(out / STATE_FILE)))
    assert str(cal["method"]) == "PUBLISH"
    (ev,) = cal.walk("VEVENT")
    assert str(ev["uid"]) == "mcs-primary@digest.test.example"
    assert ev.decoded("dtend") == datetime(2025, 9, 18, 17, 30, tzinfo=LONDON)
    assert int(ev["sequence"]) == 1, "what the next build will publish"
    build(site, out)
    assert sequences(out)["mcs-primary"] == 1


def test_edition_calendar_reads_the_state_from_the_build_folder(site_dir: Path) -> None:
    built(site_dir)
    site = load(site_dir)
    edition = select(site, site.forum("2025-07-test"), date(2025, 9, 1), SWALE_PRIMARY)
    cal = icalendar.Calendar.from_ical(edition_calendar(edition))
    assert {str(ev["uid"]).split("@")[0]: int(ev["sequence"]) for ev in cal.walk("VEVENT")} == {
        "mcs-primary": 0,
        "surgery-swale": 0,
    }
    assert recurring_ical_events.of(cal).at(date(2025, 10, 28)) == []  # an excepted week


# -- settings and errors --------------------------------------------------------------------------
def test_attach_ics_setting(site_dir: Path) -> None:
    assert load_settings(site_dir).render.attach_ics is True
    toml = site_dir / "digest.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[render]\nattach_ics = false\n", encoding="utf-8")
    assert load_settings(site_dir).render.attach_ics is False
    toml.write_text(toml.read_text(encoding="utf-8").replace("false", '"sometimes"'), encoding="utf-8")
    with pytest.raises(DigestError) as err:
        load_settings(site_dir)
    assert "render.attach_ics" in err.value.format_message()


def test_cli_build_writes_calendars_and_reports_a_damaged_state_file(site_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(site_dir), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (site_dir / "build" / "calendar" / "events" / "surgery-swale.ics").exists()
    (site_dir / "build" / STATE_FILE).write_text("{not json", encoding="utf-8")
    result = runner.invoke(cli, ["--root", str(site_dir), "build"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "calendar state cannot be read" in result.output and "delete the file" in result.output
    assert "Traceback" not in result.output


def test_calendars_are_the_bytes_icalendar_writes_for_the_whole_calendar(site_dir: Path, tmp_path: Path) -> None:
    """calendar() reuses each event's serialised VEVENT and each zone's VTIMEZONE; the result
    must be what icalendar writes for the calendar built whole, twice over (cached or not)."""
    import icalendar

    from digest.editions import calendar as cal
    from digest.fmt import LONDON

    site = load_or_fail(load_settings(site_dir))
    events = list(site.events)

    def whole(sequences: cal.Sequences) -> bytes:
        c = icalendar.Calendar()
        for key, value in (
            ("prodid", cal.PRODID),
            ("version", "2.0"),
            ("calscale", "GREGORIAN"),
            ("method", "PUBLISH"),
        ):
            c.add(key, value)
        dtstamp = cal.stamp(site)
        for event in events:
            ev = cal.vevent(event, site.settings)
            sequence = sequences.sequence(str(ev["uid"]), cal.fingerprint(ev))  # what we publish, not when
            ev.add("dtstamp", dtstamp)
            ev.add("sequence", sequence)
            c.add_component(ev)
        first = min(e.start.date() for e in events)
        last = max(e.repeat.until if e.repeat else e.end.date() for e in events)
        tz = icalendar.Timezone.from_tzid(
            LONDON.key, first_date=date(first.year, 1, 1), last_date=date(last.year + 2, 1, 1)
        )
        c.subcomponents.insert(0, tz)
        return c.to_ical()

    mine, theirs = cal.Sequences(tmp_path / "a.json"), cal.Sequences(tmp_path / "b.json")
    for _ in range(2):
        assert cal.calendar(events, site, mine) == whole(theirs)


# -- a date alone: time to be confirmed ---------------------------------------------------------
def test_a_date_without_a_time_is_an_all_day_entry_that_says_so(site_dir: Path) -> None:
    """The document gave the day and no time, nor a place: no time is invented, anywhere."""
    edit_events(
        site_dir,
        "    start: 2025-09-18T15:30\n    end: 2025-09-18T17:00\n    venue: Kent Event Centre, Detling\n",
        "    start: 2025-09-18\n",
    )
    site = load(site_dir)
    event = next(e for e in site.events if e.id == "mcs-primary")
    assert not event.timed and event.venue is None and event.online is None
    (ev,) = parse(built(site_dir) / "calendar" / "events" / "mcs-primary.ics").walk("VEVENT")
    assert ev.decoded("dtstart") == date(2025, 9, 18) and ev.decoded("dtend") == date(2025, 9, 19)
    assert str(ev["description"]).startswith("Time to be confirmed.")
    assert "location" not in ev  # no "Online: None"
    u = upcoming(event, date(2025, 9, 1), 120)
    links = add_links(u, site.settings)
    google = parse_qs(urlsplit(links.google).query)
    assert google["dates"] == ["20250918/20250919"]  # Google's all-day form
    assert parse_qs(urlsplit(links.outlook_live).query)["allday"] == ["true"]
    rendered = Renderer(site.settings).render(
        select(site, site.forum("2025-07-test"), date(2025, 9, 1), Profile("Swale", ("primary",), "mainstream"))
    )
    assert "Thu 18 September 2025, time to be confirmed" in rendered.text
    assert "time to be confirmed" in rendered.html and "00:00" not in rendered.text
