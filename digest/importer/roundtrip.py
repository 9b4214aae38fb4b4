"""A revised document written over the organiser's forum file, keeping the file as they
left it: their comments, blank lines, quoting, folding and key order, and every id.

`digest import --force` merges the revised document with the file (digest.importer.reimport
decides what is the same item and what the organiser's edits are) and renders the result
afresh (emit). This module then applies only what the document changed to the file as
it stands, through ruamel.yaml's round trip (a file read and written unchanged comes back
byte for byte):

- an item whose answer changed gets the new answer, status and summary (as merged), its
  `# doc:` fingerprint updated, and a note where the organiser should look again;
- a new item is added at the end of its section (a new section at the end), with the
  draft's notes for it as comments;
- an item the document no longer has stays, with a note;
- everything else, the forum's own keys included, is left exactly as it was.

The file has already been read by digest's own safe loader (no tags, aliases or
duplicate keys, bounded size), so ruamel reads only what that accepted. Should ruamel
still fail on it, the fresh rendering is written instead (the old behaviour: the
organiser's edits kept, their comments not).
"""

from __future__ import annotations

import io
import re
from typing import Any

from digest.importer.draft import Draft
from digest.importer.reimport import Changes

_FINGERPRINT = re.compile(r"# doc: q \w{1,64}, a \w{1,64}")
_EOL = re.compile(r"^[ \t]{0,200}#[^\n]{0,5000}")
_GONE = "Not in the revised document: delete this item if it no longer applies"
_ITEM_KEYS = ("answer", "summary", "status")


def _yaml() -> Any:
    from ruamel.yaml import YAML  # imported by a re-import only

    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never re-wrap a line the organiser wrote
    yaml.indent(mapping=2, sequence=4, offset=2)  # as emit writes, and the example content is written
    return yaml


def write_over(old_text: str, fresh_text: str, draft: Draft, changes: Changes) -> str:
    """The organiser's file with the document's changes applied; fresh_text if it cannot be."""
    if not (changes.changed or changes.new or changes.gone):
        return old_text  # the document changed nothing the file holds
    from ruamel.yaml import YAMLError

    yaml = _yaml()
    try:
        old, fresh = yaml.load(old_text), yaml.load(fresh_text)
        _apply(old, fresh, draft, changes)
        out = io.StringIO()
        yaml.dump(old, out)
    except (YAMLError, KeyError, TypeError, AttributeError, ValueError):
        return fresh_text
    return out.getvalue()


def _items(forum: Any) -> dict[str, tuple[Any, Any]]:
    """item id -> (its section mapping, the item mapping)."""
    out = {}
    for section in forum.get("sections") or []:
        if not hasattr(section, "get"):
            continue
        for item in section.get("items") or []:
            if hasattr(item, "get") and isinstance(item.get("id"), str):
                out.setdefault(item["id"], (section, item))
    return out


def _apply(old: Any, fresh: Any, draft: Draft, changes: Changes) -> None:
    mine, theirs = _items(old), _items(fresh)
    notes = {item.id: item.notes for item in draft.items}
    for item_id in changes.changed:
        if item_id in mine and item_id in theirs:
            _update(mine[item_id][1], theirs[item_id][1], notes.get(item_id, []))
    sections = {s.get("id"): s for s in old["sections"] if hasattr(s, "get")}
    for item_id in changes.new:
        section, item = theirs[item_id]
        home = sections.get(section.get("id"))
        if home is None:  # a section the file does not have: it comes with its new items only
            section["items"] = [i for i in section["items"] if i.get("id") in changes.new]
            old["sections"].append(section)
            sections[section.get("id")] = section
        elif item not in home["items"]:
            home["items"].append(item)
    for item_id in changes.gone:
        if item_id in mine and _GONE not in _comments(mine[item_id][1]):  # once, over several re-imports
            _note(mine[item_id][1], _GONE)


def _update(item: Any, new: Any, notes: list[str]) -> None:
    """The document's new answer over an item, leaving the organiser's other fields."""
    for key in _ITEM_KEYS:
        if key not in new:
            if key in item:
                del item[key]
            continue
        if key not in item:
            after = [k for k in ("question", "headline", "answer", "summary") if k in item]
            item.insert(list(item).index(after[-1]) + 1 if after else len(item), key, new[key])
            continue
        if item[key] == new[key]:
            continue  # as the organiser wrote it, in their style
        if key == "status":
            _drop_eol(item, key)  # "# it only says the answer is to follow" no longer holds
        item[key] = new[key]
    fingerprint = _FINGERPRINT.search(_eol(new, "id"))
    token = _token(item, "id")
    if fingerprint and token is not None:
        token.value = _FINGERPRINT.sub(fingerprint.group(0), token.value, count=1)
    for note in notes:
        said = note[0].upper() + note[1:]
        if said not in _comments(item):
            _note(item, said)


def _token(mapping: Any, key: str) -> Any:
    """The comment after key's value: the end of its line and the comment lines below it."""
    slots = mapping.ca.items.get(key)
    return slots[2] if slots and len(slots) > 2 else None


def _eol(mapping: Any, key: str) -> str:
    token = _token(mapping, key)
    return token.value if token is not None else ""


def _drop_eol(mapping: Any, key: str) -> None:
    """Remove the comment at the end of key's line, keeping the lines below it."""
    token = _token(mapping, key)
    if token is not None and _EOL.match(token.value):
        token.value = _EOL.sub("", token.value, count=1) or "\n"


def _comments(mapping: Any) -> str:
    """Every comment held by the mapping's keys, as one text."""
    out = []
    for slots in mapping.ca.items.values():
        for slot in slots:
            for token in slot if isinstance(slot, list) else [slot]:
                out.append(str(getattr(token, "value", "")))
    return " ".join(" ".join(out).split())


def _note(item: Any, text: str) -> None:
    """A note for the organiser, as a comment line before the item's question."""
    key = "question" if "question" in item else next(iter(item))
    item.yaml_set_comment_before_after_key(key, before=" ".join(text.split()), indent=8)
