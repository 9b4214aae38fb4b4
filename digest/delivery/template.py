"""An edition's message template: a rendered edition made a MIME template once, for
every reader of it (digest.delivery.mime.DigestTemplate). Shared by a send's plan
(digest.delivery.compose), its render pool's workers (digest.delivery.pool) and the preview.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from digest.delivery.mime import Attachment, DigestTemplate

if TYPE_CHECKING:
    from digest.editions.render import Rendered
    from digest.settings import Settings


def template_for(
    settings: Settings,
    rendered: Rendered,
    key: str,
    subject_prefix: str = "",
    date: datetime | None = None,
    calendars: dict[tuple[str, ...], bytes] | None = None,
) -> DigestTemplate:
    """A rendered edition as a MIME template: built once, assembled per reader.

    `calendars` keeps each distinct set of dates' .ics for the editions of one send: most
    editions share their dates with others, and writing iCalendar is slow."""
    edition = rendered.edition
    attachments: list[Attachment] = []
    if settings.render.attach_ics and edition.events:
        from digest.editions.calendar import edition_calendar

        dates = tuple(u.event.id for u in edition.events)
        if calendars is None or dates not in calendars:
            ics = edition_calendar(edition)
            if calendars is None:
                calendars = {}
            calendars[dates] = ics
        # one .ics of the edition's dates: mail clients offer "add to calendar" for it
        attachments.append(Attachment('text/calendar; charset="utf-8"; method=PUBLISH', "dates.ics", calendars[dates]))
    return DigestTemplate.build(
        settings,
        seed=f"{key}\0{edition.id}",
        subject=subject_prefix + rendered.subject,
        html=rendered.html,
        text=rendered.text,
        date=date or datetime.now(UTC),
        attachments=attachments,
    )
