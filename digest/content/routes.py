"""Every "contact" a reader can act on, and summaries that keep to their answer.

Two of `digest check`'s warnings (run with the others in digest.content.checks):

- `no_route`: an answer tells readers to contact, email, ring or speak to someone, and
  neither the answer nor its links nor the contact that answered it (`answered_by`)
  gives an address, a phone number or a page. "Contact the Widget team" alone leaves a
  reader nowhere to go.
- `beyond_answer`: a written headline or summary holds a date, number, email address,
  link or negation that its answer does not (digest.content.claims).

Every pattern here reads what organisers write, so each is linear
(tests/content/test_patterns.py): every repeat is bounded.
"""

from __future__ import annotations

import re

from digest.content import claims, wording
from digest.content.load import Site
from digest.content.model import Contact, Item
from digest.errors import WARNING, Problem

_VERB = r"(?:contact|e-?mail|ring|phone|call|speak|talk|get in touch|write to|liaise)"
_NOUN = r"(?:calls?|numbers?|address(?:es)?|details|and|or|is|are|was|were|has|have)\b"  # "Phone calls are ..."
# Told to the reader: "Contact ...", "please email ...", "you can speak to ...", "schools
# should ring ...", "this would be best spoken through with ...".
_TOLD = [
    re.compile(rf"(?:^|[.!?:;]\s{{1,4}}|\(\s{{0,2}})(?:please\s{{1,4}})?{_VERB}\b(?!\s{{1,4}}{_NOUN})", re.I),
    re.compile(rf"\b(?:please|do)\s{{1,4}}(?:do\s{{1,4}})?{_VERB}\b", re.I),
    re.compile(
        rf"\b(?:you|schools?|parents?|senco'?s?|settings?)\s{{1,4}}(?:can|could|should|may|must|will need to|need to)"
        rf"\s{{1,4}}(?:also\s{{1,4}})?(?:directly\s{{1,4}})?{_VERB}\b",
        re.I,
    ),
    re.compile(r"\bbest\s{1,4}(?:spoken|talked)\s{1,4}through\s{1,4}with\b", re.I),
    re.compile(r"\bwho\s{1,4}(?:do|can|should)\s{1,4}we\s{1,4}(?:contact|speak to|email)\b", re.I),
]
_ADDRESS = re.compile(r"[\w.+-]@[\w-]{1,63}\.[\w-]")
_PAGE = re.compile(r"https?://|\bwww\.|\]\(", re.I)
_PHONE = re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")


def tells_to_contact(answer: str) -> str:
    """The words that tell a reader to get in touch ('' when there are none)."""
    text = " ".join((answer or "").split())
    for pattern in _TOLD:
        if m := pattern.search(text):
            return m.group(0).strip(" .!?:;(")
    return ""


def has_route(item: Item, contact: Contact | None) -> bool:
    """An address, phone number or page in the answer, its links or its contact."""
    answer = item.answer or ""
    if _ADDRESS.search(answer) or _PAGE.search(answer) or _PHONE.search(answer) or item.links:
        return True
    return bool(contact and (contact.email or contact.url or contact.phone))


def no_route(site: Site) -> list[Problem]:
    contacts = {c.id: c for c in site.contacts}
    out = []
    for forum in site.forums.values():
        for item in forum.items:
            if item.feedback or not (item.answer or "").strip():
                continue
            told = tells_to_contact(wording.plain(item.answer or ""))
            contact = contacts.get(item.answered_by or "")
            if not told or has_route(item, contact):
                continue
            src, path = site.origins[f"item:{item.id}"]
            whom = f"; contact '{contact.id}' has no email, url or phone either" if contact else ""
            out.append(
                src.problem(
                    path + ("answer",),
                    f"the answer says '{told}' but gives no address, phone number or page{whom}",
                    "add the route the document gives (an address, a `links:` entry, or `answered_by:` a contact"
                    " with `email:`); if the document gives none, leave it and say so to the organisers",
                    WARNING,
                )
            )
    return out


def beyond_answer(site: Site) -> list[Problem]:
    contacts = {c.id: c for c in site.contacts}
    out = []
    for forum in site.forums.values():
        for section in forum.sections:
            for item in section.items:
                src, path = site.origins[f"item:{item.id}"]
                for name, extra in claims.added(item, contacts.get(item.answered_by or ""), section.title):
                    if getattr(item, name):
                        at, said = path + (name,), f"{name} holds"
                        hint = f"keep the {name} to what the answer says (or put it in the answer, if the document says it)"
                    else:  # made from the question
                        at, said = path + ("question",), "no headline, and the one made from the question holds"
                        hint = "add `headline:` that keeps to what the answer says"
                    out.append(
                        src.problem(at, f"{said} {claims.describe(extra)}, which its answer does not", hint, WARNING)
                    )
    return out
