"""What the curation page shows of each item, and what a submitted item form changes.

A `Card` is one item as the organiser curates it: its words read-only, the fields they
edit with their word counts, what `digest check` says of it, the importer's notes and
audience suggestions (read from the file's comments by content/edit.py), and whether
anything is still to do. `item_edit` turns a form into an `ItemEdit` holding only the
fields whose value differs from the file's, so that saving writes only what changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from digest.content import todo, wording
from digest.content.edit import ItemEdit, Suggestion, item_blocks, notes, suggestions
from digest.content.model import Forum, Item, Section
from digest.content.yamlio import format_path
from digest.errors import Problem

_NAMED_ITEM = re.compile(r"\bitem '([a-z0-9-]{1,80})'")
STATUSES = ("answered", "pending", "follow-up")
KINDS = ("question", "feedback")


@dataclass
class Card:
    item: Item
    section: Section
    headline_words: int
    summary_words: int
    derived_headline: str
    derived_summary: str
    findings: list[tuple[str, Problem]] = field(default_factory=list)  # (check's heading, problem)
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left: list[str] = field(
        default_factory=list
    )  # what content/todo.py finds beyond the notes: a headline cut with "…"

    @property
    def id(self) -> str:
        return self.item.id

    def about(self, name: str) -> list[Problem]:
        """What `digest check` says of the headline (or the question it is made from), or the summary."""
        source = {"headline": "question", "summary": "answer"}[name]
        out = []
        for _, p in self.findings:
            if p.field.endswith(f".{name}") or (p.field.endswith(f".{source}") and name in p.message):
                out.append(p)
        return out

    def others(self) -> list[tuple[str, Problem, str]]:
        """The other findings, each with the id of the item it names ("question repeats item
        'x'"), to link to, or ""."""
        shown = {id(p) for p in self.about("headline") + self.about("summary")}
        return [(t, p, _named(p.message)) for t, p in self.findings if id(p) not in shown]

    @property
    def todo(self) -> bool:
        """Still to do: a note from the import, a suggestion not yet confirmed or dropped, or a finding."""
        return bool(self.notes or self.left or self.suggestions or self.findings)

    def audience(self, kind: str) -> str:
        audience = self.item.audience
        return ", ".join((getattr(audience, kind) or []) if audience else [])

    def exclusions(self) -> str:
        ex = self.item.audience.exclude if self.item.audience else None
        if not ex:
            return ""
        return "; ".join(
            f"{k}: {', '.join(getattr(ex, k))}" for k in ("districts", "phases", "settings") if getattr(ex, k)
        )


def _named(message: str) -> str:
    found = _NAMED_ITEM.search(message)
    return found.group(1) if found else ""


def cards(forum: Forum, text: str, findings: list[tuple[str, list[Problem]]], shown: str) -> list[Card]:
    """Each item of forum, read from text (the file as shown, `shown`), with the findings on it."""
    lines = text.split("\n")
    blocks = item_blocks(lines)
    todos = todo.of_text(text, shown, forum)
    out = []
    for si, section in enumerate(forum.sections):
        for ii, item in enumerate(section.items):
            prefix = format_path(("sections", si, "items", ii))  # as the loader names the item's fields
            mine = [
                (title, p)
                for title, found in findings
                for p in found
                if p.file == shown and (p.field == prefix or p.field.startswith((prefix + ".", prefix + "[")))
            ]
            said = notes(lines, item.id, blocks)
            out.append(
                Card(
                    item=item,
                    section=section,
                    headline_words=wording.words(item.headline or wording.derive_headline(item.question)),
                    summary_words=wording.words(item.summary or wording.derive_summary(item.answer or "")),
                    derived_headline=wording.derive_headline(item.question),
                    derived_summary=wording.derive_summary(item.answer or "") if item.answer else "",
                    findings=mine,
                    suggestions=suggestions(lines, item.id, blocks),
                    notes=[t for _, t in said],
                    left=[t.text for t in todos if t.item == item.id and t.line - 1 not in {n for n, _ in said}],
                )
            )
    return out


def chosen(all_cards: list[Card], query: dict[str, str]) -> list[Card]:
    """The cards the filters keep: still to do, one section, one topic, one check's findings."""
    out = all_cards
    if query.get("todo"):
        out = [c for c in out if c.todo]
    if section := query.get("section"):
        out = [c for c in out if c.section.id == section]
    if topic := query.get("topic"):
        out = [c for c in out if topic in c.item.topics]
    if finding := query.get("finding"):
        out = [c for c in out if any(t == finding for t, _ in c.findings)]
    return out


def _words_list(text: str) -> list[str]:
    return [v for v in (" ".join(part.split()) for part in text.split(",")) if v]


def _line(text: str) -> str:
    return " ".join(text.split())


def item_edit(item: Item, form: dict[str, str], n_suggestions: int) -> ItemEdit:
    """The changes a submitted item form makes: only fields whose value differs from the file's."""
    edit = ItemEdit()
    fields = edit.fields
    for name in ("headline", "summary"):
        # compared as words: a summary written over several lines in the file is not rewritten
        # as one because the form was saved for another field
        if name in form and _line(form[name]) != _line(getattr(item, name) or ""):
            fields[name] = _line(form[name]) or None
    if form.get("status") in STATUSES and form["status"] != item.status:
        fields["status"] = form["status"]
    if form.get("kind") in KINDS and form["kind"] != item.kind:
        fields["kind"] = None if form["kind"] == "question" else form["kind"]
    highlight = form.get("highlight") == "yes"
    if "highlight-shown" in form and highlight != item.highlight:
        fields["highlight"] = True if highlight else None
    topics = [t for t in (_line(x) for x in form.get("topics", "").splitlines()) if t]  # a topic may hold a comma
    if "topics" in form and topics != item.topics:
        fields["topics"] = topics or None
    if "answered_by" in form and (form["answered_by"] or None) != item.answered_by:
        fields["answered_by"] = form["answered_by"] or None
    for kind in ("districts", "phases", "settings"):
        if kind not in form:
            continue
        old = getattr(item.audience, kind) if item.audience else None
        new = _words_list(form[kind])
        if new != [_line(v) for v in old or []]:
            fields[f"audience.{kind}"] = new or None
    for n in range(n_suggestions):
        choice = form.get(f"suggestion-{n}", "")
        if choice == "confirm":
            edit.confirm.add(n)
        elif choice == "drop":
            edit.drop.add(n)
    edit.notes_done = form.get("notes-done") == "yes"
    return edit


def changed(edit: ItemEdit) -> bool:
    return bool(edit.fields or edit.confirm or edit.drop or edit.notes_done)
