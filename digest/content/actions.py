"""What a reader must do, and by when: an item's `action:` and `by:`.

`by:` is a date (YYYY-MM-DD) or the end of a school term as the documents write it
("end of Term 6", or "end of Term 6 2025-26" for another school year), resolved here to
a date from `content/terms.yaml`, the county's published term dates. A term written
without a year is the term of the school year the forum falls in. A term the file does not
hold is an error naming the fix, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from digest.content.model import Forum, Item, Strict, field_error
from digest.content.yamlio import Located
from digest.errors import Problems, display_path

FILE = "terms.yaml"
_TERM = re.compile(r"^(?:the )?end of term (?P<n>[1-6])(?: (?:of )?(?P<year>20\d\d[-/]\d\d))?$")  # spaces made single


class Term(Strict):
    year: Annotated[str, Field(pattern=r"^20\d\d-\d\d$")]  # the school year, e.g. 2024-25
    term: int = Field(ge=1, le=6)
    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> Term:
        if self.end < self.start:
            raise field_error("end", "end is before start", "a term ends on or after the day it starts")
        return self


class Terms(Strict):
    terms: list[Term] = []


def school_year(day: date) -> str:
    """'2024-25' for any day from 1 September 2024 to 31 August 2025."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


@dataclass(frozen=True)
class Due:
    """An item's deadline: the date, and how the document put it ('end of Term 6')."""

    day: date
    said: str = ""  # the term as written; "" for a plain date


@dataclass(frozen=True)
class Action:
    """One line of an edition's "To do": what to do, by when, and the item it comes from."""

    item: Item
    text: str
    due: Due | None

    def past(self, as_of: date) -> bool:
        return self.due is not None and self.due.day < as_of


def read_terms(content: Path, root: Path, problems: Problems, read_model: Callable) -> tuple[dict, bool]:
    """content/terms.yaml as {(year, term): Term}, and whether the file is there (read_model:
    load's reader, passed in since load imports this module)."""
    path = content / FILE
    if not path.exists():
        return {}, False
    model, src = read_model(path, root, Terms, problems)
    if model is None:
        return {}, True
    out: dict[tuple[str, int], Term] = {}
    for i, term in enumerate(model.terms):
        if (term.year, term.term) in out:
            problems.add(
                src.problem(("terms", i), f"Term {term.term} of {term.year} is listed twice", "keep one of them")
            )
        out[(term.year, term.term)] = term
    return out, True


def resolve(
    forums: list[tuple[Forum, Located]], content: Path, root: Path, problems: Problems, read_model: Callable
) -> dict[str, Due]:
    """Every item's `by:` as a Due, by item id; each that cannot be resolved is a problem."""
    terms, have_file = read_terms(content, root, problems, read_model)
    shown = display_path(content / FILE, root)
    due: dict[str, Due] = {}
    for forum, src in forums:
        for si, section in enumerate(forum.sections):
            for ii, item in enumerate(section.items):
                path = ("sections", si, "items", ii)
                if item.by is not None and not item.action:
                    problems.add(
                        src.problem(
                            path + ("by",),
                            "`by:` without `action:`",
                            "add `action:`, one line: what the reader must do",
                        )
                    )
                if isinstance(item.by, date):
                    due[item.id] = Due(item.by)
                elif isinstance(item.by, str):
                    found, problem = _term_end(item.by, forum, terms, have_file, shown)
                    if problem:
                        problems.add(src.problem(path + ("by",), problem[0], problem[1], value=True))
                    else:
                        due[item.id] = found
    return due


def _term_end(
    text: str, forum: Forum, terms: dict[tuple[str, int], Term], have_file: bool, shown: str
) -> tuple[Due | None, tuple[str, str] | None]:
    try:
        return Due(date.fromisoformat(text.strip())), None  # a date written in quotes
    except ValueError:
        pass
    m = _TERM.match(" ".join(text.split()).lower())
    if not m:
        return None, (
            f"'{text[:60]}' is not a date or a term's end",
            "write YYYY-MM-DD, 'end of Term 6', or 'end of Term 6 2025-26'",
        )
    n = int(m["n"])
    year = m["year"].replace("/", "-") if m["year"] else school_year(min(forum.dates))
    if not have_file:
        return None, (f"Term {n} needs the term dates", f"add {shown} with the county's term dates (docs/content.md)")
    if (year, n) not in terms:
        return None, (f"{shown} has no Term {n} for {year}", f"add Term {n} of {year} to {shown}, or write the date")
    return Due(terms[(year, n)].end, f"end of Term {n}"), None


def actions(items: tuple[Item, ...] | list[Item], due: dict[str, Due], as_of: date) -> list[Action]:
    """The actions of these items still open on as_of, soonest first; undated ones last.
    A deadline already gone by is left out: the "To do" list holds only what a reader can
    still do (the item itself stays in its place in the email)."""
    found = [Action(i, i.action, due.get(i.id)) for i in items if i.action and i.status != "pending"]
    found = [a for a in found if not a.past(as_of)]
    return sorted(found, key=lambda a: (a.due is None, a.due.day if a.due else date.max))
