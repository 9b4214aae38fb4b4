"""From the document's structure to a draft forum: ids, duplicates merged, personal data
removed, status, suggested headline, summary and audience, and notes for the organiser.

Duplicates are merged into the first place the question appears, `asked` counting the
times it was asked, and the answer keeping every paragraph that is not already in it
(so two differing answers are both kept, and a shorter copy of the same answer is not).
Questions count as the same when their words match (a question repeated in another
section too), when they are close and share part of an answer in one section, or when
a question left without an answer repeats most of an answered one in its section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from digest.content import duplicates, wording
from digest.content.audience import Tax
from digest.content.model import slug
from digest.importer import classify, privacy
from digest.importer.classify import Suggestion
from digest.importer.parse import RawDoc, terminal

SAME = duplicates.SIMILAR  # digest check's rule
CLOSE = 0.65  # within a section, when the answers overlap too
_STOP = privacy.word_set(
    """a an the of to for in on and or is are be been being we our us you your i my me it its this that these those
    do does did can could will would should shall may might must with as at by from have has had if so any all there
    their they them what when where who how why which not no yes about into onto than then also just very please
    there's it's i'm we're don't didn't can't myself yourself ourselves yourselves themselves himself herself"""
)


@dataclass
class DraftItem:
    question: str
    answer: str
    section: int
    asked: int = 1
    kind: str = "question"
    status: str = "answered"
    status_note: str = ""
    id: str = ""
    headline: str | None = None
    summary: str | None = None
    topics: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # more notes for the organiser (a re-import's)
    cut: list[str] = field(default_factory=list)  # "headline", "summary": suggestions cut to length
    placeholders: list[str] = field(default_factory=list)  # the document's "[text](#)" links
    addresses: list[str] = field(default_factory=list)  # officers' own addresses in the answer
    suggestions: list[Suggestion] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (the answer's words, by when): suggested
    kept: dict[str, Any] = field(default_factory=dict)  # fields a re-import keeps from the forum file
    merged: list[str] = field(default_factory=list)  # how duplicates came together, for the report
    removed: list[privacy.Removed] = field(default_factory=list)  # personal data taken out of the question
    comment_only: bool = False
    source: tuple[str, str] = ("", "")  # fingerprints of the document's question and answer

    @property
    def fingerprint(self) -> str:
        return f"q {self.source[0]}, a {self.source[1]}"

    def comments(self) -> list[str]:
        """The notes for the organiser, written as comments above the item."""
        out = ["a comment on the forum, with nothing for readers: never sent as an item"] * (self.kind == "feedback")
        limits = {"headline": ("question", wording.HEADLINE_WORDS), "summary": ("answer", wording.SUMMARY_WORDS)}
        if self.kind != "feedback":  # a feedback item's headline is only ever listed
            out += [
                f"{name} cut from the {limits[name][0]} at {limits[name][1]} words: rewrite it" for name in self.cut
            ]
        out += [
            f"placeholder link in the document, {link}: put in the real https:// address" for link in self.placeholders
        ]
        out += [f"{a} is an officer's own address: put in the team's contact instead" for a in self.addresses]
        out += [
            f'Suggested action: "{said}"' + (f" ({by})" if by else "") + ": confirm it as the item's action, or delete"
            for said, by in self.actions
        ]
        return out + self.notes


@dataclass
class DraftSection:
    id: str
    title: str
    presenter: str | None
    kept: dict[str, Any] = field(default_factory=dict)


@dataclass
class Findings:
    removed: list[tuple[str, privacy.Removed]] = field(default_factory=list)  # (item id, what)
    officer_addresses: list[tuple[str, str]] = field(default_factory=list)
    placeholders: list[tuple[str, str]] = field(default_factory=list)
    cut: list[tuple[str, str]] = field(default_factory=list)  # (item id, "headline" | "summary")
    echoes: int = 0  # removed names and schools found again elsewhere (answers included) and removed
    joined_rows: int = 0
    elsewhere: list[tuple[str, privacy.Removed]] = field(default_factory=list)  # the intro's and section titles'
    words: dict[str, int] = field(default_factory=dict)  # where the document's words went, for the report


@dataclass
class Draft:
    id: str
    title: str
    dates: list[Any]
    intro: str | None
    sections: list[DraftSection]
    items: list[DraftItem]
    layout: str
    findings: Findings = field(default_factory=Findings)
    skipped: list[str] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)  # forum-level fields kept on re-import
    no_date: bool = False  # the document named no date: today's stands in

    def items_of(self, index: int) -> list[DraftItem]:
        return [i for i in self.items if i.section == index]


_MARKER = re.compile(r"\s*\[[a-z ]+ removed\]")


def join_sentences(first: str, second: str) -> str:
    """Two questions as one text, with a full stop between them if the first has none."""
    return f"{first}{'' if terminal(first) else '.'} {second}"


norm = lru_cache(maxsize=8192)(duplicates.norm)  # the same texts are compared many times


def digest_of(text: str) -> str:
    return hashlib.sha1(norm(text).encode()).hexdigest()[:8]


def content_words(text: str) -> set[str]:
    return {w.rstrip("s") for w in norm(text).split() if w not in _STOP and len(w) > 1}


# -- building -----------------------------------------------------------------------------------
def build(raw: RawDoc, tax: Tax | None, forum_id: str, taken: set[str]) -> Draft:
    """The draft forum; `taken` holds the item ids other forums already use."""
    findings = Findings()
    used: set[str] = set()
    removed: list[privacy.Removed] = []
    elsewhere: list[tuple[str, privacy.Removed]] = []  # (where, what): the intro's and the titles'
    sections = []
    for s in raw.sections:
        title, found = privacy.scrub(s.title)
        presenter, more = privacy.scrub(s.presenter) if s.presenter else (None, [])
        section = DraftSection(unique(slug(" ".join(title.split()[:6])) or "section", used), title, presenter)
        elsewhere += [(f"section {section.id}", r) for r in found + more]
        sections.append(section)
    intro, found = privacy.scrub(raw.intro) if raw.intro else (None, [])
    elsewhere += [("intro", r) for r in found]
    removed += [r for _, r in elsewhere]
    items: list[DraftItem] = []
    for n, section in enumerate(raw.sections):
        for r in section.items:
            question, found = privacy.scrub_question(r.question)
            answer, more = privacy.scrub("\n\n".join(r.answer))
            removed.extend(found + more)
            item = DraftItem(question, answer, n, r.asked, comment_only=r.comment_only)
            item.merged.extend(j for j in r.joined if j == "shared answer")
            if r.lead and item.answer:
                lead, _ = privacy.scrub(r.lead)
                item.notes.append(f"the document's Lead column says '{lead}': set answered_by to their contact")
            item.removed = found + more
            findings.joined_rows += r.joined.count("next row")
            items.append(item)
    echoes = privacy.echoes(removed)
    if intro:
        intro = privacy.scrub_echoes(intro, echoes)
    for section in sections:
        section.title = privacy.scrub_echoes(section.title, echoes)
        section.presenter = privacy.scrub_echoes(section.presenter, echoes) if section.presenter else None
    for item in items:
        before = item.question + item.answer
        item.question = privacy.scrub_echoes(item.question, echoes)
        item.answer = privacy.scrub_echoes(item.answer, echoes)
        findings.echoes += (item.question + item.answer).count(" removed]") - before.count(" removed]")
    findings.elsewhere = elsewhere
    findings.words = account(raw)
    items = merge_duplicates(items)
    draft = Draft(forum_id, raw.title, raw.dates, intro, sections, items, raw.layout, findings, raw.skipped)
    for item in items:
        item.source = (digest_of(item.question), digest_of(item.answer))
        describe(item, sections[item.section].title, tax)
    assign_ids(draft, taken)
    return draft


def account(raw: RawDoc) -> dict[str, int]:
    """Where the document's words went: questions, answers, intro, feedback, the title and
    headings, page furniture, not placed; "other" is the rest (labels such as "Q:", numbers)."""
    from digest.importer.structure import count_words

    out = dict.fromkeys(("questions", "answers", "intro", "feedback", "headings", "furniture", "not placed"), 0)
    for section in raw.sections:
        out["headings"] += count_words(section.title) + count_words(section.presenter or "")
        for r in section.items:
            out["lead"] = out.get("lead", 0) + count_words(r.lead)
            answer = "\n\n".join(r.answer)
            if classify.is_feedback(r.question, answer):
                out["feedback"] += count_words(r.question) + count_words(answer)
            else:
                out["questions"] += count_words(r.question)
                out["answers"] += count_words(answer)
    out["intro"] = count_words(raw.intro or "")
    out["headings"] += sum(count_words(t) for t in raw.front)
    out["furniture"] = sum(count_words(t) for t in raw.furniture)
    out["not placed"] = sum(count_words(t) for t in raw.skipped)
    out["total"] = raw.total_words
    out["other"] = max(0, raw.total_words - sum(v for k, v in out.items() if k != "total"))
    return out


def finish(draft: Draft) -> None:
    """Notes on what is left to do, from the text as it will be written (after a re-import
    has put back the organiser's edits), and the findings for the report."""
    for item in draft.items:
        annotate(item)
    _place_findings(draft)


def describe(item: DraftItem, section_title: str, tax: Tax | None) -> None:
    """Status, kind, headline, summary, topics, audience suggestions and notes."""
    if classify.is_feedback(item.question, item.answer):
        item.kind = "feedback"
        if not item.answer.strip() and not classify.thanks(item.question):
            item.status, item.status_note = "pending", "a request or a concern about the forum, with no response"
    elif (why := classify.pending_reason(item.answer)) is not None:
        item.status = "pending"
        shown = " ".join(wording.plain(item.answer).split()[:12]).replace('"', "'")
        item.status_note = f'{why}: "{shown}"' if shown else why
    item.topics = [section_title]
    item.headline = wording.derive_headline(_MARKER.sub("", item.question)) or None
    if item.headline and wording.words(item.headline) > wording.HEADLINE_WORDS:
        item.headline = wording.cut(item.headline, wording.HEADLINE_WORDS)
        item.cut.append("headline")
    if item.kind == "feedback":
        return
    if item.status == "answered" and item.answer.strip():
        item.summary = wording.derive_summary(item.answer) or None
        if item.summary and wording.words(item.summary) > wording.SUMMARY_WORDS:
            item.summary = wording.cut(item.summary, wording.SUMMARY_WORDS)
            item.cut.append("summary")
    item.suggestions = classify.suggest_audience(item.question, item.answer, tax)


def annotate(item: DraftItem) -> None:
    """What is left to fix in the text as it will be written."""
    if item.kind == "feedback":
        return
    item.placeholders = list(dict.fromkeys(classify.placeholders(item.question + "\n" + item.answer)))
    item.addresses = privacy.officer_addresses(item.answer)
    if item.status == "answered":
        item.actions = [(said.replace('"', "'"), by) for said, by in classify.suggest_actions(item.answer)]


def _place_findings(draft: Draft) -> None:
    f = draft.findings
    for item in draft.items:
        f.placeholders += [(item.id, link) for link in item.placeholders]
        f.officer_addresses += [(item.id, address) for address in item.addresses]
        f.cut += [(item.id, name) for name in item.cut]
        f.removed += [(item.id, r) for r in item.removed]


# -- duplicates ---------------------------------------------------------------------------------
def merge_duplicates(items: list[DraftItem]) -> list[DraftItem]:
    """Each item merged into the first earlier one it repeats. Only the earlier items that
    share enough of its words are compared (digest.content.duplicates.Index), so the time
    grows with the document, not with its square."""
    out: list[DraftItem] = []
    normed: dict[int, str] = {}  # id(item) -> its question as compared
    index = duplicates.Index()
    place: dict[int, int] = {}  # id(item) -> its place in out
    matcher = SequenceMatcher(None, autojunk=False)
    for item in items:
        normed[id(item)] = norm(item.question)[: duplicates.COMPARED]
        matcher.set_seq2(normed[id(item)])  # indexed once, compared with the items that share its words
        match, how = None, ""
        for k in index.near(normed[id(item)], 0.3):
            kept = out[k]
            if how := same_question(kept, item, normed[id(kept)], matcher):
                match = kept
                break
        if match is None:
            place[id(item)] = index.add(normed[id(item)], len(out))
            out.append(item)
            continue
        qa, qb = normed[id(match)], normed[id(item)]
        if qb not in qa and qa not in qb:
            match.question = join_sentences(match.question, item.question)
            normed[id(match)] = norm(match.question)[: duplicates.COMPARED]
            index.add(normed[id(match)], place[id(match)])
        match.answer = merge_answers(match.answer, item.answer)
        match.asked += item.asked
        match.comment_only = match.comment_only and item.comment_only
        match.removed.extend(item.removed)
        match.merged.append(how)
    return out


def same_question(a: DraftItem, b: DraftItem, qa: str, m: SequenceMatcher) -> str:
    """How b repeats a ("" if it does not); qa is a's question as compared, and m holds b's.
    "same question" is digest check's rule; within a section, close questions whose
    answers overlap, and an unanswered repeat of an answered one, are merged too."""
    if not qa or not m.b:
        return ""
    nearby = a.section == b.section and not (a.comment_only or b.comment_only)
    if duplicates.same(qa, m.b, m):
        return "same question"
    if not nearby:
        return ""
    if duplicates.overlap(qa, m.b) >= 0.3 and _share_a_paragraph(a.answer, b.answer):
        m.set_seq1(qa)
        if duplicates.ratio(m, CLOSE) >= CLOSE:
            return "similar question, overlapping answers"
    for asked, unanswered in ((a, b), (b, a)):
        if asked.answer.strip() and not unanswered.answer.strip() and "?" in unanswered.question:
            words, others = content_words(unanswered.question), content_words(asked.question)
            if len(words & others) >= 2 and len(words & others) * 2 >= len(words):
                return "unanswered repeat of an answered question"
    return ""


def _paragraphs(answer: str) -> list[str]:
    return [p for p in answer.split("\n\n") if p.strip()]


@lru_cache(maxsize=8192)
def _normed_paragraphs(answer: str) -> frozenset[str]:
    return frozenset(norm(p) for p in _paragraphs(answer))


def _share_a_paragraph(a: str, b: str) -> bool:
    return bool(_normed_paragraphs(a) & _normed_paragraphs(b))


def merge_answers(a: str, b: str) -> str:
    """a's paragraphs, then each of b's that a does not already say (a fuller wording
    of one of a's replaces it)."""
    kept = _paragraphs(a)
    for p in _paragraphs(b):
        n = norm(p)
        if any(n in norm(k) for k in kept):
            continue
        fuller = next((i for i, k in enumerate(kept) if norm(k) in n), None)
        if fuller is not None:
            kept[fuller] = p
        else:
            kept.append(p)
    return "\n\n".join(kept)


# -- ids ------------------------------------------------------------------------------------------
def prefix(title: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title) if w.lower() not in _STOP and w.lower() != "the"]
    return "".join(w[0] for w in words[:4]).lower() or "q"


def item_slug(item: DraftItem, section_title: str) -> str:
    """The section's initials and the question's first five words that say something."""
    words = norm(item.question.replace(" removed]", "]")).split()
    body = "-".join(list(dict.fromkeys(w for w in words if w not in _STOP))[:5]) or "item"
    return slug(f"{prefix(section_title)}-{body}")[:60].strip("-")


def assign_ids(draft: Draft, taken: set[str]) -> None:
    """A readable id for each item; an id kept from the forum file on re-import stays."""
    fixed = {item.kept["id"] for item in draft.items if item.kept.get("id")}
    used = set(taken) | fixed
    for item in draft.items:
        item.id = item.kept.get("id") or unique(item_slug(item, draft.sections[item.section].title), used)


def unique(want: str, used: set[str]) -> str:
    new, n = want, 2
    while new in used:
        new, n = f"{want}-{n}", n + 1
    used.add(new)
    return new
