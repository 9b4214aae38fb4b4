"""The document's structure, whatever its layout: the way it starts questions is scored
from its own paragraphs (digest.importer.layout), then read by the walk for that way:
the seeds' bullets and tables (digest.importer.parse), or the paragraph walk here for
labels, numbers, bold, heading styles and question marks. Every word is accounted for:
the walk keeps what it could not place, and the text repeated on every page it dropped.

A document is a forum only if it holds question-and-answer structure: at least two
questions, each with an answer or asked with a question mark or a label, and answers to
at least two of them. A letter with two bullet points is not one.
"""

from __future__ import annotations

import re

from digest.importer import layout
from digest.importer.parse import (
    GENERAL,
    RawDoc,
    RawItem,
    RawSection,
    _cell_blocks,
    _furniture,
    _table_items,
    assemble,
    clean,
    heading,
    unbold,
)
from digest.importer.parse import parse as parse_lists
from digest.importer.source import Block, Para, Table

_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
_INLINE_ANSWER = re.compile(r"\s(?:\*{1,2})?(?:A|Answer|Response)(?:\*{1,2})?\s?[:\-–](?:\*{1,2})?\s+(?=\S)")


def count_words(text: str) -> int:
    return len(_WORD.findall(re.sub(r"\]\([^)\s]*\)", "]", text)))  # a link's address is not words


def all_text(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Table):
            out += [p.text for row in b.rows for cell in row for p in cell]
        else:
            out.append(b.text)
    return out


def parse(blocks: list[Block]) -> RawDoc:
    furniture = _furniture(blocks)
    dropped = [clean(b.text) for b in blocks if isinstance(b, Para) and b.level is None and clean(b.text) in furniture]
    kept = [b for b in blocks if not (isinstance(b, Para) and b.level is None and clean(b.text) in furniture)]
    evidence = layout.evidence(kept)
    mode = evidence.choose()
    doc = parse_lists(blocks) if mode in ("bullets", "tables") else walk(kept, mode, evidence.answers >= 2)
    doc.furniture = dropped
    doc.total_words = sum(count_words(t) for t in all_text(blocks))
    return doc


def _question(parts: list[str]) -> str:
    text = clean(" ".join(parts))
    return " ".join(text.replace("**", "").split())


def walk(blocks: list[Block], mode: str, answer_labels: bool) -> RawDoc:
    title, front, sections, skipped = "", [], [], []
    current: RawSection | None = None
    question: list[str] | None = None
    answer: list[Para] = []
    in_answer = False
    comments = False  # in a section of feedback: one comment per paragraph
    listed_comments = False  # the comments are list items

    def section() -> RawSection:
        nonlocal current
        if current is None:
            current = RawSection(GENERAL)
            sections.append(current)
        return current

    def finish() -> None:
        nonlocal question, answer, in_answer
        if question is not None and "".join(question).strip():
            parts = [Para(unbold(clean(p.text)), p.level, p.numbered) for p in answer]
            section().items.append(RawItem(_question(question), _cell_blocks(parts), joined=[mode]))
        question, answer, in_answer = None, [], False

    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(block, Table):
            finish()
            _table_items(block, section())
            continue
        after = blocks[i + 2] if i + 2 < len(blocks) else None
        asked = layout.starts_question(block, mode, nxt)
        if asked is not None:
            finish()
            question = [asked]
            inline = _INLINE_ANSWER.search(asked)
            if inline and "?" in asked[: inline.start()] + "?" * (mode == "labels"):
                question = [asked[: inline.start()]]  # "Q: How ...? A: We ..." in one paragraph
                answer, in_answer = [Para(asked[inline.end() :].strip())], True
            continue
        text = clean(block.text)
        if not title and question is None and not sections:
            title = text
            continue
        if layout.heading_like(block, nxt, mode, question is not None, after):
            finish()
            name, presenter = heading(text)
            current = RawSection(name, presenter)
            sections.append(current)
            comments = layout.feedback_section(name)
            continue
        if question is not None:
            said = layout.a_label(block.text)
            if said is not None:
                in_answer = True
                if said:
                    answer.append(Para(said, block.level, block.numbered))
            elif not in_answer and (not question or question == [""]):
                question = [text]  # the question after a label standing alone
            elif answer_labels and not in_answer and block.level is None:
                question.append(text)  # the question goes on until its answer's label
            else:
                in_answer = True
                answer.append(block)
            continue
        if comments:
            said, items = layout.a_label(block.text), section().items
            if said is None and block.level is None and listed_comments:
                said = block.text  # comments as list items, each reply a plain paragraph under one
            if said is not None and items and items[-1].joined == ["comment"]:
                items[-1].answer.append(unbold(clean(said)))  # "Response: Thank you for your feedback."
            else:
                comment = layout.q_label(block.text) or block.text
                items.append(RawItem(_question([comment]), [], comment_only=True, joined=["comment"]))
                listed_comments = block.level is not None
        elif not sections:
            front.append(text)
        else:
            skipped.append(text)
    finish()
    return assemble(title, front, sections, skipped, mode)


def is_forum(doc: RawDoc) -> bool:
    items = [i for s in doc.sections for i in s.items]
    answered = [i for i in items if i.answer]
    asked = [i for i in items if i.answer or "?" in i.question or i.joined[:1] in (["labels"], ["row"])]
    return len(asked) >= 2 and (len(answered) >= 2 or any(i.joined[:1] == ["row"] for i in items))


def what_it_saw(blocks: list[Block]) -> str:
    paras = [b for b in blocks if isinstance(b, Para)]
    listed = sum(p.level is not None for p in paras)
    tables = sum(isinstance(b, Table) for b in blocks)
    asks = sum("?" in p.text for p in paras)
    words = sum(count_words(t) for t in all_text(blocks))
    ev = layout.evidence(blocks)
    return (
        f"it holds {len(paras)} paragraphs ({words} words), {listed} of them in lists, {tables} tables, "
        f"{asks} paragraphs with a question mark, {ev.labels} 'Q:'/'Question:' labels and "
        f"{ev.answers} 'A:'/'Answer:'/'Response:' labels"
    )
