"""Personal data: what a questioner gave away in a question, and officers' own addresses.

A question may carry its asker's name ("please pass on my name Jo Bloggs"), their
school and role ("Ref: Hill Primary School, SENCO, Jo Bloggs"), their address, or the
names of people they met. Each is replaced by a marker such as "[name removed]" and
listed in the report (never in the draft). A name or school found in a question is
then removed wherever else the document repeats it, answers included ("we have replied
to the SENCo at Hill"). Addresses of teams (SENDataCoordination@...) stay; an officer's
own work address in an answer (first.last@...) is flagged for the organiser to replace
with the team's contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.content import personal
from digest.content.personal import EMAIL, NAME, NOT_PEOPLE, REF, SCHOOL, person
from digest.content.personal import GENERIC_SCHOOL as _GENERIC_SCHOOL
from digest.content.personal import school_name as _school

_NOT_PEOPLE = NOT_PEOPLE
word_set = personal.word_set


@dataclass(frozen=True)
class Removed:
    kind: str  # "name", "school", "address", "email", "phone"
    text: str


def team_address(address: str) -> bool:
    """SENDataCoordination@kent.gov.uk is a team's; jo.bloggs@kent.gov.uk a person's."""
    local = address.split("@", 1)[0]
    return not re.search(r"[A-Za-z][._-][A-Za-z]", local)


def scrub_question(text: str) -> tuple[str, list[Removed]]:
    """The question without its asker's personal data, and what was removed."""
    found: list[Removed] = []

    def ref(m: re.Match[str]) -> str:
        parts = [p.strip() for p in m.group(1).split(",")]
        kinds = []
        for part in parts:
            if (school := _school(part)) or SCHOOL.search(part):
                found.append(Removed("school", school or part))
                kinds.append("school")
            elif person(part) and re.fullmatch(NAME, part):
                found.append(Removed("name", part))
                kinds.append("name")
        if not kinds:
            return m.group(0)
        return " [" + " and ".join(dict.fromkeys(kinds)) + " removed]"

    text = REF.sub(ref, text)

    def email(m: re.Match[str]) -> str:
        if team_address(m.group(0)):
            return m.group(0)
        found.append(Removed("email", m.group(0)))
        return "[email removed]"

    text = EMAIL.sub(email, text)
    text, more = scrub(text, contacts=False)
    text = personal.PHONE.sub(lambda m: found.append(Removed("phone", m.group(0))) or "[phone removed]", text)
    return _tidy(text), found + more


def scrub(text: str, contacts: bool = False) -> tuple[str, list[Removed]]:
    """Text (a question, an answer, the intro, a section's title) without the names,
    schools and home addresses a questioner gave, each replaced by a marker."""
    found = [f for f in personal.find(text, contacts=contacts) if f.text]
    removed = list(dict.fromkeys(Removed(f.kind, f.text) for f in found))
    for f in sorted(found, key=lambda f: -len(f.text)):  # "14 Mill Lane, Ashford TN23 4QX" before "TN23 4QX"
        text = text.replace(f.text, f"[{f.kind} removed]")
    return (_tidy(text) if removed else text), removed


_PAIR = re.compile(r"\[(\w+(?: and \w+)*) removed\]\s*\[(\w+(?: and \w+)*) removed\]")
_NAMES = re.compile(r"\[name removed\](?:(?:,\s*|\s+and\s+)\[name removed\])+")
_SPACE_BEFORE = re.compile(r"[ \t]+([.,;!?])")
_REPEATED = re.compile(r"\[(name|school) removed\](?:\s*\[\1 removed\])+")


def _tidy(text: str) -> str:
    """'[name removed] [email removed]' -> '[name and email removed]'; no doubled spaces."""
    text = _NAMES.sub("[name removed]", text)
    while (m := _PAIR.search(text)) is not None:
        kinds = list(dict.fromkeys(m.group(1).split(" and ") + m.group(2).split(" and ")))
        text = text[: m.start()] + "[" + " and ".join(kinds) + " removed]" + text[m.end() :]
    return _SPACE_BEFORE.sub(r"\1", "\n".join(" ".join(line.split()) for line in text.split("\n")))


def echoes(removed: list[Removed]) -> list[tuple[re.Pattern[str], str]]:
    """Patterns for each removed name and school wherever else the document repeats it:
    the whole of it, a person's surname, a school's name without "Primary School"."""
    out: list[tuple[re.Pattern[str], str]] = []
    seen: set[str] = set()
    for r in removed:
        if r.kind == "email":
            continue
        forms = [r.text]
        if r.kind == "name":
            surname = r.text.split()[-1]
            if len(surname) >= 4 and surname.lower() not in _NOT_PEOPLE:
                forms.append(surname)
        else:
            core = _GENERIC_SCHOOL.sub("", r.text)
            if core != r.text and (len(core.split()) >= 2 or len(core) >= 6):
                forms.append(core)
        for form in forms:
            if form.lower() not in seen:
                seen.add(form.lower())
                out.append((re.compile(rf"\b{re.escape(form)}\b", re.I), f"[{r.kind} removed]"))
    return sorted(out, key=lambda p: -len(p[0].pattern))  # "Hill Primary School" before "Hill"


def scrub_echoes(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, marker in patterns:
        text = pattern.sub(marker, text)
    return text if not patterns else _tidy_keep_lines(text)


def _tidy_keep_lines(text: str) -> str:
    if " removed]" not in text:  # nothing to tidy (most answers)
        return text
    return "\n".join(_REPEATED.sub(r"[\1 removed]", line) for line in text.split("\n"))


def officer_addresses(answer: str) -> list[str]:
    """Personal work addresses (first.last@...) in an answer, each once."""
    return list(dict.fromkeys(a for a in EMAIL.findall(answer) if not team_address(a)))
