"""Where the questions start, scored from the document's own evidence rather than matched
against known layouts.

Each paragraph is looked at for every sign of a question: a label ("Q:", "Q3.",
"Question:", "Comment:"), a number ("1." typed, or Word's list numbering), bold, a Word
heading style, a question mark at its end. The sign the document uses most consistently
(at least MIN_SIGNS times) is taken as its way of starting a question; labels win over
the others, since a document that labels its questions labels all of them. The seeds'
bullets (a question as a top-level bullet, its answer in deeper ones) are read by
digest.importer.parse when the document's lists look like that.

The walk then goes paragraph by paragraph: a question start opens an item; an answer
label ("A:", "Answer:", "Response:") or the first paragraph after the question opens its
answer; a heading (a heading style, or a short line that is not a sentence and stands
right before a question or a table) opens a section; everything else continues the
answer. A section titled as feedback or comments holds one comment per paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.importer.source import Block, Para, Table

MIN_SIGNS = 3

_Q_LABEL = re.compile(
    r"^\s*(?:\*{1,3}\s*)?(?:Q(?:uestion)?\s*\d{0,3}\s*[:.)\-–]|Q\d{1,3}\b\s*[:.)\-–]?|"
    r"(?:Comment|Query|Feedback)\s*\d{0,3}\s*[:\-–])\s*(?:\*{1,3}(?=\s|$))?\s*",
    re.I,
)
_A_LABEL = re.compile(
    r"^\s*(?:\*{1,3}\s*)?(?:A(?:nswer)?\s*\d{0,3}\s*[:.)\-–]|A\d{1,3}\b\s*[:.)\-–]?|"
    r"(?:(?:KCC|LA|Council|Officer|Our)\s+)?(?:Response|Reply)\s*\d{0,3}\s*[:\-–])\s*(?:\*{1,3}(?=\s|$))?\s*",
    re.I,
)
_TYPED_NUMBER = re.compile(r"^\s*(?:\*{1,3}\s*)?\d{1,3}[.)]\s+(?:\*{1,3}\s*)?")
_BARE_QUESTION_LABEL = re.compile(r"[\s*]*Question\s*\d{1,3}\s*[:.)\-–]?[\s*]*", re.I)
_WHOLE_BOLD = re.compile(r"^\s*\*\*(?!\*)(.+?)\*\*\s*$")
_FEEDBACK_TITLE = re.compile(r"\b(?:feedback|comments?|evaluation)\b", re.I)
_NOT_HEADING = re.compile(r"https?://|@|\bwww\.|[:;,]\s*$")


def _bare(text: str) -> str:
    return re.sub(r"[*_\s]+", " ", text).strip()


def q_label(text: str) -> str | None:
    """The text after a question label ("" for a label alone, "Question 3:", whose
    question is the next paragraph), or None."""
    m = _Q_LABEL.match(text)
    if not m:
        return None
    if not text[m.end() :].strip():
        return (
            "" if re.fullmatch(r"[\s*]*(?:Q|Question|Comment|Query)\s*\d{0,3}\s*[:.)\-–]?[\s*]*", text, re.I) else None
        )
    return _balance(text[m.end() :], text[: m.end()])


def a_label(text: str) -> str | None:
    m = _A_LABEL.match(text)
    if not m or re.match(r"^\s*A\s+\w", text):  # "A parent asked..." is no label
        return None
    return _balance(text[m.end() :], text[: m.end()])


def _balance(rest: str, label: str) -> str:
    """The rest of a labelled paragraph, with a bold that opened before the label closed."""
    rest = rest.strip()
    if label.lstrip().startswith("**") and not label.rstrip().endswith("**") and rest.count("**") % 2:
        rest = rest.replace("**", "", 1) if rest.startswith("**") else re.sub(r"\*\*(?=[^*]*$)", "", rest)
    return rest


def whole_bold(text: str) -> bool:
    m = _WHOLE_BOLD.match(_TYPED_NUMBER.sub("", text, count=1) if text.lstrip("* ")[:1].isdigit() else text)
    return bool(m) and "**" not in m.group(1)


def asks(text: str) -> bool:
    return _bare(text).rstrip("*_ ").endswith("?") or ("?" in text and len(text.split()) <= 60)


@dataclass
class Evidence:
    labels: int = 0
    answers: int = 0
    numbered: int = 0
    bold: int = 0
    headed: int = 0
    asked: int = 0
    statements: int = 0  # a bold statement (no "?") with a plain answer below: "Concerns about ..."
    numbered_statements: int = 0  # "3. Funding for pupils awaiting assessment", its answer below
    titles: int = 0  # a heading that names a topic ("Taxi arrangements for post-16 students"), its answer below
    bullets: int = 0  # a top-level bullet followed by deeper ones (the seeds' layout)
    tables: int = 0

    def choose(self) -> str:
        if self.labels >= MIN_SIGNS or (self.labels >= 2 and self.answers >= 2):
            return "labels"
        if self.bullets >= MIN_SIGNS and self.bullets >= max(self.numbered, self.bold, self.headed) // 2:
            return "bullets"
        ranked = [(n, name) for name, n in (("headed", self.headed), ("bold", self.bold), ("numbered", self.numbered))]
        n, name = max(ranked)
        if n >= MIN_SIGNS:
            return name
        if self.asked >= MIN_SIGNS:
            return "asked"
        if self.bold + self.statements >= MIN_SIGNS:
            return "bold"
        if self.numbered + self.numbered_statements >= MIN_SIGNS:
            return "numbered"
        if self.titles >= MIN_SIGNS:
            return "titles"
        return "bullets" if self.bullets or not self.tables else "tables"


def _numbered(p: Para) -> bool:
    return (p.level == 0 and p.numbered) or bool(_TYPED_NUMBER.match(p.text))


def evidence(blocks: list[Block]) -> Evidence:
    ev = Evidence()
    paras = [b for b in blocks if isinstance(b, Para)]
    for i, p in enumerate(paras):
        nxt = paras[i + 1] if i + 1 < len(paras) else None
        ev.labels += q_label(p.text) is not None
        ev.answers += a_label(p.text) is not None
        followed = nxt is not None and not asks(nxt.text)
        if asks(p.text) and followed:
            ev.numbered += _numbered(p)
            ev.bold += whole_bold(p.text)
            ev.headed += p.heading is not None and p.heading > 0
            ev.asked += p.level is None
        ev.statements += bold_statement(p, nxt)
        ev.numbered_statements += numbered_statement(p, nxt)
        ev.titles += heading_title(p, nxt)
        if p.level == 0 and nxt is not None and (nxt.level or 0) >= 1:
            ev.bullets += 1
    ev.tables = sum(isinstance(b, Table) for b in blocks)
    return ev


def bold_statement(p: Para, nxt: Block | None) -> bool:
    """A bold paragraph that asks without a question mark ("Concerns about the 11+ for
    pupils with an EHCP"), its answer a plain paragraph below: six words or more, not a
    lead-in to a list (":"), not a heading style."""
    return (
        whole_bold(p.text)
        and not asks(p.text)
        and p.heading is None
        and 6 <= len(_bare(p.text).split()) <= 60
        and not _bare(p.text).rstrip("*_ ").endswith(":")
        and isinstance(nxt, Para)
        and nxt.heading is None
        and not whole_bold(nxt.text)
        and q_label(nxt.text) is None
    )


def numbered_statement(p: Para, nxt: Block | None) -> bool:
    """A numbered title that asks without a question mark ("3. Funding for pupils awaiting
    assessment"), its answer a plain paragraph below: three words or more, not a sentence
    (no full stop: "1. Complete the form." is a step in an answer), not a lead-in (":")."""
    text = _bare(_TYPED_NUMBER.sub("", p.text, count=1)).rstrip("*_ ")
    return (
        _numbered(p)
        and not asks(p.text)
        and p.heading is None
        and 3 <= len(text.split()) <= 30
        and not text.endswith((".", ":", ";", ","))
        and isinstance(nxt, Para)
        and nxt.level is None
        and nxt.heading is None
        and not _numbered(nxt)
        and q_label(nxt.text) is None
    )


def heading_title(p: Para, nxt: Block | None) -> bool:
    """A heading that names what was asked ("Taxi arrangements for post-16 students"), its
    answer a plain paragraph below: a council FAQ page whose questions are topics. Three
    words or more; a heading with another heading below it titles a section."""
    text = _bare(p.text).rstrip("*_ ")
    return (
        p.heading is not None
        and p.heading > 0
        and not asks(p.text)
        and 3 <= len(text.split()) <= 30
        and not text.endswith((":", ";", ","))
        and isinstance(nxt, Para)
        and nxt.heading is None
        and q_label(nxt.text) is None
        and not feedback_section(text)
    )


def starts_question(p: Para, mode: str, nxt: Block | None = None) -> str | None:
    """The question's text if p starts one in this document's way, else None (nxt, the
    block after p, tells a bold statement that asks from a bold line in an answer)."""
    if mode == "labels":
        return q_label(p.text)
    if mode == "bold" and bold_statement(p, nxt):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if _BARE_QUESTION_LABEL.fullmatch(p.text):
        return ""  # "Question 3" alone: the question is the next paragraph
    if mode == "numbered" and numbered_statement(p, nxt):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if mode == "titles" and heading_title(p, nxt):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if not asks(p.text):
        return None
    if mode == "numbered" and _numbered(p):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if mode == "bold" and whole_bold(p.text):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if mode == "headed" and p.heading is not None and p.heading > 0:
        return _TYPED_NUMBER.sub("", p.text, count=1)
    if mode == "asked" and p.level is None and _bare(p.text).rstrip("*_ ").endswith("?"):
        return _TYPED_NUMBER.sub("", p.text, count=1)
    return None


def heading_like(p: Para, nxt: Block | None, mode: str, in_answer: bool, after: Block | None = None) -> bool:
    """Whether p titles a section: a heading style, or a short line that is not a sentence
    before a question or a table (in an answer, only if it stands out: bold or capitals)."""
    from digest.importer.parse import is_heading_text

    text = _bare(p.text)
    if not text or q_label(p.text) is not None or a_label(p.text) is not None or _NOT_HEADING.search(text):
        return False
    if p.heading is not None:
        return not asks(p.text)
    if p.level is not None or not is_heading_text(p.text) or len(text.split()) > 12:
        return False
    before_question = isinstance(nxt, Table) or (
        isinstance(nxt, Para) and starts_question(nxt, mode, after) is not None
    )
    if (
        feedback_section(text)
        and len(text.split()) <= 6
        and (len(text.split()) <= 4 or not in_answer or whole_bold(p.text))
    ):
        return True  # "Feedback", "Comments from the forum": comments follow, not questions
    if not before_question:
        return False
    stands_out = whole_bold(p.text) or text.isupper() or not in_answer
    return stands_out or (len(text.split()) <= 8 and not re.search(r"\d", text))


def feedback_section(title: str) -> bool:
    return bool(_FEEDBACK_TITLE.search(title))
