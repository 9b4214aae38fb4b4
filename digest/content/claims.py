"""Headlines and summaries that keep to their answer.

A reader of the email sees an item's headline and summary, and in "everything else" only
its headline, so neither may say what the answer does not: a date, a number, an email
address, a link or a "not". `claims(text)` finds those in a text; `added(item, ...)`
lists what a headline or summary holds that its answer does not. A headline written as
a question ("... do holidays count?") may also hold what the question does. The item's
links and the contact that answered it belong to the answer: a summary may repeat their
address.

Every pattern here reads what organisers write, so each is linear
(tests/content/test_patterns.py): every repeat is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.content import wording
from digest.content.model import Contact, Item

MONTHS = {
    m[:3]: m
    for m in (
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
WEEKDAYS = {d[:3]: d for d in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
    if i > 1  # "one" is as often "the one", "one of"
}
NEGATIONS = frozenset(["not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "cannot"])

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"']{1,500}", re.I)
_PHONE = re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")
_YEARS = re.compile(r"\b(20\d\d)\s{0,2}[/-]\s{0,2}(\d\d)\b")  # 2025/26: the academic year 2025/2026
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3}){1,4}(?!\d)|\d{1,12}")  # 14,000 is 14000
_WORD = re.compile(r"[a-z']{1,40}")
# A quoted term names a thing ("a 'no to issue'", "'no amends' letters"): it says no "not".
_QUOTED = re.compile(r"'[^'\n]{1,60}'|\"[^\"\n]{1,60}\"|‘[^’\n]{1,60}’|“[^”\n]{1,60}”")


@dataclass(frozen=True)
class Claim:
    kind: str  # "date", "number", "email address", "link", "negation"
    key: str  # what is compared: "may", "2025", "x@y.org", "kelsi.org.uk", "not"
    shown: str  # as written


def _url_key(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().lower())
    return url.rstrip("/.,;:")


def claims(text: str) -> list[Claim]:
    """Every date, number, address, link and negation in a text, in order."""
    out: list[Claim] = []
    rest = text or ""
    for m in _EMAIL.finditer(rest):
        out.append(Claim("email address", m.group(0).lower().rstrip("."), m.group(0).rstrip(".")))
    rest = _EMAIL.sub(" ", rest)
    for m in _URL.finditer(rest):
        out.append(Claim("link", _url_key(m.group(0)), m.group(0).rstrip(".,;:")))
    rest = _URL.sub(" ", rest)
    for m in _PHONE.finditer(rest):
        out.append(Claim("number", re.sub(r"\D", "", m.group(0)), m.group(0)))
    rest = _PHONE.sub(" ", rest)
    rest = _YEARS.sub(lambda m: f"{m.group(1)} {m.group(1)[:2]}{m.group(2)}", rest)
    for m in _NUMBER.finditer(rest):
        out.append(Claim("number", m.group(0).replace(",", "").lstrip("0") or "0", m.group(0)))
    rest = _QUOTED.sub(lambda m: " " * len(m.group(0)), rest)
    for m in _WORD.finditer(rest.lower().replace("’", "'")):
        word, shown = m.group(0).strip("'"), rest[m.start() : m.end()].strip("'’")
        if word in NEGATIONS or word.endswith("n't"):
            out.append(Claim("negation", "not", word))
        elif word in NUMBER_WORDS:
            out.append(Claim("number", NUMBER_WORDS[word], shown))
        elif word in MONTHS.values() and word != "may" or word in ("jan", "feb", "sept", "oct", "nov", "dec"):
            out.append(Claim("date", word[:3], shown))
        elif word == "may" and _may_is_a_month(rest, m.start()):
            out.append(Claim("date", "may", shown))
        elif word in WEEKDAYS.values() or word in ("mon", "tue", "tues", "wed", "weds", "thu", "thurs", "fri"):
            out.append(Claim("date", word[:3], shown))
    return out


def _may_is_a_month(text: str, at: int) -> bool:
    """ "May" the month (written with a capital, beside a day or a year), not "may" the verb."""
    if text[at : at + 1] != "M":
        return False
    before, after = text[max(0, at - 3) : at].strip(), text[at + 3 : at + 6].strip()
    return before[-1:].isdigit() or after[:1].isdigit()


def answer_keys(item: Item, contact: Contact | None) -> set[tuple[str, str]]:
    """What the answer says, with its links and the contact that answered it."""
    text = [wording.plain(item.answer or ""), item.answer or ""]
    text += [f"{link.title} {link.url.removeprefix('mailto:')}" for link in item.links]
    if contact:
        text += [contact.email or "", contact.url or "", contact.phone or ""]
    return {(c.kind, c.key) for c in claims(" ".join(text))}


def added(item: Item, contact: Contact | None = None, labels: str = "") -> list[tuple[str, list[Claim]]]:
    """(field, claims) for a headline and a written summary that hold what the answer does
    not. The headline is the one readers see: written, or made from the question.

    A headline may also name what `labels` does (its section's title and its topics:
    "Appendix 2: ..."), and one written as a question what the question holds."""
    if item.feedback or not (item.answer or "").strip():
        return []
    known = answer_keys(item, contact)
    out = []
    for name in ("headline", "summary"):
        written = getattr(item, name) or (wording.headline(item) if name == "headline" else "")
        if not written:
            continue
        allowed = known
        if name == "headline":
            context = " ".join([labels, *item.topics] + ([item.question] if written.rstrip().endswith("?") else []))
            allowed = known | {(c.kind, c.key) for c in claims(context)}
            if not getattr(item, name):  # made from the question: only its dates could pass as the answer's
                allowed |= {(c.kind, c.key) for c in claims(item.question) if c.kind != "date"}
        extra: list[Claim] = []
        for c in claims(written):
            if (c.kind, c.key) not in allowed and all(e.key != c.key or e.kind != c.kind for e in extra):
                extra.append(c)
        if extra:
            out.append((name, extra))
    return out


def describe(extra: list[Claim]) -> str:
    """ "the date '27 October', the negation 'not'" for a message."""
    return ", ".join(f"the {c.kind} '{c.shown}'" for c in extra)
