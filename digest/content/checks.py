"""Warnings `digest check` (and the preview) reports beside the errors.

- near-duplicate questions: the forum documents repeat questions verbatim;
- personal data in a question: an email address, a named questioner;
- items, events and contacts that reach no reader at all.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from digest.content import todo, wording
from digest.content.load import Site
from digest.content.model import Item
from digest.errors import WARNING, Problem

# These run over every question, whatever its length, so each is linear in the text: every
# repeat has an upper bound (an attempt at one place then takes a bounded number of steps),
# except a run of one character class at the very end, which cannot fail once it starts.
# An unbounded repeat followed by more pattern makes a search quadratic: the old address
# pattern, [\w.+-]+@..., ran to the end of every word at every one of its letters (17 s for
# a 100,000-character question). tests/content/test_patterns.py checks the rule.
_EMAIL = re.compile(
    r"[\w.+-]@[\w-]{1,63}\.[\w-]"
)  # a local part's last letter, @, a domain label (RFC 1035: 63), a dot
_NAME = r"[A-Z][a-z']{1,40}(?:[- ][A-Z][a-z']{1,40}){1,4}"  # two to five capitalised names
_NAMED = [
    re.compile(rf"\b(?:my name is|pass on my name|I am|I'm|this is|regards,?|thanks,?|from)\s{{1,8}}{_NAME}"),
    re.compile(rf"\bRef:\s{{0,8}}[^.]{{0,200}}\b(?:SENCO|SENDCo|Head)\b,?\s{{0,8}}{_NAME}", re.I),
    re.compile(rf"\b(?:SENCO|SENDCo)\s{{0,8}},\s{{0,8}}{_NAME}"),
]
_PHONE = re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")
_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
SIMILAR = 0.9
COMPARED = 2_000  # characters of each question compared for near-duplicates: the comparison is quadratic


def _norm(text: str) -> str:
    return " ".join(_NOT_ALNUM.sub(" ", text.lower()).split())


def near_duplicates(site: Site) -> list[Problem]:
    """Each item whose question repeats an earlier one of its forum, against the first it repeats.

    One SequenceMatcher per item (its question as the second sequence, whose index it
    builds once), compared with the earlier ones by the cheap bounds first; questions
    are compared up to COMPARED characters, so no pair costs more than a bounded amount."""
    out = []
    for forum in site.forums.values():  # a question asked again at a later forum is news, not a copy
        earlier: list[tuple[Item, str]] = []
        matcher = SequenceMatcher(None, autojunk=False)
        for ib in forum.items:
            qb = _norm(ib.question)[:COMPARED]
            matcher.set_seq2(qb)
            for ia, qa in earlier:
                matcher.set_seq1(qa)
                if (
                    matcher.real_quick_ratio() >= SIMILAR
                    and matcher.quick_ratio() >= SIMILAR
                    and matcher.ratio() >= SIMILAR
                ):
                    ofile, oline = site.where(f"item:{ia.id}")
                    src, path = site.origins[f"item:{ib.id}"]
                    out.append(
                        src.problem(
                            path + ("question",),
                            f"question repeats item '{ia.id}' ({ofile}:{oline})",
                            f"merge them into one item and set `asked: {ia.asked + ib.asked}`",
                            WARNING,
                        )
                    )
                    break
            earlier.append((ib, qb))
    return out


def personal_data(site: Site) -> list[Problem]:
    out = []
    for forum in site.forums.values():
        for item in forum.items:
            src, path = site.origins[f"item:{item.id}"]
            q = item.question
            if _EMAIL.search(q):
                out.append(
                    src.problem(
                        path + ("question",),
                        "question contains an email address",
                        "remove the questioner's address before publishing",
                        WARNING,
                    )
                )
            if _PHONE.search(q):
                out.append(
                    src.problem(
                        path + ("question",), "question contains a phone number", "remove it before publishing", WARNING
                    )
                )
            for pattern in _NAMED:
                if m := pattern.search(q):
                    out.append(
                        src.problem(
                            path + ("question",),
                            f"question may name the questioner: '{m.group(0)}'",
                            "remove the name and school before publishing",
                            WARNING,
                        )
                    )
                    break
    return out


def unreachable(site: Site) -> list[Problem]:
    profiles = list(site.taxonomy.profiles())
    out = []
    for key, rule in site.rules.items():
        if rule.everyone:
            continue
        # a multi-phase reader can be reached where no single-phase one is (exclusions)
        if not any(rule.matches(p) for p in profiles):
            kind = key.split(":")[0]
            src, path = site.origins[key]
            out.append(
                src.problem(
                    path + ("audience",),
                    f"this {kind} reaches no reader",
                    "check the audience: an exclusion may cancel everything it includes",
                    WARNING,
                )
            )
    return out


def too_long(site: Site) -> list[Problem]:
    """Headlines and summaries a reader would not scan: written ones over their limit, and
    missing ones whose derived text is over it (the email cuts those short)."""
    out = []
    for forum in site.forums.values():
        for item in forum.items:
            src, path = site.origins[f"item:{item.id}"]
            fields = [("headline", item.headline, wording.derive_headline(item.question), wording.HEADLINE_WORDS)]
            if not item.feedback and (item.answer or "").strip():
                fields.append(
                    ("summary", item.summary, wording.derive_summary(item.answer or ""), wording.SUMMARY_WORDS)
                )
            for name, written, derived, limit in fields:
                n = wording.words(written or derived)
                if n <= limit:
                    continue
                if written:
                    message = f"{name} is {n} words; readers scan about {limit}"
                    hint = f"shorten it to {limit} words or fewer"
                    at = path + (name,)
                else:
                    source = "question" if name == "headline" else "answer"
                    message = f"no {name}, and the one made from the {source} is {n} words (about {limit} at most)"
                    hint = f"add `{name}:` of {limit} words or fewer; the email cuts the derived one short"
                    at = path + (source,)
                out.append(src.problem(at, message, hint, WARNING))
    return out


def lonely_topics(site: Site) -> list[Problem]:
    """A topic no other item uses that looks like a mistake: the second half of one topic
    cut in two by a comma (`topics: [Speech, language and communication]` is two topics,
    the second starting in lower case), or another topic spelt differently. A topic used
    once and written like a topic is left alone: small forums have many."""
    uses = Counter(t for forum in site.forums.values() for item in forum.items for t in item.topics)
    squashed: dict[str, list[str]] = {}
    for topic in uses:
        squashed.setdefault(re.sub(r"[\W_]+", "", topic.lower()), []).append(topic)
    out = []
    for forum in site.forums.values():
        for item in forum.items:
            for ti, topic in enumerate(item.topics):
                if uses[topic] != 1:
                    continue
                twins = [t for t in squashed[re.sub(r"[\W_]+", "", topic.lower())] if t != topic]
                if ti and topic[:1].islower():
                    hint = f"a comma starts a new topic: if it is one, quote it: '{item.topics[ti - 1]}, {topic}'"
                elif twins:
                    hint = f"did you mean '{twins[0]}'?"
                else:
                    continue
                src, path = site.origins[f"item:{item.id}"]
                out.append(
                    src.problem(
                        path + ("topics", ti), f"topic '{topic}' is used by no other item", hint, WARNING, value=True
                    )
                )
    return out


# Each check with the heading the preview's coverage panel shows its findings under.
CHECKS = (
    ("Reach no reader", unreachable),
    ("Near-duplicate questions", near_duplicates),
    ("Personal data in questions", personal_data),
    ("Headlines and summaries too long to scan", too_long),
    ("Topics no other item uses", lonely_topics),
    ("Left to do in a draft", todo.problems),
)


def findings(site: Site) -> list[tuple[str, list[Problem]]]:
    """Every check's warnings under its heading, also added to the site's problems."""
    out = []
    for title, check in CHECKS:
        found = check(site)
        site.problems.extend(found)
        out.append((title, found))
    return out


def run_checks(site: Site) -> Site:
    """Add every warning to the site's problems (errors are already there)."""
    findings(site)
    return site
