"""The content model: what organisers write in content/*.yaml, as typed objects.

Only shape and single-field rules live here (pydantic, unknown keys forbidden).
Rules that need the taxonomy or other files (audience names, duplicate ids, contact
references) are checked in digest.content, which loads and cross-checks everything.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from digest.fmt import LONDON

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_SCHEMES = ("https://", "mailto:")


def field_error(field: str, message: str, hint: str = "") -> PydanticCustomError:
    """A validation error carrying, as data, the field it is about (relative to the value
    being validated; "" for the value itself) and a hint (see load.from_pydantic)."""
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


Url = Annotated[str, AfterValidator(_check_url)]
Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Line = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]  # text that goes into a mail header
LocalTime = Annotated[datetime, AfterValidator(_local)]


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
    start: LocalTime
    end: LocalTime
    online: Url | None = None
    venue: str | None = None
    booking: Url | None = None
    description: str | None = None
    forum: Slug | None = None
    status: Literal["confirmed", "cancelled"] = "confirmed"
    repeat: Repeat | None = None
    audience: Audience | None = None

    @model_validator(mode="after")
    def _times_and_place(self) -> Event:
        if self.end <= self.start:
            raise field_error("end", "end is not after start", "the end time must come after the start time")
        if not (self.online or self.venue):
            raise field_error("online", "an event needs a place", "give `online:` (a join link) or `venue:`")
        if self.repeat and self.repeat.until < self.start.date():
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
