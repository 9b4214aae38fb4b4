"""Stage 3b: calendars. Events as iCalendar files, feeds and add-to-calendar links.

- One .ics per event (OUT/calendar/events/<id>.ics), linked from every edition.
- A feed per district and per phase (OUT/calendar/{district,phase}/<slug>.ics) to
  subscribe to (webcal://), holding the events whose audience reaches it.
- `edition_calendar(edition)`: one .ics of an edition's upcoming events, for the
  delivery stage to attach (unless `render.attach_ics = false`).
- Google Calendar and Outlook deep links for an event's next date, in UTC.

Times are written in Europe/London with a VTIMEZONE (icalendar makes it from zoneinfo),
so a weekly surgery keeps its 15:30 wall-clock time across a clock change. UIDs are
`<event-id>@<host of site.base_url>`; SEQUENCE rises whenever what we publish for an
event changes, tracked in OUT/.calendar-state.json. DTSTAMP comes from the content (the
latest forum date), never the clock, so two builds of the same content are identical.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import icalendar

from digest.content.load import Site
from digest.content.model import Event, slug
from digest.editions.links import details, location, uid
from digest.editions.select import Edition
from digest.errors import DigestError
from digest.files import write_atomic
from digest.fmt import LONDON
from digest.settings import Settings

PRODID = "-//digest//SENCO Forum digest//EN"
STATE_FILE = ".calendar-state.json"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # DTSTAMP for a site with no forum dates


# -- one event ---------------------------------------------------------------------------------
def vevent(event: Event, settings: Settings) -> icalendar.Event:
    """The VEVENT without DTSTAMP and SEQUENCE (so its bytes say whether it changed)."""
    ev = icalendar.Event()
    ev.add("uid", uid(event, settings))
    ev.add("summary", event.title)
    if isinstance(event.start, datetime):
        ev.add("dtstart", event.start)
        ev.add("dtend", event.end)
    else:  # a date alone, time to be confirmed: an all-day entry (DTSTART;VALUE=DATE)
        ev.add("dtstart", event.start)
        ev.add("dtend", event.start + timedelta(days=1))
    if event.repeat and isinstance(event.start, datetime):
        until = datetime.combine(event.repeat.until, event.start.timetz()).replace(tzinfo=LONDON)
        ev.add("rrule", {"freq": "weekly", "until": until.astimezone(UTC)})  # UNTIL is UTC when DTSTART has a TZID
        if event.repeat.except_:
            ev.add(
                "exdate",
                [datetime.combine(d, event.start.timetz()).replace(tzinfo=LONDON) for d in event.repeat.except_],
            )
    elif event.repeat:
        ev.add("rrule", {"freq": "weekly", "until": event.repeat.until})  # a date, as DTSTART is
        if event.repeat.except_:
            ev.add("exdate", list(event.repeat.except_))
    if where := location(event):
        ev.add("location", where)
    if text := details(event):
        ev.add("description", text)
    if url := event.booking or event.online:
        ev.add("url", url)
    ev.add("categories", [event.kind])
    ev.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    ev.add("transp", "TRANSPARENT" if event.status == "cancelled" else "OPAQUE")
    return ev


def fingerprint(ev: icalendar.Event) -> str:
    return hashlib.sha256(ev.to_ical()).hexdigest()


def stamp(site: Site) -> datetime:
    """DTSTAMP: midnight UTC after the latest forum date. Content-derived, so builds repeat."""
    days = [d for f in site.forums.values() for d in f.dates]
    return datetime.combine(max(days) + timedelta(days=1), time.min, UTC) if days else EPOCH


# -- SEQUENCE state ----------------------------------------------------------------------------
class Sequences:
    """uid -> (fingerprint, sequence), kept beside the published files between builds.

    A new event starts at 0; a changed fingerprint adds 1. Reading without saving (as
    `edition_calendar` does) gives the numbers the next build will write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[str, dict] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.known = {
                    k: {"hash": str(v["hash"]), "sequence": int(v["sequence"])} for k, v in data["events"].items()
                }
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise DigestError(
                    f"{path}: calendar state cannot be read ({type(exc).__name__}: {exc}); delete the file to start "
                    "again (calendar apps may then ignore changes to events they already hold until the next change)"
                ) from None

    def sequence(self, uid: str, fingerprint: str) -> int:
        entry = self.known.get(uid)
        if entry is None:
            entry = {"hash": fingerprint, "sequence": 0}
        elif entry["hash"] != fingerprint:
            entry = {"hash": fingerprint, "sequence": entry["sequence"] + 1}
        self.known[uid] = entry
        return entry["sequence"]

    def save(self, write: Callable[[Path, str], None] = write_atomic) -> None:
        write(self.path, json.dumps({"version": 1, "events": dict(sorted(self.known.items()))}, indent=1) + "\n")


# -- calendars ---------------------------------------------------------------------------------
def calendar(events: list[Event], site: Site, sequences: Sequences, name: str | None = None) -> bytes:
    """A METHOD:PUBLISH calendar of the events, with the Europe/London VTIMEZONE.

    Every edition of a send attaches its dates, so each event's VEVENT and each span of
    years' VTIMEZONE is serialised once and reused (the bytes are what icalendar writes
    for the whole calendar: tests/editions/test_calendar.py compares them)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        cal.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "P1D")  # Outlook's name for REFRESH-INTERVAL
    dtstamp = stamp(site)
    blocks = [_event_block(event, site.settings, dtstamp, sequences) for event in events]
    # The VTIMEZONE spans the events' years; an empty feed still gets one, since RFC 5545
    # wants at least one component in a calendar.
    first = min((e.day for e in events), default=dtstamp.date())
    last = max((e.repeat.until if e.repeat else e.span()[1].date() for e in events), default=dtstamp.date())
    head = cal.to_ical().removesuffix(END)
    return head + _timezone(first.year, last.year + 2) + b"".join(blocks) + END  # the zone before the events


END = b"END:VCALENDAR\r\n"
# id(event) -> (the event, kept so that its id is not reused; its VEVENT without DTSTAMP and
# SEQUENCE; that VEVENT's fingerprint; its bytes per (dtstamp, sequence))
_EVENTS: dict[int, tuple[Event, icalendar.Event, str, dict[tuple, bytes]]] = {}


def _event_block(event: Event, settings: Settings, dtstamp: datetime, sequences: Sequences) -> bytes:
    entry = _EVENTS.get(id(event))
    if entry is None or entry[0] is not event or str(entry[1]["uid"]) != uid(event, settings):
        if len(_EVENTS) > 4096:
            _EVENTS.clear()
        ev = vevent(event, settings)
        entry = _EVENTS[id(event)] = (event, ev, fingerprint(ev), {})
    _, ev, print_, done = entry
    sequence = sequences.sequence(str(ev["uid"]), print_)
    key = (dtstamp, sequence)
    if key not in done:
        stamped = vevent(event, settings)
        stamped.add("dtstamp", dtstamp)
        stamped.add("sequence", sequence)
        done[key] = stamped.to_ical()
    return done[key]


@lru_cache(maxsize=32)
def _timezone(first_year: int, until_year: int) -> bytes:
    tz = icalendar.Timezone.from_tzid(LONDON.key, first_date=date(first_year, 1, 1), last_date=date(until_year, 1, 1))
    return tz.to_ical()


def state_path(out: Path) -> Path:
    return out / STATE_FILE


def edition_calendar(edition: Edition, sequences: Sequences | None = None) -> bytes:
    """One text/calendar (METHOD:PUBLISH) of the edition's upcoming events, to attach.

    Weekly events go in whole (RRULE and EXDATE), so the attachment and the feeds
    describe the same series under the same UID. Sequences come from the last build.
    The delivery stage wires this into the MIME message (text/calendar;
    method=PUBLISH), only when `edition.events` is not empty and
    `settings.render.attach_ics` is true; nothing here reads that setting.
    """
    site = edition.site
    if sequences is None:
        sequences = Sequences(state_path(site.settings.path("build")))
    return calendar([u.event for u in edition.events], site, sequences)


@dataclass(frozen=True)
class Feed:
    kind: str  # "district" | "phase"
    name: str
    events: tuple[Event, ...]

    @property
    def path(self) -> str:
        return f"calendar/{self.kind}/{slug(self.name)}.ics"

    def url(self, settings: Settings) -> str:
        return f"{settings.site.base_url.rstrip('/')}/{self.path}"

    def webcal(self, settings: Settings) -> str:
        return "webcal://" + self.url(settings).split("://", 1)[1]

    def title(self, settings: Settings) -> str:
        where = f"{self.name} schools" if self.kind == "district" else f"{self.name} schools, every district"
        return f"{settings.site.organisation}: dates for {where}"


def feeds(site: Site) -> list[Feed]:
    """A feed per district and per phase: every event some reader there would get."""
    tax = site.taxonomy
    profiles = list(tax.profiles())
    reach = {e.id: [p for p in profiles if site.rule("event", e.id).matches(p)] for e in site.events}
    out = [
        Feed("district", d, tuple(e for e in site.events if any(p.district == d for p in reach[e.id])))
        for d in tax.districts
    ]
    out += [
        Feed("phase", ph, tuple(e for e in site.events if any(ph in p.phases for p in reach[e.id])))
        for ph in tax.phases
    ]
    return out


def write_calendars(site: Site, out: Path, write: Callable[[Path, str], None] = write_atomic) -> list[Feed]:
    """Write every event's .ics and every feed under OUT/calendar; then record sequences.
    write: how a file is written (the build's writes only what changed)."""
    sequences = Sequences(state_path(out))
    for event in site.events:
        write(out / "calendar" / "events" / f"{event.id}.ics", calendar([event], site, sequences).decode())
    result = feeds(site)
    for feed in result:
        write(out / feed.path, calendar(list(feed.events), site, sequences, feed.title(site.settings)).decode())
    sequences.save(write)  # last: a crash before here repeats the same numbers next time
    return result
