"""Links to an event: where its .ics is published, and Google and Outlook "add" links.

Apart from the .ics writing (digest.editions.calendar), so that rendering an edition
needs no icalendar. Deep links carry the event's next date in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit

from digest.content.model import Event
from digest.editions import markup

if TYPE_CHECKING:
    from digest.editions.select import Upcoming
    from digest.settings import Settings

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = {
    "outlook_live": "https://outlook.live.com/calendar/0/deeplink/compose",
    "outlook_office": "https://outlook.office.com/calendar/0/deeplink/compose",
}


# -- one event ---------------------------------------------------------------------------------
def host(settings: Settings) -> str:
    return urlsplit(settings.site.base_url).hostname or "localhost"


def uid(event: Event, settings: Settings) -> str:
    return f"{event.id}@{host(settings)}"


def event_url(event: Event, settings: Settings) -> str:
    """Where the event's own .ics is published."""
    return f"{settings.site.base_url.rstrip('/')}/calendar/events/{event.id}.ics"


def details(event: Event) -> str:
    """The event's description as plain text, with its join and booking links."""
    lines = [markup.to_text(event.description, width=10_000)] if event.description else []
    if not event.timed:
        lines.insert(0, "Time to be confirmed.")
    if event.status == "cancelled":
        lines.insert(0, "This event is cancelled.")
    else:
        if event.online:
            lines.append(f"Join online: {event.online}")
        elif not event.venue:
            lines.append("Joining details to follow.")  # never an invented link
        if event.booking:
            lines.append(f"Book a place: {event.booking}")
    return "\n\n".join(lines)


def location(event: Event) -> str:
    """Where it is: the venue, or its join link ('' when neither is known yet)."""
    return event.venue or (f"Online: {event.online}" if event.online else "")


@dataclass(frozen=True)
class AddLinks:
    ics: str
    google: str
    outlook_live: str
    outlook_office: str


def _utc(moment: datetime, fmt: str) -> str:
    return moment.astimezone(UTC).strftime(fmt)


def add_links(u: Upcoming, settings: Settings) -> AddLinks:
    """The event's .ics, and Google/Outlook links that add its next date (times in UTC)."""
    ev = u.event
    if ev.timed:
        dates = f"{_utc(u.start, '%Y%m%dT%H%M%SZ')}/{_utc(u.end, '%Y%m%dT%H%M%SZ')}"
        when = {"startdt": _utc(u.start, "%Y-%m-%dT%H:%M:%SZ"), "enddt": _utc(u.end, "%Y-%m-%dT%H:%M:%SZ")}
    else:  # a date alone: an all-day entry
        dates = f"{u.start:%Y%m%d}/{u.end:%Y%m%d}"
        when = {"startdt": f"{u.start:%Y-%m-%d}", "enddt": f"{u.end:%Y-%m-%d}", "allday": "true"}
    google = {
        "action": "TEMPLATE",
        "text": ev.title,
        "dates": dates,
        "details": details(ev),
        "location": location(ev),
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": ev.title,
        **when,
        "body": details(ev),
        "location": location(ev),
    }
    for query in (google, outlook):
        if not query["location"]:
            del query["location"]  # neither venue nor link known yet
    query = {k: urlencode(v, quote_via=quote) for k, v in (("google", google), ("outlook", outlook))}
    return AddLinks(
        ics=event_url(ev, settings),
        google=f"{GOOGLE}?{query['google']}",
        outlook_live=f"{OUTLOOK['outlook_live']}?{query['outlook']}",
        outlook_office=f"{OUTLOOK['outlook_office']}?{query['outlook']}",
    )
