"""The field's abbreviations and other words for the same thing, in content/synonyms.yaml,
so that a search for "SENIA" finds an answer that says "SEN Inclusion Adviser" and the
other way round.

Each group is a list of forms that mean the same: `[SENIA, SEN IA, SEN Inclusion Adviser]`.
The search index (editions/search.py) carries the groups to the search page, which reads
every form of a group in an item and in a query as one word for the group
(templates/site/finder.js). Matching is on whole words, with a plural or a number after
them (EHCPs, PT25). In an item, a short form (three letters or fewer, such as AR, PT or
YR) matches only as written, capitals and all; longer ones match in any case ("SaLT" is
SALT). In a query any case will do, and a year with its number ("Yr 5", "yr6") is that
year, never Year R. `found` and `expand` below state the items' rule in Python, as
tests/content checks it; finder.js keeps to the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from digest.content.model import Strict, Text
from digest.content.yamlio import Located
from digest.errors import Problem

FILE = "synonyms.yaml"
SHORT = 3  # letters and digits: a form this short matches only as written


class SynonymsFile(Strict):
    synonyms: list[list[Text]] = []


def _words(form: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", form.strip()) if w]


def _pattern(form: str) -> re.Pattern[str]:
    body = r"[\s\-]+".join(re.escape(w) for w in _words(form))
    short = len(re.sub(r"[^0-9A-Za-z]", "", form)) <= SHORT
    return re.compile(rf"(?<![\w])(?:{body})(?:s|'s|’s|\d+)?(?![\w])", 0 if short else re.IGNORECASE)


@dataclass(frozen=True)
class Synonyms:
    groups: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def _compiled(self) -> list[list[tuple[str, re.Pattern[str]]]]:
        return [[(form, _pattern(form)) for form in group] for group in self.groups]

    def found(self, text: str) -> list[tuple[str, ...]]:
        """The groups with a form in text."""
        return [
            group
            for group, forms in zip(self.groups, self._compiled, strict=True)
            if any(p.search(text) for _, p in forms)
        ]

    def expand(self, text: str) -> list[str]:
        """The other forms of every group text uses: what the search index adds to it."""
        out: list[str] = []
        for forms in self._compiled:
            present = [bool(p.search(text)) for _, p in forms]
            if any(present):
                out += [form for (form, _), there in zip(forms, present, strict=True) if not there]
        return out


def grouped(src: Located, model: SynonymsFile) -> tuple[Synonyms, list[Problem]]:
    """The groups of a valid file, or the problems with them (digest.content.load reads it)."""
    problems: list[Problem] = []
    groups: list[tuple[str, ...]] = []
    seen: dict[str, tuple] = {}
    for gi, group in enumerate(model.synonyms):
        at = ("synonyms", gi)
        if len(group) < 2:
            problems.append(
                src.problem(
                    at,
                    f"the group [{', '.join(group)}] has one form, so it matches nothing new",
                    "add what it stands for, e.g. [SRP, specialist resource provision]",
                )
            )
            continue
        for fi, form in enumerate(group):
            if not re.search(r"[0-9A-Za-z]", form):
                problems.append(src.problem(at + (fi,), f"'{form}' has no letter or digit", "write a word", value=True))
                continue
            key = " ".join(re.split(r"[\s\-]+", form.lower()))
            if key in seen:
                line = src.where(seen[key], value=True)[0]
                problems.append(
                    src.problem(
                        at + (fi,),
                        f"'{form}' is also in the group at line {line}",
                        "merge the two groups into one, or keep the form in one of them",
                        value=True,
                    )
                )
            seen.setdefault(key, at + (fi,))
        groups.append(tuple(group))
    return (Synonyms() if problems else Synonyms(tuple(groups))), problems


def shape(src: Located) -> list[Problem]:
    """Clearer words than the schema's for the likely slips: a group written as one line of text."""
    data: Any = src.data
    if not isinstance(data, dict) or not isinstance(data.get("synonyms"), list):
        return []
    return [
        src.problem(
            ("synonyms", gi),
            f"the group '{group}' is one piece of text, not a list of forms",
            f"write it as a list in square brackets: [{', '.join(p.strip() for p in group.split(','))}]",
            value=True,
        )
        for gi, group in enumerate(data["synonyms"])
        if isinstance(group, str)
    ]
