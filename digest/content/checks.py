"""Warnings `digest check` (and the preview) reports beside the errors.

- near-duplicate questions: the forum documents repeat questions verbatim;
- personal data in a question: an email address, a named questioner;
- items, events and contacts that reach no reader at all.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from digest.content import wording
from digest.content.load import Site
from digest.errors import WARNING, Problem

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_NAME = r"[A-Z][a-z']+(?:[- ][A-Z][a-z']+)+"
_NAMED = [
    re.compile(rf"\b(?:my name is|pass on my name|I am|I'm|this is|regards,?|thanks,?|from)\s+{_NAME}"),
    re.compile(rf"\bRef:\s*[^.]*\b(?:SENCO|SENDCo|Head)\b,?\s*{_NAME}", re.I),
    re.compile(rf"\b(?:SENCO|SENDCo)\s*,\s*{_NAME}"),
]
_PHONE = re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")
SIMILAR = 0.9


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


def near_duplicates(site: Site) -> list[Problem]:
    items = [(f.id, i) for f in site.forums.values() for i in f.items]
    normed = [(fid, item, _norm(item.question)) for fid, item in items]
    out = []
    for a in range(len(normed)):
        fa, ia, qa = normed[a]
        for b in range(a + 1, len(normed)):
            fb, ib, qb = normed[b]
            if fa != fb:
                continue  # a question asked again at a later forum is news, not a copy
            m = SequenceMatcher(None, qa, qb, autojunk=False)
            if m.real_quick_ratio() >= SIMILAR and m.quick_ratio() >= SIMILAR and m.ratio() >= SIMILAR:
                file, line = site.where(f"item:{ib.id}")
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


# Each check with the heading the preview's coverage panel shows its findings under.
CHECKS = (
    ("Reach no reader", unreachable),
    ("Near-duplicate questions", near_duplicates),
    ("Personal data in questions", personal_data),
    ("Headlines and summaries too long to scan", too_long),
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
