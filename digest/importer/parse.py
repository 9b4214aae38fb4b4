"""From blocks to the document's structure: title, dates, sections, questions and answers.

The layout is read from the blocks themselves, one block at a time, so a document may
use either layout (or both):

- bullets: a question is a top-level list paragraph and its answer the deeper ones
  below it (the March 2024 document: answers in bold, lists inside them);
- tables: a "Question/comment | Response" table per topic, one row per question (the
  July 2025 document). A row that only continues the one above (a question or an answer
  cut by a page break) is joined to it; a one-column table holds comments only.

A heading is a paragraph that is not a sentence and stands right before a list or a
table; "Topic (Name- role, KCC)" keeps the bracket as the presenter. Text repeated on
every page (a running header such as "THE EDUCATION PEOPLE") is dropped.
"""

from __future__ import annotations

import calendar
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from digest.importer.source import HEADER, Block, Para, Table

GENERAL = "General questions"


@dataclass
class RawItem:
    question: str
    answer: list[str] = field(default_factory=list)  # Markdown blocks: paragraphs and lists
    asked: int = 1
    comment_only: bool = False  # from a table with no response column
    lead: str = ""  # the officer a table's "Lead" column names
    joined: list[str] = field(default_factory=list)  # how the document's pieces were put together


@dataclass
class RawSection:
    title: str
    presenter: str | None = None
    items: list[RawItem] = field(default_factory=list)


@dataclass
class RawDoc:
    title: str
    dates: list[date]
    intro: str | None
    sections: list[RawSection]
    layout: str
    skipped: list[str] = field(default_factory=list)  # paragraphs that fit nowhere, for the report
    front: list[str] = field(default_factory=list)  # the title and the lines before the first section that are no intro
    furniture: list[str] = field(default_factory=list)  # text repeated on every page, dropped
    total_words: int = 0  # the document's words, for the report's account of them


# -- text ------------------------------------------------------------------------------------
_TAG = re.compile(r"</?(?:p|br|span|div|font|b|strong|i|em|u)\b[^>]*>", re.I)
_SPACE_BEFORE = re.compile(r"(?<=\w)\s+([?!,;:])(?=\s|$)|(?<=\w)\s+(\.)(?=\s|$)(?!\.\.)")


def clean(text: str) -> str:
    """One paragraph's text: leftover HTML tags and entities gone, spaces collapsed,
    no space before a question mark or comma ("Inclusion Champion ?")."""
    text = _TAG.sub(" ", text)
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = " ".join(text.replace("\u00a0", " ").split())
    return _SPACE_BEFORE.sub(lambda m: m.group(1) or m.group(2), text)


def split_paragraphs(text: str) -> list[str]:
    """A cell's text with leftover "<p>...</p> <p>...</p>" as separate paragraphs."""
    return [c for c in (clean(p) for p in re.split(r"</p>\s*<p[^>]*>", text, flags=re.I)) if c]


def _bare(text: str) -> str:
    return re.sub(r"[*_`\"'”’)\]\s]+$", "", text)


def terminal(text: str) -> bool:
    """Whether text ends a sentence (so a following row starts afresh)."""
    return _bare(text).endswith((".", "?", "!"))


def _starts_lower(text: str) -> bool:
    m = re.search(r"[A-Za-z]", text)
    return bool(m) and m.group(0).islower() and not re.match(r"^\W*(?:e\.g|i\.e|iPad|eCAF)\b", text)


_CONNECTIVE = re.compile(r"^\W*(?:if so|if not|and|or|also|but|as well)\b", re.I)


# -- dates and title ---------------------------------------------------------------------------
_MONTHS = [m.lower() for m in calendar.month_name[1:]]
_MONTH = r"(" + "|".join(m[:3] + r"(?:" + m[3:] + r")?" for m in _MONTHS) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DAYS_FIRST = re.compile(
    rf"\b((?:{_DAY}\s*(?:,|and|&|-|–|to)?\s*(?:the\s+)?)+)(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.I
)
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+((?:{_DAY}\s*(?:,|and|&|-|–|to)?\s*)+),?\s*(\d{{4}})\b", re.I)


def find_dates(text: str) -> tuple[list[date], str]:
    """The forum's dates named in text ("the 20th and the 21st March 2024", "July 2nd &
    10th 2025"), and the words that named them."""
    for pattern, day_group, month_group in ((_DAYS_FIRST, 1, 2), (_MONTH_FIRST, 2, 1)):
        m = pattern.search(text)
        if not m:
            continue
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group(month_group)[:3].lower()))
        days = sorted({int(d) for d in re.findall(r"\d{1,2}", m.group(day_group))})
        try:
            return [date(int(m.group(3)), month, d) for d in days], m.group(0)
        except ValueError:
            continue
    return [], ""


_TITLE_NOISE = re.compile(r"\b(?:Q\s*&\s*A|Questions? (?:and|&) Answers?)(?:\s+Document)?\b", re.I)


def clean_title(text: str, dated: str) -> str:
    title = text.replace(dated, " ") if dated else text
    title = _TITLE_NOISE.sub(" ", title)
    return " ".join(title.split()).strip(" -–—,:;") or text.strip()


def heading(text: str) -> tuple[str, str | None]:
    """'Topic- More (Name- role, KCC)' -> ('Topic – More', 'Name, role, KCC')."""
    text = unbold(clean(text))
    presenter = None
    m = re.match(r"^(.*?)[\s\-–]*\(([^()]+)\)\s*$", text)
    if m and _names_people(m.group(2)):
        text, presenter = m.group(1), re.sub(r"(?<=\w)\s*[-–]\s+", ", ", m.group(2)).strip()
    title = re.sub(r"(?<=\w)\s*[-–]\s+(?=\w)", " – ", text).strip(" -–")
    return title or text, presenter


def _names_people(text: str) -> bool:
    capitalised = re.findall(r"\b[A-Z][a-z]+", text)
    return len(capitalised) >= 2 or "," in text or " and " in text


def is_heading_text(text: str) -> bool:
    bare = _bare(clean(text))
    return bool(bare) and not bare.endswith((".", "?", "!", ":", ";", ",")) and len(bare.split()) <= 40


# -- the walk ----------------------------------------------------------------------------------
def _answer_blocks(parts: list[Para], base: int, bold_answers: bool) -> list[str]:
    """An answer's list paragraphs as Markdown blocks. The first level below the question
    are paragraphs, except that two or more in a row that are not sentences (links,
    dated sessions) make a list; deeper levels are lists under the paragraph above."""
    tops: list[tuple[str, bool, list[str]]] = []
    for p in parts:
        depth = (p.level or 0) - base
        text = unbold(clean(p.text)) if bold_answers else clean(p.text)
        if depth <= 1 or not tops:
            tops.append((text, p.numbered, []))
        else:
            indent = "   " * max(0, depth - 2)
            tops[-1][2].append(f"{indent}{'1.' if p.numbered else '-'} {text}")
    out: list[str] = []
    run: list[tuple[str, bool]] = []

    def flush() -> None:
        if len(run) >= 2:
            out.append("\n".join(f"{'1.' if numbered else '-'} {text}" for text, numbered in run))
        else:
            out.extend(text for text, _ in run)
        run.clear()

    for text, numbered, sub in tops:
        if not (terminal(text) or sub or _bare(text).endswith(":")):
            if run and run[-1][1] != numbered:
                flush()
            run.append((text, numbered))
            continue
        flush()
        out.append(text)
        if sub:
            out.append("\n".join(sub))
    flush()
    return out


def unbold(text: str) -> str:
    """An answer written wholly in bold (the March 2024 document's convention for
    answers), perhaps with an address after it, without the bold."""
    m = re.fullmatch(r"(\*{1,3})([^*].*?[^*]|[^*])\1(\s+\S+@\S+|\s+https://\S+)?", text)
    if m and "**" not in m.group(2):
        return m.group(2).strip() + (m.group(3) or "")
    return text


def _furniture(blocks: list[Block]) -> set[str]:
    """Paragraphs outside lists and tables that recur three times or more: page headers."""
    counts = Counter(clean(b.text) for b in blocks if isinstance(b, Para) and b.level is None)
    return {text for text, n in counts.items() if n >= 3}


def parse(blocks: list[Block]) -> RawDoc:
    furniture = _furniture(blocks)
    blocks = [b for b in blocks if not (isinstance(b, Para) and b.level is None and clean(b.text) in furniture)]
    bullets_used = any(isinstance(b, Para) and b.level is not None for b in blocks)
    tables_used = any(isinstance(b, Table) for b in blocks)
    bold_answers = _bold_convention(blocks)

    title, front, sections, skipped = "", [], [], []
    current: RawSection | None = None
    question: Para | None = None
    parts: list[Para] = []

    def section() -> RawSection:
        nonlocal current
        if current is None:
            current = RawSection(GENERAL)
            sections.append(current)
        return current

    def finish() -> None:
        nonlocal question, parts
        if question is None:
            return
        sec = section()
        item = RawItem(clean(question.text), _answer_blocks(parts, question.level or 0, bold_answers))
        prev = sec.items[-1] if sec.items else None
        if prev is not None and not prev.answer and prev.joined == ["bullet"] and item.answer:
            # two questions one after the other with one answer below both: they share it
            prev.question = f"{prev.question}{'' if terminal(prev.question) else '.'} {item.question}"
            prev.answer, prev.asked = item.answer, prev.asked + item.asked
            prev.joined.append("shared answer")
        else:
            item.joined.append("bullet")
            sec.items.append(item)
        question, parts = None, []

    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(block, Table):
            finish()
            _table_items(block, section())
            continue
        if block.level is not None:
            if question is None or block.level <= question.level:
                finish()
                question = block
            else:
                parts.append(block)
            continue
        text = clean(block.text)
        if not title:
            title = text
        elif is_heading_text(text) and (isinstance(nxt, Table) or (isinstance(nxt, Para) and nxt.level is not None)):
            finish()
            name, presenter = heading(text)
            current = RawSection(name, presenter)
            sections.append(current)
        elif not sections and question is None:
            front.append(text)
        elif question is not None:
            parts.append(Para(text, (question.level or 0) + 1))  # a stray line under an answer
        else:
            skipped.append(text)
    finish()

    layout = " and ".join(n for n, used in (("bullets", bullets_used), ("tables", tables_used)) if used) or "none"
    return assemble(title, front, sections, skipped, layout)


def assemble(title: str, front: list[str], sections: list[RawSection], skipped: list[str], layout: str) -> RawDoc:
    """The document from what a walk found: its title and the lines before the first
    section (the dates are read from them, the sentences among them are the intro)."""
    dates, dated = find_dates(" ".join([title, *front]))
    intro = " ".join(t for t in front if terminal(t)) or None
    sections = [s for s in sections if s.items]
    doc = RawDoc(clean_title(unbold(title), dated), dates, intro, sections, layout, skipped)
    doc.front = [title, *(t for t in front if not terminal(t))]
    return doc


def _bold_convention(blocks: list[Block]) -> bool:
    """Whether the document marks answers by writing them in bold."""
    answers = [b for b in blocks if isinstance(b, Para) and (b.level or 0) >= 1]
    bold = [b for b in answers if unbold(clean(b.text)) != clean(b.text)]
    return bool(answers) and len(bold) * 2 >= len(answers)


_QUESTION_COL = re.compile(r"^(?:q\b|questions?|comments?|quer(?:y|ies)|issues?(?: raised)?|you asked|asked)\b", re.I)
_ANSWER_COL = re.compile(
    r"^(?:answers?|responses?|repl(?:y|ies)|we said|kcc response|la response|officer response)\b", re.I
)
_LEAD_COL = re.compile(r"^(?:lead|officers?|owner|responder|answered by|who|team|service)\b", re.I)


def _cell_text(cell: list[Para]) -> str:
    return unbold(clean(" ".join(p.text for p in cell))).strip("*: ")


def header_columns(row: list[list[Para]]) -> tuple[int, list[int], list[int]] | None:
    """For a header row in any order ("Question | Response | Lead", "Officer | Comment |
    Answer"): the question's column, the answer's and the lead's; None if it is no header."""
    texts = [_cell_text(c) for c in row]
    if not texts or any(len(t.split()) > 5 for t in texts):
        return None
    question = [n for n, t in enumerate(texts) if _QUESTION_COL.match(t) or HEADER.match(t)]
    if not question:
        return None
    answer = [n for n, t in enumerate(texts) if n != question[0] and _ANSWER_COL.match(t)]
    lead = [n for n, t in enumerate(texts) if n not in answer and n != question[0] and _LEAD_COL.match(t)]
    if not answer:
        answer = [n for n in range(len(texts)) if n != question[0] and n not in lead and texts[n]]
    return question[0], answer, lead


def _table_items(table: Table, sec: RawSection) -> None:
    rows = table.rows
    if not rows:
        return
    columns = max(len(r) for r in rows)
    q_col, a_cols, lead_cols = 0, list(range(1, columns)), []
    if (found := header_columns(rows[0])) is not None:
        q_col, a_cols, lead_cols = found
        columns = len(rows[0])
        rows = rows[1:]
    comment_only = columns == 1
    prev: RawItem | None = None
    for row in rows:
        q = ""
        cells = [row[q_col]] if q_col < len(row) else []
        for p in (p for cell in cells for para in cell for p in split_paragraphs(para.text)):
            q = f"{q}{'' if not q or terminal(q) else '.'} {p}".strip()  # a cell's paragraphs: sentences apart
        q = unbold(q)
        answer = _cell_blocks([para for n in a_cols if n < len(row) for para in row[n]])
        lead = " ".join(_cell_text(row[n]) for n in lead_cols if n < len(row)).strip()
        if not q and not answer:
            continue
        if prev is not None and _continues(prev, q, answer, comment_only):
            if q:
                prev.question = f"{prev.question} {q}"
            if answer and prev.answer and not terminal(prev.answer[-1]) and not answer[0].startswith(("- ", "1. ")):
                prev.answer[-1] = f"{prev.answer[-1]} {answer[0]}"
                answer = answer[1:]
            prev.answer.extend(answer)
            prev.joined.append("next row")
            continue
        prev = RawItem(q, answer, comment_only=comment_only, joined=["row"], lead=lead)
        sec.items.append(prev)


def _continues(prev: RawItem, q: str, answer: list[str], comment_only: bool) -> bool:
    """Whether a row only continues the row above it (cut by a page break)."""
    if not q:
        return True  # the rest of the answer above
    if not terminal(prev.question) and (_starts_lower(q) or not (answer or comment_only)):
        return True  # "... request for an" | "EHCP over the summer holidays. Will ..."
    return not (answer or comment_only) and bool(_CONNECTIVE.match(q))  # "If so could I have details"


def _cell_blocks(paras: list[Para]) -> list[str]:
    out: list[str] = []
    for para in paras:
        for text in split_paragraphs(para.text):
            if para.level is None:
                out.append(text)
                continue
            line = f"{'   ' * para.level}{'1.' if para.numbered else '-'} {text}"
            if out and re.match(r"^\s*(?:-|1\.) ", out[-1].splitlines()[-1]):
                out[-1] += "\n" + line
            else:
                out.append(line)
    return out
