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

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = r"(?:[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?|Mc[A-Z][a-z]+|O'[A-Z][a-z]+)"
_PARTICLE = r"(?:(?:Le|La|De|Van|Von|Du|Di)\s+)?"
NAME = rf"{_WORD}(?:\s+{_PARTICLE}{_WORD}){{1,2}}"
_NAMES = rf"{NAME}(?:(?:\s*,\s*|\s+and\s+){NAME})*"


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one string (for lists of words kept in the code)."""
    return frozenset(text.split())


# Words that make a run of capitals an organisation, a place or a title, not a person.
_NOT_PEOPLE = word_set(
    """kent county council kcc medway nhs school schools academy college primary secondary
    infant junior grammar special independent senco sendco sen send team service services hub
    forum forums balanced system inclusion champion champions the a an our my your this that
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december term year reception early years
    mainstream core standards stls iask kelsi ehcp ehcna link therapy speech language
    occupational assessment placement tribunal officer manager adviser advisor area
    communities community of phase transfer annual review dear hi hello thanks thank many
    regards best kind wishes"""
)

_INTRODUCED = re.compile(
    rf"\b(?:pass on my name|my name is|my name's|my name|I am|I'm|this is|regards,?|thanks,?|from)\s+({NAME})"
)
_MET = re.compile(
    rf"\b(?:met|meeting|spoke|spoken|speaking|talked|talking|emailed|call|conversation)\s+(?:with|to)\s+({_NAMES})"
)
_REF = re.compile(r"\s*[-–]?\s*\bRef(?:erence)?\s*:\s*([^.?!\n]+)", re.I)
_SCHOOL = re.compile(
    r"\b((?:(?:St\.?|Saint)\s+)?(?:[A-Z][a-z'’.-]+\s+){1,4}"
    r"(?:(?:Primary|Secondary|Infant|Junior|Grammar|High|Special|Church of England|C of E|CE|CofE|Catholic|Community)\s+)*"
    r"(?:School|Academy|College))\b"
)
_GENERIC_SCHOOL = re.compile(
    r"\s+(?:(?:Primary|Secondary|Infant|Junior|Grammar|High|Special|Church of England|C of E|CE|CofE|Catholic|"
    r"Community)\s+)*(?:School|Academy|College)$"
)


@dataclass(frozen=True)
class Removed:
    kind: str  # "name", "school", "email"
    text: str


def _person(text: str) -> bool:
    parts = [p.lower().strip("'’") for p in re.split(r"[\s-]+", text) if p]
    return len(parts) >= 2 and not any(p in _NOT_PEOPLE for p in parts)


def _school(text: str) -> str | None:
    """The school's name without its leading article, or None for "a Special School"."""
    words = text.split()
    while words and words[0].lower() in ("the", "a", "an", "our", "my", "your", "this", "that"):
        words = words[1:]
    name = " ".join(words)
    core = _GENERIC_SCHOOL.sub("", name)
    if not core or core == name or all(w.lower() in _NOT_PEOPLE for w in core.split()):
        return None
    return name


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
            if (school := _school(part)) or _SCHOOL.search(part):
                found.append(Removed("school", school or part))
                kinds.append("school")
            elif _person(part) and re.fullmatch(NAME, part):
                found.append(Removed("name", part))
                kinds.append("name")
        if not kinds:
            return m.group(0)
        return " [" + " and ".join(dict.fromkeys(kinds)) + " removed]"

    text = _REF.sub(ref, text)

    def email(m: re.Match[str]) -> str:
        if team_address(m.group(0)):
            return m.group(0)
        found.append(Removed("email", m.group(0)))
        return "[email removed]"

    text = EMAIL.sub(email, text)

    def names(m: re.Match[str]) -> str:
        span = m.group(1)
        people = [n for n in re.findall(NAME, span) if _person(n)]
        if not people:
            return m.group(0)
        for person in people:
            found.append(Removed("name", person))
        return m.group(0)[: m.start(1) - m.start(0)] + "[name removed]"

    text = _INTRODUCED.sub(names, text)
    text = _MET.sub(names, text)

    def school(m: re.Match[str]) -> str:
        name = _school(m.group(1))
        if name is None:
            return m.group(0)
        found.append(Removed("school", name))
        return m.group(0).replace(name, "[school removed]")

    text = _SCHOOL.sub(school, text)
    return _tidy(text), found


def _tidy(text: str) -> str:
    """'[name removed] [email removed]' -> '[name and email removed]'; no doubled spaces."""
    pattern = re.compile(r"\[(\w+(?: and \w+)*) removed\]\s*\[(\w+(?: and \w+)*) removed\]")
    while (m := pattern.search(text)) is not None:
        kinds = list(dict.fromkeys(m.group(1).split(" and ") + m.group(2).split(" and ")))
        text = text[: m.start()] + "[" + " and ".join(kinds) + " removed]" + text[m.end() :]
    return re.sub(r"\s+([.,;!?])", r"\1", " ".join(text.split()))


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
    return "\n".join(
        re.sub(r"\[(name|school) removed\](?:\s*\[\1 removed\])+", r"[\1 removed]", line) for line in text.split("\n")
    )


def officer_addresses(answer: str) -> list[str]:
    """Personal work addresses (first.last@...) in an answer, each once."""
    return list(dict.fromkeys(a for a in EMAIL.findall(answer) if not team_address(a)))
