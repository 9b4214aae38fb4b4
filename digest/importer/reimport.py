"""Importing a revised document over a forum file the organiser has already edited.

An item of the file is the same as an item of the revised document when the document's
question is unchanged: its `# doc:` fingerprint matches (whatever the organiser did to
the question's wording since), or, for a file written by hand, the question reads the
same. Such an item keeps its id and what the organiser wrote: headline, audience,
contacts, links, highlight, topics, and its question. Its answer, status and summary
are kept too while the document's answer is unchanged; when the answer changed the new
one comes in (a summary the organiser wrote is kept, and flagged to check).

Items of the file that the revised document no longer has are kept, with a note, so
that nothing written by hand is lost. Sections and the forum keep their ids, titles,
audiences and status. Ids stay: a new item never takes the id of one the file has.
The result is written over the file as it stands (digest.importer.roundtrip), so the
organiser's comments and formatting are kept too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.content import wording
from digest.content.yamlio import MAX_BYTES, load_yaml
from digest.errors import DigestError, display_path
from digest.importer.draft import Draft, DraftItem, DraftSection, digest_of, norm, unique
from digest.importer.emit import FINGERPRINT

_ITEM_KEPT = ("audience", "answered_by", "links", "highlight")


@dataclass
class Old:
    """The forum file as it was: its mappings, and each item's fingerprints."""

    forum: dict[str, Any]
    items: list[tuple[int, dict[str, Any]]]  # (section index, item mapping)
    fingerprints: dict[str, tuple[str, str]]
    text: str = ""  # the file as it is, which the re-import is written over (roundtrip)


@dataclass
class Changes:
    kept: list[str] = field(default_factory=list)  # ids whose edits were kept
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # answers the document changed
    arrived: list[str] = field(default_factory=list)  # pending before, answered now
    gone: list[str] = field(default_factory=list)  # no longer in the document, kept with a note
    check_summary: list[str] = field(default_factory=list)  # a written summary over a changed answer


def read_old(path: Path, shown: str) -> Old:
    src, problems = load_yaml(path, shown)
    data = src.data if src is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        detail = "; ".join(str(p) for p in problems[:3]) or "it has no sections"
        raise DigestError(f"cannot import over {shown}: it does not read as a forum file ({detail})")
    items = []
    for n, section in enumerate(data["sections"]):
        if isinstance(section, dict) and isinstance(section.get("items"), list):
            items.extend((n, i) for i in section["items"] if isinstance(i, dict) and isinstance(i.get("id"), str))
    text = path.read_text(encoding="utf-8")
    fingerprints = {m.group(1): (m.group(2), m.group(3)) for m in FINGERPRINT.finditer(text)}
    return Old(data, items, fingerprints, text)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def merge(draft: Draft, old: Old, title_given: bool) -> Changes:
    changes = Changes()
    for key in ("status", "title", "dates", "intro", "audience"):
        if key in old.forum and not (key == "title" and title_given):
            draft.kept[key] = old.forum[key]
    section_of = _match_sections(draft, old)
    unmatched = list(old.items)
    for item in draft.items:
        found = next((o for o in unmatched if _same(item, o[1], old.fingerprints)), None)
        if found is None:
            changes.new.append(item.id)
            continue
        unmatched.remove(found)
        _keep(item, found[1], old.fingerprints.get(found[1]["id"]), changes)
    _stable_ids(draft, {m["id"] for _, m in old.items})
    changes.new = [i.id for i in draft.items if not i.kept.get("id")]
    used = {i.id for i in draft.items}
    for index, mapping in unmatched:
        section = section_of.get(index)
        if section is None:
            raw = old.forum["sections"][index]
            draft.sections.append(DraftSection(str(raw.get("id")), _text(raw.get("title")) or "Earlier items", None))
            section = section_of[index] = len(draft.sections) - 1
        draft.items.append(_carried(mapping, section, used, old.fingerprints.get(mapping["id"])))
        changes.gone.append(mapping["id"])
    return changes


def _stable_ids(draft: Draft, file_ids: set[str]) -> None:
    """An item the file has keeps its id; a new one never takes an id the file uses (the
    document's new question came first, so the numbering moved on), so every id stays."""
    used = set(file_ids)
    for item in draft.items:
        if item.kept.get("id"):
            item.id = item.kept["id"]
        elif item.id in used:
            item.id = unique(item.id, used | {i.id for i in draft.items})
        used.add(item.id)


def _match_sections(draft: Draft, old: Old) -> dict[int, int]:
    """Old section index -> draft section index, by id or title; matched ones keep theirs."""
    out: dict[int, int] = {}
    for n, raw in enumerate(old.forum["sections"]):
        if not isinstance(raw, dict):
            continue
        for m, section in enumerate(draft.sections):
            if m in out.values():
                continue
            if raw.get("id") == section.id or norm(_text(raw.get("title"))) == norm(section.title):
                section.id = str(raw.get("id") or section.id)
                section.kept.update({k: raw[k] for k in ("title", "presenter", "audience") if k in raw})
                out[n] = m
                break
    return out


def _same(item: DraftItem, mapping: dict[str, Any], fingerprints: dict[str, tuple[str, str]]) -> bool:
    fp = fingerprints.get(mapping["id"])
    if fp is not None:
        return fp[0] == item.source[0]
    return norm(_text(mapping.get("question"))) == norm(item.question)


def _keep(item: DraftItem, mapping: dict[str, Any], fp: tuple[str, str] | None, changes: Changes) -> None:
    old_answer = _text(mapping.get("answer"))
    same_answer = fp[1] == item.source[1] if fp else norm(old_answer) == norm(item.answer)
    item.kept["id"] = item.id = mapping["id"]
    item.question = _text(mapping.get("question")) or item.question
    item.headline = _text(mapping.get("headline")) or None
    item.cut = [c for c in item.cut if c != "headline"]  # whatever it is, it is the organiser's
    item.kind = mapping.get("kind", item.kind) if mapping.get("kind") in ("question", "feedback") else item.kind
    if isinstance(mapping.get("topics"), list):
        item.topics = mapping["topics"]
    for key in _ITEM_KEPT:
        if key in mapping:
            item.kept[key] = mapping[key]
    old_summary = _text(mapping.get("summary")) or None
    if same_answer:
        item.answer = old_answer
        item.status = str(mapping.get("status", "answered"))
        item.status_note = ""
        item.summary = old_summary
        item.cut = [c for c in item.cut if c != "summary"]
        changes.kept.append(item.id)
        return
    changes.changed.append(item.id)
    if mapping.get("status") == "pending" and item.status == "answered":
        changes.arrived.append(item.id)
    suggested = wording.cut(wording.derive_summary(old_answer), wording.SUMMARY_WORDS) if old_answer else ""
    if old_summary and norm(old_summary) != norm(suggested):
        item.summary = old_summary
        item.cut = [c for c in item.cut if c != "summary"]
        item.notes.append("the document's answer changed: check that your summary still says it")
        changes.check_summary.append(item.id)


def _carried(mapping: dict[str, Any], section: int, used: set[str], fp: tuple[str, str] | None) -> DraftItem:
    """An item of the forum file the revised document no longer has, kept as it was."""
    item = DraftItem(
        _text(mapping.get("question")), _text(mapping.get("answer")), section, int(mapping.get("asked", 1) or 1)
    )
    item.id = mapping["id"] if mapping["id"] not in used else unique(mapping["id"], used)
    used.add(item.id)
    item.kept["id"] = item.id
    item.kind = mapping.get("kind", "question") if mapping.get("kind") in ("question", "feedback") else "question"
    item.status = str(mapping.get("status", "answered"))
    item.headline = _text(mapping.get("headline")) or None
    item.summary = _text(mapping.get("summary")) or None
    item.topics = mapping["topics"] if isinstance(mapping.get("topics"), list) else []
    item.source = fp or (digest_of(item.question), digest_of(item.answer))
    for key in _ITEM_KEPT:
        if key in mapping:
            item.kept[key] = mapping[key]
    item.notes.append("not in the revised document: delete this item if it no longer applies")
    return item


# -- a document imported already, as another forum ------------------------------------------------
SOURCE = re.compile(r"^# Source sha256: ([0-9a-f]{64})[ \t]{0,8}$", re.M)


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def stamp(text: str, sha: str) -> str:
    """The forum file with the source document's sha256 recorded, in a comment above `id:`."""
    line = f"# Source sha256: {sha}"
    if SOURCE.search(text):
        return SOURCE.sub(line, text, count=1)
    at = re.search(r"^id:", text, re.M)
    return text[: at.start()] + line + "\n" + text[at.start() :] if at else line + "\n" + text


def twin(forums: Path, out: Path, draft: Draft, sha: str, root: Path) -> str:
    """Why the document is already a forum other than the one being written ('' if not):
    the same file (its sha256 recorded in that forum), or most of its questions."""
    mine = {i.source[0] for i in draft.items if i.kind == "question"}
    for other in sorted(forums.glob("*.yaml")) if forums.is_dir() else []:
        if other.resolve() == out.resolve() or not other.is_file() or other.stat().st_size > MAX_BYTES:
            continue
        text = other.read_text(encoding="utf-8", errors="replace")
        shown = display_path(other, root)
        if sha in SOURCE.findall(text):
            return f"this very document was imported as forum '{other.stem}' ({shown})"
        theirs = {m.group(2) for m in FINGERPRINT.finditer(text)} | _questions(other, shown)
        same = len(mine & theirs)
        if mine and same * 2 > len(mine):
            return f"{same} of its {len(mine)} questions are those of forum '{other.stem}' ({shown})"
    return ""


def _questions(path: Path, shown: str) -> set[str]:
    """The fingerprints of a forum file's questions as written (a file written by hand)."""
    src, _ = load_yaml(path, shown)
    data = src.data if src is not None else None
    out = set()
    for section in data.get("sections") or [] if isinstance(data, dict) else []:
        for item in section.get("items") or [] if isinstance(section, dict) else []:
            if isinstance(item, dict) and isinstance(item.get("question"), str):
                out.add(digest_of(item["question"]))
    return out
