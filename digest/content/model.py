"""The content model: what organisers write in content/*.yaml, as typed objects.

Only shape and single-field rules live here (pydantic, unknown keys forbidden).
Rules that need the taxonomy or other files (audience names, duplicate ids, contact
references) are checked in digest.content, which loads and cross-checks everything.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from digest.fmt import LONDON

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_SCHEMES = ("https://", "mailto:")


def field_error(field: str, message: str, hint: str = "") -> PydanticCustomError:
    """A validation error carrying, as data, the field it is about (relative to the value
    being validated; "" for the value itself) and a hint (see validation.from_pydantic)."""
    return PydanticCustomError("digest", "{message}", {"message": message, "field": field, "hint": hint})


def _check_url(value: str) -> str:
    value = value.strip()
    if not value.lower().startswith(_SCHEMES):
        raise field_error(
            "", f"'{value[:60]}' is not a https:// or mailto: link", "digests carry only https:// and mailto: links"
        )
    if any(c in value for c in " \t\r\n<>\"'"):
        raise field_error("", "link contains spaces, quotes or angle brackets", "encode a space as %20")
    if value.lower() in _SCHEMES:
        raise field_error("", "link has nothing after the scheme", "write the full address")
    return value


def _local(value: datetime) -> datetime:
    """Content times are Europe/London wall-clock times; store them zone-aware."""
    if value.tzinfo is None:
        return value.replace(tzinfo=LONDON)
    return value.astimezone(LONDON)


# C0 controls but tab, DEL and C1, as delivery.mime.check_header refuses them in a header:
# a value that becomes part of one (a forum's title is its digests' subject) is refused here
# first, by `digest check`, at its line, instead of by the send.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise field_error(
            "", "contains a line break or a control character", "write it on one line: it is the subject of the emails"
        )
    return value


def _start(value: object) -> datetime | date:
    """A date and time (Europe/London), or a date alone when the time is not known."""
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else _local(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise field_error(
        "",
        f"'{str(value)[:60]}' is not a valid date and time",
        "write YYYY-MM-DDTHH:MM in Europe/London time, e.g. 2025-07-10T15:30",
    )


Url = Annotated[str, AfterValidator(_check_url)]
Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Line = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]  # text that goes into a mail header
LocalTime = Annotated[datetime, AfterValidator(_local)]
Start = Annotated[datetime | date, PlainValidator(_start)]  # a date alone: time to be confirmed


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Exclusion(Strict):
    districts: list[Text] = []
    phases: list[Text] = []
    settings: list[Text] = []


class Audience(Strict):
    """Who something is for. On a forum or a section it applies to everything inside; an
    item's own audience narrows what it inherits (`inherit: false` starts afresh)."""

    districts: list[Text] | None = None
    phases: list[Text] | None = None
    settings: list[Text] | None = None
    exclude: Exclusion | None = None
    inherit: bool = True


class Link(Strict):
    title: Text
    url: Url


class Item(Strict):
    id: Slug
    kind: Literal["question", "feedback"] = "question"  # feedback: a comment on the forum, never sent as an item
    question: Text
    headline: Text | None = None  # the question as a reader scans it (about 15 words); derived when absent
    answer: str | None = None
    summary: Text | None = None  # the short answer (about 40 words); derived when absent
    status: Literal["answered", "pending", "follow-up"] = "answered"
    answered_by: Slug | None = None
    topics: list[Text] = []
    links: list[Link] = []
    audience: Audience | None = None
    asked: int = Field(default=1, ge=1)
    highlight: bool = False  # every reader this item reaches sees its headline and summary
    updates: Slug | None = None  # the id of an earlier item whose answer this one changes (content/updates.py)
    action: Line | None = None  # what the reader must do, one line (an edition's "To do" opens with it)
    by: date | str | None = None  # when: YYYY-MM-DD or "end of Term 6" (content/actions.py resolves it)

    @model_validator(mode="after")
    def _answered_has_answer(self) -> Item:
        if self.kind == "question" and self.status == "answered" and not (self.answer or "").strip():
            raise field_error(
                "answer", "an answered item needs an answer", "set `answer:`, or mark it `status: pending`"
            )
        return self

    @property
    def feedback(self) -> bool:
        return self.kind == "feedback"

    @property
    def topic(self) -> str:
        return self.topics[0] if self.topics else ""


class Section(Strict):
    id: Slug
    title: Text
    presenter: str | None = None
    audience: Audience | None = None  # inherited by every item of the section
    items: list[Item] = Field(min_length=1)


class Forum(Strict):
    id: Slug
    # draft: imported and not yet checked by hand; never sent nor published (content/todo.py).
    # Absent: ready, so forum files written before drafts existed keep working.
    status: Literal["draft", "ready"] = "ready"
    title: Line
    dates: list[date] = Field(min_length=1)
    intro: str | None = None
    audience: Audience | None = None  # inherited by every section and item
    sections: list[Section] = Field(min_length=1)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]


class Repeat(Strict):
    every: Literal["week"]
    until: date
    except_: list[date] = Field(default=[], alias="except")


class Event(Strict):
    id: Slug
    title: Text
    kind: Literal["training", "drop-in", "surgery", "webinar", "forum", "conference"]
    # a date alone (2024-05-02) when the document gives no time: "time to be confirmed",
    # an all-day calendar entry; a date and time (2024-05-02T15:30) with its `end`
    start: Start
    end: LocalTime | None = None
    online: Url | None = None  # neither online nor venue: "joining details to follow"
    venue: str | None = None
    booking: Url | None = None
    description: str | None = None
    forum: Slug | None = None
    status: Literal["confirmed", "cancelled"] = "confirmed"
    repeat: Repeat | None = None
    audience: Audience | None = None

    @property
    def timed(self) -> bool:
        """True when the document gave the time, not only the date."""
        return isinstance(self.start, datetime)

    @property
    def day(self) -> date:
        """The (first) date."""
        return self.start.date() if isinstance(self.start, datetime) else self.start

    def span(self, day: date | None = None) -> tuple[datetime, datetime]:
        """(start, end) on its first date, or on `day`: a date alone is the whole day."""
        day = day or self.day
        if isinstance(self.start, datetime) and self.end is not None:
            start = datetime.combine(day, self.start.timetz()).replace(tzinfo=LONDON)
            return start, start + (self.end - self.start)
        start = datetime.combine(day, time.min, LONDON)
        return start, datetime.combine(day + timedelta(days=1), time.min, LONDON)

    @model_validator(mode="after")
    def _times_and_place(self) -> Event:
        if isinstance(self.start, datetime):
            if self.end is None:
                raise field_error(
                    "end",
                    "a start time needs an end time",
                    "give `end:`, or give `start:` as a date alone (time to be confirmed)",
                )
            if self.end <= self.start:
                raise field_error("end", "end is not after start", "the end time must come after the start time")
        elif self.end is not None:
            raise field_error(
                "end", "an event with a date alone has no end time", "give `start:` a time too, or remove `end:`"
            )
        if self.repeat and self.repeat.until < self.day:
            raise field_error(
                "repeat", "repeat.until is before the first occurrence", "set `until:` on or after the start date"
            )
        return self


class Events(Strict):
    events: list[Event] = []


class Contact(Strict):
    id: Slug
    name: Text
    email: Annotated[str, Field(pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")] | None = None
    url: Url | None = None
    phone: str | None = None
    about: str | None = None
    audience: Audience | None = None
    # an officer's own work address, published to SENCOs in the forum document: in the
    # emails; in the public archive only when digest.toml says so (digest.editions.public)
    officer: bool = False


class Contacts(Strict):
    contacts: list[Contact] = []


class Taxonomy(Strict):
    county: Text
    areas: dict[str, list[Text]]
    out_of_county: list[Text] = []
    phases: list[Text] = Field(min_length=1)
    settings: list[Text] = Field(min_length=1)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
