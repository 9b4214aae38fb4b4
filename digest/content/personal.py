"""A questioner's personal data: the one set of patterns that `digest import` removes and
`digest check` warns on, in any field and in any case ("My name is", "my name is", "MY
NAME IS").

- a name introduced: "my name is Jo Bloggs", "I'm Jo Bloggs from ...", "pass on my name
  ...", "regards, Jo Bloggs", or the people a questioner met ("a meeting with ...");
- a school: "Hill Primary School", "St Ebba's C of E Academy" (not "a special school");
- a home address: a house number and street ("14 Mill Lane"), a UK postcode;
- an email address and a phone number (in a question: an officer's published work
  address in an answer is for the organiser to judge, see digest.importer.privacy).

Every pattern here is linear in the text (tests/content/test_patterns.py checks their
shape): every repeat has an upper bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
HAS_EMAIL = re.compile(r"[\w.+-]@[\w-]{1,63}\.[\w-]")  # only whether there is one, fast
PHONE = re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")
_WORD = r"(?:[A-Z][a-z'’]{1,30}(?:-[A-Z][a-z'’]{1,30})?|Mc[A-Z][a-z]{1,30}|O'[A-Z][a-z]{1,30})"
_PARTICLE = r"(?:(?:Le|La|De|Van|Von|Du|Di)\s{1,3})?"
NAME = rf"{_WORD}(?:\s{{1,3}}{_PARTICLE}{_WORD}){{1,2}}"
NAMES = rf"{NAME}(?:(?:\s{{0,3}},\s{{0,3}}|\s{{1,3}}and\s{{1,3}}){NAME}){{0,6}}"
NAME_RE = re.compile(NAME)
# "my name is" and the like, in any case; the name after it in capitals, or, after "my
# name is", in any case ("my name is jo bloggs")
INTRODUCED = re.compile(
    r"(?i:\b(?:pass on my name|my name is|my name's|my name|I am|I'm|I’m|this is|regards,?|thanks,?|from)\s{1,8})"
    rf"({NAME})",
)
CALLED = re.compile(
    r"(?i:\b(?:my name is|my name's|pass on my name|my name)\s{1,8})((?:[a-z][a-z'’-]{1,30}\s{0,3}){1,3})",
)
# Who asked, as minutes write it: "raised by Mrs J. Okonkwo", "asked by Tom Fletcher",
# "question from Sarah": the name after it may be one word, with a title and initials.
_TITLE = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s{1,3})"
ATTRIBUTED = re.compile(
    r"(?i:\b(?:(?:asked|raised|submitted|sent|put|posed|brought up|shared)\s{1,3}(?:in\s{1,3}|forward\s{1,3})?by"
    r"|(?:question|query|comment|request|point)\s{1,3}from)\s{1,3})"
    rf"({_TITLE}?(?:[A-Z]\.?\s{{1,3}}){{0,3}}{_WORD}(?:\s{{1,3}}{_PARTICLE}{_WORD}){{0,2}})\b"
    r"(?!\s{1,3}(?i:schools?|sencos?|colleagues|settings?|area|district|county|council|team|parents?)\b)"
)
MET = re.compile(
    r"\b(?:met|meeting|spoke|spoken|speaking|talked|talking|emailed|call|conversation)\s{1,3}(?:with|to)\s{1,3}"
    rf"({NAMES})"
)
REF = re.compile(r"\s{0,3}[-–]?\s{0,3}\bRef(?:erence)?\s{0,3}:\s{0,3}([^.?!\n]{1,300})", re.I)
_SCHOOL_KIND = (
    r"(?:(?:Primary|Secondary|Infant|Infants|Junior|Grammar|High|Special|Church of England|C of E|CE|CofE|"
    r"Catholic|Community|Free|Church)\s{1,3}){0,3}(?:School|Academy|College)"
)
SCHOOL = re.compile(rf"\b((?:(?:St\.?|Saint)\s{{1,3}})?(?:[A-Z][a-z'’.-]{{1,30}}\s{{1,3}}){{1,4}}{_SCHOOL_KIND})\b")
# A school named without "School": "Brambleside Primary", "St Mary's CE Primary", "Oak Infants"
# (not "Swale Primary schools", "the Primary phase").
_BARE_KIND = r"(?:(?:Church of England|C of E|CE|CofE|Catholic|RC)\s{1,3})?(?:Primary|Infants?|Junior|Juniors)"
BARE_SCHOOL = re.compile(
    rf"\b((?:(?:St\.?|Saint)\s{{1,3}})?(?:[A-Z][a-z'’.-]{{1,30}}\s{{1,3}}){{1,4}}{_BARE_KIND})\b"
    r"(?!\s{1,3}(?i:schools?|academy|college|phase|pupils?|children|heads?|sencos?|settings?|age|aged|years?|"
    r"education|transfer|and|or|to|provision|places?|funding|sector|colleagues|forum|network|cluster)\b)"
)
_BARE_GENERIC = re.compile(rf"\s{{1,3}}{_BARE_KIND}$")
SCHOOL_ANY_CASE = re.compile(  # "from larkspur infant school": after at/from, in any case
    rf"(?i:\b(?:at|from|of)\s{{1,3}})((?i:(?:[a-z'’.-]{{2,30}}\s{{1,3}}){{1,4}}){_SCHOOL_KIND})\b", re.I
)
GENERIC_SCHOOL = re.compile(rf"\s{{1,3}}{_SCHOOL_KIND}$", re.I)
_STREET = (
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Gardens|Place|Court|Grove|Terrace|"
    r"Walk|Row|Square|Mews|Rise|Hill|View|Park)"
)
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s{0,2}\d[ABD-HJLNP-UW-Z]{2}\b")
ADDRESS = re.compile(
    rf"\b\d{{1,4}}[A-Za-z]?,?\s{{1,3}}(?:[A-Z][a-z'’-]{{1,30}}\s{{1,3}}){{1,3}}{_STREET}\b"
    rf"(?:,?\s{{1,3}}[A-Z][a-z'’-]{{1,30}}){{0,3}}(?:,?\s{{1,3}}[A-Z]{{1,2}}\d[A-Z\d]?\s{{0,2}}\d[A-Z]{{2}})?"
)


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one string (for lists of words kept in the code)."""
    return frozenset(text.split())


# Words that make a run of capitals an organisation, a place or a title, not a person.
NOT_PEOPLE = word_set(
    """kent county council kcc medway nhs school schools academy college primary secondary
    infant junior grammar special independent senco sendco sen send team service services hub
    forum forums balanced system inclusion champion champions the a an our my your this that
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december term year reception early years
    mainstream core standards stls iask kelsi ehcp ehcna link therapy speech language
    occupational assessment placement tribunal officer manager adviser advisor area
    communities community of phase transfer annual review dear hi hello thanks thank many
    regards best kind wishes local other new same any every each all their his her nearest current
    previous feeder receiving many some most specialist another one two first next last"""
)
# Words that end a name written in lower case ("my name is jo bloggs and I ...").
_NOT_NAME = word_set(
    """and i i'm im from at the a an is am was senco sendco head teacher of in with for to
    we our my but so please can could would will named chosen preferred home their your into onto
    or on by as if not no per via"""
)


_KINDS_OF_SCHOOL = word_set("school academy college primary infant infants junior juniors secondary grammar high")


@dataclass(frozen=True)
class Found:
    kind: str  # "name", "school", "address", "email", "phone"
    text: str  # the personal data itself
    said: str  # the words it was found in, as written


def person(text: str) -> bool:
    parts = [p.lower().strip("'’") for p in re.split(r"[\s-]+", text) if p]
    return len(parts) >= 2 and not any(p in NOT_PEOPLE for p in parts)


def school_name(text: str) -> str | None:
    """The school's name without its leading article, or None for "a Special School"."""
    words = text.split()
    while words and words[0].lower() in ("the", "a", "an", "our", "my", "your", "this", "that", "at", "from", "of"):
        words = words[1:]
    name = " ".join(words)
    core = GENERIC_SCHOOL.sub("", name)
    words = [w.lower().strip("'’.") for w in core.split()]
    if not core or core == name or all(w in NOT_PEOPLE for w in words) or any(w in _NOT_NAME for w in words):
        return None
    return name


def called(m: re.Match[str]) -> str | None:
    """The name after "my name is", in any case, up to a word that is not a name."""
    words = []
    for w in m.group(1).split():
        if w.lower().strip("'’") in _NOT_NAME:
            break
        words.append(w)
    return " ".join(words) if words else None


def find(text: str, *, contacts: bool = True) -> list[Found]:
    """The personal data in text; `contacts`: email addresses and phone numbers too."""
    out: list[Found] = []
    for m in INTRODUCED.finditer(text):
        if person(m.group(1)):
            out.append(Found("name", m.group(1), m.group(0)))
    for m in CALLED.finditer(text):
        if (name := called(m)) and not any(f.text.lower() == name.lower() for f in out):
            out.append(Found("name", name, m.group(0).split(name)[0] + name))
    for m in ATTRIBUTED.finditer(text):
        name = m.group(1)
        words = [w.lower().strip("'’.") for w in re.split(r"[\s-]+", name) if w]
        school = any(w in _KINDS_OF_SCHOOL for w in words)  # "raised by Larkspur Infant School": a school
        if not school and not all(w in NOT_PEOPLE for w in words) and not any(f.text == name for f in out):
            out.append(Found("name", name, m.group(0)))
    for m in MET.finditer(text):
        for n in NAME_RE.findall(m.group(1)):
            if person(n):
                out.append(Found("name", n, m.group(0)))
    for pattern in (SCHOOL, SCHOOL_ANY_CASE):
        for m in pattern.finditer(text):
            if (name := school_name(m.group(1))) and not any(name.lower() in f.text.lower() for f in out):
                out.append(Found("school", name, m.group(0)))
    for m in BARE_SCHOOL.finditer(text):
        name = m.group(1)
        core = [w.lower().strip("'’.") for w in _BARE_GENERIC.sub("", name).split()]
        ours = core and not all(w in NOT_PEOPLE for w in core) and not any(w in _NOT_NAME for w in core)
        if ours and not any(name.lower() in f.text.lower() or f.text.lower() in name.lower() for f in out):
            out.append(Found("school", name, m.group(0)))
    for m in ADDRESS.finditer(text):
        out.append(Found("address", m.group(0), m.group(0)))
    for m in POSTCODE.finditer(text):
        if not any(m.group(0) in f.text for f in out if f.kind == "address"):
            out.append(Found("address", m.group(0), m.group(0)))
    if contacts:
        out += [Found("email", m.group(0), m.group(0)) for m in EMAIL.finditer(text)]
        out += [Found("phone", m.group(0), m.group(0)) for m in PHONE.finditer(text)]
    return out
