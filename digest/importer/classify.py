"""What an item is: answered or still pending, a question or only feedback, and whom its
words suggest it is for.

Pending: a response that is empty, or that only says a team will support, that it is for
discussion, or that someone will look into it or come back (the patterns are listed in
docs/content.md). Feedback: a comment that asks nothing, with no answer or one that only
thanks; it is still pending when it raises a request or a concern nobody has answered. Audience suggestions come from the question's words (districts, Medway, Year R,
primary, secondary, post-16, independent schools) and from an answer that says who an
offer is not open to; each keeps the words it came from, and none is applied by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.content.audience import Tax
from digest.content.wording import plain

# (why, pattern): the whole response, in lower case and without its last full stop
PENDING = (
    ("there is no response", r""),
    (
        "it only says a team will support",
        r"(?:for\s+)?(?:the\s+)?(?:[a-z&]+\s+){0,3}teams?\s+to\s+"
        r"(?:support|respond|answer|advise|follow\s+(?:this\s+)?up|look\s+into\s+(?:this|it)|come\s+back)"
        r"(?:\s+(?:on\s+)?(?:this|it))?",
    ),
    (
        "it only says it is for discussion",
        r"(?:for\s+)?(?:a\s+)?discussion\s+(?:for|with|at|about|in|by)\b[^.?!]{0,80}",
    ),
    (
        "it only says someone will look into it or come back",
        r"(?:i|we|they|the\s+(?:[a-z]+\s+){0,2}team)\s+(?:will|'ll|are\s+going\s+to|shall)\s+"
        r"(?:look\s+into|come\s+back|get\s+back|follow\s+(?:this\s+|it\s+)?up|feed\s*back|respond|investigate|find\s+out)"
        r"\b[^.?!]{0,60}",
    ),
    (
        "it only says it will be answered later",
        r"(?:this|it|these|this\s+question)\s+will\s+be\s+(?:addressed|answered|covered|picked\s+up|looked\s+(?:at|into)|"
        r"responded\s+to)\s+(?:in|at)\s+(?:a|the)\s+(?:future|follow[\s-]*up|later|next)\s+(?:forum|session|meeting)",
    ),
    (
        "it only says it will be shared later",
        r"(?:the\s+|this\s+|these\s+|any\s+|further\s+|more\s+)?(?:[a-z/&-]+\s+){0,5}(?:will|is\s+going\s+to)\s+be\s+"
        r"(?:made\s+available|shared|published|circulated|sent(?:\s+out)?|provided|confirmed|updated|issued|"
        r"announced|added|uploaded|given)(?:\s+(?:to|with)\s+(?:you|schools|sencos|all))?\s+"
        r"(?:as\s+soon\s+as\s+(?:possible|we\s+can|it\s+is\s+available)|shortly|soon|in\s+due\s+course|later|"
        r"(?:after|when|once|following|at|in)\s+[^.?!]{0,80})",
    ),
    (
        "it only says it will be answered later",
        r"(?:i|we)\s+will\s+(?:be\s+sure\s+to\s+|make\s+sure\s+to\s+)?(?:address|answer|cover|pick\s+up|point\s+to|"
        r"share|return\s+to)\b[^.?!]{0,60}\b(?:in|at|when|during)\s+(?:a\s+|the\s+|making\s+)?(?:[a-z]+\s+)?"
        r"(?:future|follow[\s-]*up|later|next)\b[^.?!]{0,40}",
    ),
    (
        "it only says the answer will come later",
        r"(?:we|i|they|(?:the\s+)?(?:[a-z&/-]+\s+){0,2}(?:team|service|officers?|transport|la|council|kcc))"
        r"\s+will\s+(?:share|confirm|update\s+(?:you|schools|sencos)|let\s+(?:you|schools)\s+know|"
        r"provide\s+(?:an?\s+)?(?:update|answer|response|details|more\s+information)|send\s+(?:this|it|details)\s+out)"
        r"\b[^.?!]{0,40}\b(?:as\s+soon\s+as|when|once|after|in\s+due\s+course|shortly|following)\b[^.?!]{0,80}",
    ),
    (
        "it only says the answer is to follow",
        r"(?:(?:the\s+)?(?:answer|response|more|details?)\s+)?(?:to\s+follow|to\s+come|tbc|tba|to\s+be\s+confirmed)"
        r"|awaiting\s+(?:a\s+)?(?:response|answer)",
    ),
)
_PENDING = [(why, re.compile(pattern)) for why, pattern in PENDING]

_ASKS = re.compile(  # a request for an answer, even without a question mark
    r"\b(?:I|we) would like (?:some |more )?(?:information|details|advice|guidance|training|help)\b"
    r"|\b(?:could|can) (?:you|I|we) (?:please )?(?:have|get|provide|send|tell|let)\b"
    r"|\bplease (?:advise|provide|let (?:me|us) know|tell|explain|confirm|clarify)\b"
    r"|\b(?:advise|clarify|confirm) (?:whether|if|how|what|when)\b",
    re.I,
)
_PRAISE = re.compile(
    r"\b(?:thank|thanks|thankyou|appreciated?|useful|helpful|informative|interesting|great|pleased|"
    r"keep doing|well done|brilliant|excellent|fantastic|lovely)\b",
    re.I,
)
_ACKNOWLEDGES = re.compile(r"\b(?:thank|thanks|welcome|great to hear|glad|pleased)\b", re.I)
_POINTS_ON = re.compile(r"\b(?:contact|email|please|visit|see|call|find)\b|@|https://", re.I)
PLACEHOLDER = re.compile(r"\[([^\]]*)\]\((#[^)\s]*)\)|\(#\)")


def pending_reason(answer: str) -> str | None:
    """Why an answer counts as still to come, or None if it answers."""
    text = plain(answer).lower().strip()
    text = re.sub(r"[.!\s]+$", "", " ".join(text.split()))
    first, _, rest = text.partition(". ")
    for why, pattern in _PENDING:
        if pattern.fullmatch(text):
            return why
    # A deferral followed only by why it is deferred ("There are many reasons for this...")
    # still answers nothing; one followed by a route, a link or a figure does.
    if rest and len(rest.split()) <= 40 and not _ROUTE.search(rest):
        for why, pattern in _PENDING:
            if pattern.fullmatch(first):
                return why
    return None


_ROUTE = re.compile(r"@|https?://|www\.|\d|\b(?:contact|email|call|phone|ring|visit|see|meanwhile)\b")


def is_feedback(question: str, answer: str) -> bool:
    """A comment on the forum with nothing in it for readers: it asks nothing (no question
    mark, no request for information) and has no answer, or one that only acknowledges it
    ("You're welcome!")."""
    if "?" in question or _ASKS.search(question):
        return False
    if not answer.strip():
        return True
    said = plain(answer)
    return bool(_PRAISE.search(question)) and acknowledges(said)


def acknowledges(answer: str) -> bool:
    return len(answer.split()) <= 20 and bool(_ACKNOWLEDGES.search(answer)) and not _POINTS_ON.search(answer)


def thanks(comment: str) -> bool:
    """Feedback that thanks or praises, which needs no reply (a request or a concern does)."""
    return bool(_PRAISE.search(comment))


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_BY = (
    rf"\bby\s+(?:the\s+)?(?:end\s+of\s+(?:Term|term)\s+\d|end\s+of\s+(?:the\s+)?(?:autumn|spring|summer)\s+term|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
    rf"(?:Monday|Tuesday|Wednesday|Thursday|Friday)\s+\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?)"
)
_ACTIONS = (
    re.compile(_BY),
    re.compile(r"\b(?:return|send|submit|complete|book|register|apply|upload)\b[^.?!]{0,80}\bby\b", re.I),
    re.compile(r"\b(?:email|e-mail|contact|call|ring|write\s+to)\b[^.?!]{1,80}\bwith\b", re.I),
    re.compile(r"\bdeadline\b", re.I),
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]|$)")


def suggest_actions(answer: str) -> list[tuple[str, str]]:
    """What the answer asks readers to do, each as (its sentence, by when or ""), from its
    wording ("by the end of Term 6", "return the form by", "email ... with")."""
    out: list[tuple[str, str]] = []
    for sentence in _SENTENCE.findall(plain(answer)):
        sentence = " ".join(sentence.split())
        if len(sentence.split()) < 3 or not any(p.search(sentence) for p in _ACTIONS):
            continue
        by = re.search(_BY, sentence)
        out.append((sentence, by.group(0) if by else ""))
    return out[:3]


def placeholders(text: str) -> list[str]:
    """The document's placeholder links ("[Click here](#)"), as written."""
    return [m.group(0) for m in PLACEHOLDER.finditer(text)]


# -- audience ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    key: str  # "districts", "phases", "settings", "exclude.districts", "exclude.settings"
    values: tuple[str, ...]
    quote: str  # the words it came from


_PHASE_WORDS = (
    (("early years", "primary"), r"\bYear R\b|\bYR\b|\bReception\b|\bEYFS\b"),
    (("early years",), r"\b(?:early years|nursery|pre-?school)\b"),
    (("primary",), r"\b(?:primary|infants?|juniors?|KS ?[12]|key stage [12]|Y(?:ea)?r ?[1-6]|Y[1-6])\b"),
    (
        ("secondary",),
        r"\b(?:secondary|KS ?[34]|key stage [34]|Y(?:ea)?r ?(?:[7-9]|1[01])|Y(?:[7-9]|1[01])|11\+|grammar)",
    ),
    (("post-16",), r"\b(?:post[- ]?16|sixth form|Y(?:ea)?r ?1[23]|FE college|further education)\b"),
)
_CASE_SENSITIVE = {r"\bYear R\b|\bYR\b|\bReception\b|\bEYFS\b"}
_INDEPENDENT = re.compile(r"\bindependent(?: mainstream)? schools?\b", re.I)
_NOT_FOR = re.compile(
    r"\b(?:not (?:open|available) to|will not be able to access|does not include|do not include|excludes?)\b"
    r"(?P<rest>[^.;!?]*)",
    re.I,
)
_WHO = re.compile(r"\b(Medway|independent)\b(?=(?:\s+mainstream)?\s+schools?\b|\s*$|\s*[,)])", re.I)
_SUBJECT = re.compile(
    r"\b(Medway|independent)(?: mainstream)? schools? (?:will not|cannot|can't|won't|are not able to)\b", re.I
)
_ONLY_KENT = re.compile(r"\bonly (?:available|open|operational) (?:to|within|for|in) Kent(?: schools)?\b", re.I)


def quote(text: str, m: re.Match[str], words: int = 4) -> str:
    """The matched words with a few either side, as written, on one line."""
    starts = [w.start() for w in re.finditer(r"\S+", text[: m.start()])]
    ends = [m.end() + w.end() for w in re.finditer(r"\S+", text[m.end() :])]
    start = starts[-words] if len(starts) >= words else 0
    end = ends[words - 1] if len(ends) >= words else len(text)
    shown = " ".join(text[start:end].split()).replace('"', "'")
    return ("…" if start else "") + shown + ("…" if end < len(text) else "")


def suggest_audience(question: str, answer: str, tax: Tax | None) -> list[Suggestion]:
    out: list[Suggestion] = []
    q = plain(question)
    a = plain(answer)
    out_of_county = list(tax.model.out_of_county) if tax else ["Medway"]
    districts = tax.districts if tax else out_of_county
    named: list[tuple[str, str]] = []
    for district in districts:
        m = re.search(rf"\b{re.escape(district)}\b", q)
        if m:
            named.append((district, quote(q, m)))
    if named:
        out.append(Suggestion("districts", tuple(d for d, _ in named), "; ".join(w for _, w in named)))
    phases: list[str] = []
    quotes: list[str] = []
    for values, pattern in _PHASE_WORDS:
        m = re.search(pattern, q, 0 if pattern in _CASE_SENSITIVE else re.I)
        if m:
            quotes.append(quote(q, m))
            phases.extend(v for v in values if v not in phases)
    if tax:
        phases = [p for p in tax.phases if p in phases]  # the taxonomy's names and order
    if phases:
        out.append(Suggestion("phases", tuple(phases), "; ".join(quotes)))
    independent = _INDEPENDENT.search(q)
    if independent and (not tax or tax.canonical("setting", "independent")):
        out.append(Suggestion("settings", ("independent",), quote(q, independent)))
    excluded: list[tuple[str, re.Match[str]]] = []  # ("independent" | "out of county", the words)
    for m in _NOT_FOR.finditer(a):
        excluded += [(w.group(1).lower(), m) for w in _WHO.finditer(m.group("rest"))]
    excluded += [(m.group(1).lower(), m) for m in _SUBJECT.finditer(a)]
    excluded += [("medway", m) for m in _ONLY_KENT.finditer(a)]
    for who, m in excluded:
        if who == "independent":
            if not independent:  # a question about independent schools: the answer is for them
                out.append(Suggestion("exclude.settings", ("independent",), quote(a, m)))
        elif not any(d in out_of_county for d, _ in named):
            out.append(Suggestion("exclude.districts", tuple(out_of_county), quote(a, m)))
    return _merge(out)


def _merge(found: list[Suggestion]) -> list[Suggestion]:
    by_key: dict[str, Suggestion] = {}
    for s in found:
        if s.key in by_key:
            old = by_key[s.key]
            values = tuple(dict.fromkeys(old.values + s.values))
            by_key[s.key] = Suggestion(s.key, values, f"{old.quote}; {s.quote}")
        else:
            by_key[s.key] = s
    return list(by_key.values())
