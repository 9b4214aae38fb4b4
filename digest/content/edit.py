"""Editing a forum file in place, as the preview's curation page does: only what changed.

ruamel.yaml reads the file round-trip (comments, key order, quoting, folded paragraphs
and blank lines kept) and writes it back with only the edited values changed; a file it
could not write back unchanged is refused rather than reformatted. The importer's notes
and audience suggestions are comments (importer/emit.py): they are read from the item's
lines, and a suggestion confirmed or dropped is its comment line taken out.

Every edit is checked as `digest check` would check it (the whole site loaded with the
new text in place of the file) before it is written, atomically; and an edit made in a
text editor since the page was drawn (the file's hash differs from the one the page was
drawn from) is never overwritten: `Conflict`, and nothing is written.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.content.model import Item
from digest.content.yamlio import MAX_BYTES
from digest.errors import DigestError, Problem, display_path
from digest.files import write_atomic
from digest.settings import Settings

AUDIENCE_KEYS = ("districts", "phases", "settings")
# where a key goes when an item does not have it yet (the importer's order, then the rest)
ORDER = ("id", "kind", "question", "headline", "answer", "summary", "status", "answered_by", "topics", "links")
_WRITING = threading.Lock()  # one edit at a time in this process: read, check, write
# every repeat bounded, as in every pattern that reads content (tests/content/test_patterns.py)
_SUGGESTION = re.compile(
    r'^([ \t]{0,80})#([ \t]{1,20})(districts|phases|settings):[ \t]{0,20}(\[[^\]]{0,2000}\])[ \t]{0,20}#[ \t]{0,20}"(.{0,4000})"[ \t]{0,20}$'
)
_NOTE = re.compile(r"^[ \t]{0,80}# ?(.{0,4000})$")
_AFTER_VALUE = re.compile(
    r"^[ \t]{0,80}[a-z_]{1,40}: [^\"'#\[{|> \t]{1,200}[ \t]{1,40}#[ \t]{1,20}(.{0,4000})$"
)  # `status: pending  # a note`
_EXCLUDE = re.compile(r"^[ \t]{0,80}#[ \t]{1,20}exclude:[ \t]{0,20}$")
_STATUS_NOTE = re.compile(r"^(status:[ \t]{0,20}[\w\"'-]{1,20})[ \t]{1,40}#.{0,4000}$")
_LINE_NOTE = re.compile(r"[ \t]{1,40}#[ \t].{0,4000}$")
_SLUG = re.compile(r"[a-z0-9]{1,80}(-[a-z0-9]{1,80}){0,40}")


class Conflict(DigestError):
    """The file changed on disk since the page was drawn: the edit is not written."""


@dataclass(frozen=True)
class Suggestion:
    """An audience suggestion the importer wrote as a comment, with the words it came from."""

    index: int  # its place among the item's suggestions, as the page names it
    key: str  # "phases", or "exclude.settings"
    values: tuple[str, ...]
    quote: str
    line: int  # 0-based, in the file's text


@dataclass
class ItemEdit:
    """What the page asks of one item: fields to set (None removes the key), suggestions to
    confirm into `audience:` or drop, and whether the import's notes were dealt with."""

    fields: dict[str, Any] = field(default_factory=dict)
    confirm: set[int] = field(default_factory=set)
    drop: set[int] = field(default_factory=set)
    notes_done: bool = False


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _yaml() -> YAML:
    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096  # a value written on one line stays there; unchanged folded ones keep their folds
    y.indent(mapping=2, sequence=4, offset=2)  # as digest import writes
    return y


def plain(value: Any) -> Any:
    """ruamel's round-trip values as plain dicts, lists and strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def flow(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


# -- reading what the file says beside its values --------------------------------------------
_ID_LINE = re.compile(r"^([ \t]{0,80})- id: ([^\s#]{1,80})")


def item_blocks(lines: list[str]) -> dict[str, range]:
    """Each item's block of lines, from its `- id:` to the next item or section."""
    out: dict[str, range] = {}
    starts = [(n, m) for n, line in enumerate(lines) if (m := _ID_LINE.match(line))]
    for n, found in starts:
        dash = len(found.group(1))
        end = n + 1
        while end < len(lines):
            line = lines[end]
            if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= dash:
                break
            end += 1
        while end > n + 1 and not lines[end - 1].strip():
            end -= 1
        out.setdefault(found.group(2), range(n, end))
    return out


def item_lines(lines: list[str], item_id: str, blocks: dict[str, range] | None = None) -> range:
    """The lines of one item's block (blocks: item_blocks(lines), when asking of many items)."""
    return (blocks if blocks is not None else item_blocks(lines)).get(item_id, range(0))


def suggestions(lines: list[str], item_id: str, blocks: dict[str, range] | None = None) -> list[Suggestion]:
    out: list[Suggestion] = []
    block = item_lines(lines, item_id, blocks)
    inside_exclude = False
    for n in block:
        line = lines[n]
        if _EXCLUDE.match(line):
            inside_exclude = True
            continue
        found = _SUGGESTION.match(line)
        if not found:
            continue
        inside_exclude = inside_exclude and len(found.group(2)) > 3
        try:
            values = yaml.safe_load(found.group(4))
        except yaml.YAMLError:
            continue
        if not isinstance(values, list):
            continue
        key = f"exclude.{found.group(3)}" if inside_exclude else found.group(3)
        out.append(Suggestion(len(out), key, tuple(str(v) for v in values), found.group(5), n))
    return out


def notes(lines: list[str], item_id: str, blocks: dict[str, range] | None = None) -> list[tuple[int, str]]:
    """The import's notes on an item (comment lines, and what follows `# ` after a value),
    leaving out the id's fingerprint and the audience suggestions."""
    out = []
    block = item_lines(lines, item_id, blocks)
    for n in block:
        line = lines[n]
        stripped = line.strip()
        if stripped.startswith("#"):
            text = _NOTE.match(line).group(1)
            if _SUGGESTION.match(line) or _suggestion_header(text):
                continue
            out.append((n, text))
        elif n != block.start and (after := _AFTER_VALUE.match(line)):
            out.append((n, after.group(1)))
    return [(n, t) for n, t in out if t]


def _suggestion_header(text: str) -> bool:
    return (
        text.startswith("Suggested audience")
        or text.startswith("'# ' before 'audience:'")
        or text.strip() in ("audience:", "exclude:")
    )


# -- the document -----------------------------------------------------------------------------
class ForumDoc:
    """One forum file, read round-trip."""

    def __init__(self, path: Path, raw: bytes) -> None:
        self.path, self.raw, self.hash = path, raw, fingerprint(raw)
        self.text = raw.decode("utf-8")
        self.yaml = _yaml()
        try:
            self.data = self.yaml.load(self.text)
        except YAMLError as exc:
            raise DigestError(f"{path.name} cannot be read for editing: {exc}") from None
        if self.dump() != self.text:
            raise DigestError(
                f"{path.name} is laid out in a way the curation page would not keep exactly",
                [],
                "edit it in a text editor",
            )
        self._lines_edits: list[Callable[[list[str]], list[str]]] = []

    @classmethod
    def read(cls, path: Path) -> ForumDoc:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            raise DigestError(f"{path.name} is over the {MAX_BYTES:,}-byte limit")
        return cls(path, raw)

    def dump(self) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()

    def item(self, item_id: str) -> CommentedMap:
        for section in self.data.get("sections") or []:
            for item in section.get("items") or []:
                if isinstance(item, CommentedMap) and item.get("id") == item_id:
                    return item
        raise DigestError(f"no item '{item_id}' in {self.path.name}: it was renamed or removed; reload the page")

    def item_model(self, item_id: str) -> Item:
        """The item as the file says it now (what a form's values are compared with)."""
        try:
            return Item.model_validate(plain(self.item(item_id)))
        except ValidationError:
            raise DigestError(f"item '{item_id}' does not validate: run `digest check`") from None

    def set_key(self, mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...] = ORDER) -> None:
        """Set mapping[key]; a new key goes after the keys that come before it in order."""
        if value is None:
            if key in mapping:
                del mapping[key]
            return
        if key in mapping and isinstance(mapping[key], CommentedSeq) and isinstance(value, list):
            mapping[key][:] = value  # keeps its flow or block style
            return
        if isinstance(value, list) and not isinstance(value, CommentedSeq):
            value = flow(value)  # a new list on one line, as digest import writes them
        if key in mapping:
            mapping[key] = value
            return
        before = order[: order.index(key)] if key in order else order
        position = max((n + 1 for n, k in enumerate(mapping) if k in before), default=len(mapping))
        if key not in order:
            position = len(mapping)
        mapping.insert(position, key, value)

    def edit_item(self, item_id: str, edit: ItemEdit) -> None:
        item = self.item(item_id)
        for key, value in edit.fields.items():
            if key.startswith("audience."):
                self._audience(item, key.split(".", 1)[1], value)
            else:
                self.set_key(item, key, value)
        lines = self.text.split("\n")
        found = suggestions(lines, item_id)
        wanted = [s for s in found if s.index in edit.confirm]
        if wanted:
            audience = item.get("audience")
            if not isinstance(audience, CommentedMap):
                audience = CommentedMap()
                self.set_key(item, "audience", audience, (*ORDER, "audience"))
            for s in wanted:
                target = audience
                key = s.key
                if key.startswith("exclude."):
                    key = key.split(".", 1)[1]
                    if not isinstance(audience.get("exclude"), CommentedMap):
                        self.set_key(audience, "exclude", CommentedMap(), (*AUDIENCE_KEYS, "exclude"))
                    target = audience["exclude"]
                have = list(target.get(key) or [])
                self.set_key(target, key, have + [v for v in s.values if v not in have], (*AUDIENCE_KEYS, "exclude"))
        gone = {s.quote for s in found if s.index in edit.confirm | edit.drop}
        remaining = len(found) - len(gone)
        self._lines_edits.append(lambda lines: _drop_comments(lines, item_id, gone, remaining, edit.notes_done))

    def _audience(self, item: CommentedMap, kind: str, values: list[str] | None) -> None:
        """Set (or with None, remove) one of the item's audience lists; no list left, no audience."""
        audience = item.get("audience")
        if values is None:
            if isinstance(audience, CommentedMap):
                self.set_key(audience, kind, None)
                if not audience:
                    del item["audience"]
            return
        if not isinstance(audience, CommentedMap):
            audience = CommentedMap()
            self.set_key(item, "audience", audience, (*ORDER, "audience"))
        self.set_key(audience, kind, values, (*AUDIENCE_KEYS, "exclude"))

    def set_forum(self, key: str, value: Any) -> None:
        """Set a forum-level key (a new one goes where digest import writes it: status after id).
        The note after `status: draft` ("until `digest ready`...") goes with the draft."""
        self.set_key(self.data, key, value, ("id", "status", "title", "dates"))
        if key == "status":
            self._lines_edits.append(lambda lines: [_STATUS_NOTE.sub(r"\1", x) for x in lines])

    def result(self) -> str:
        """The new text: the values changed, then the comment lines taken out."""
        text = self.dump()
        for change in self._lines_edits:
            text = "\n".join(change(text.split("\n")))
        return text


def _drop_comments(lines: list[str], item_id: str, quotes: set[str], remaining: int, notes_done: bool) -> list[str]:
    """Take out the item's suggestion lines whose quote is in quotes (and the suggestion's
    heading once none is left), and with notes_done the import's notes on it."""
    block = item_lines(lines, item_id)
    drop: set[int] = set()
    for s in suggestions(lines, item_id):
        if s.quote in quotes:
            drop.add(s.line)
    if remaining == 0:
        for n in block:
            text = lines[n].strip()
            if text.startswith("#") and _suggestion_header(_NOTE.match(lines[n]).group(1)):
                drop.add(n)
    elif not any(s.key.startswith("exclude.") for s in suggestions(lines, item_id) if s.line not in drop):
        drop.update(n for n in block if _EXCLUDE.match(lines[n]))
    out = list(lines)
    if notes_done:
        for n, _ in notes(lines, item_id):
            if lines[n].strip().startswith("#"):
                drop.add(n)
            else:
                out[n] = _LINE_NOTE.sub("", lines[n], count=1)
    return [line for n, line in enumerate(out) if n not in drop]


# -- checking and writing ---------------------------------------------------------------------
@dataclass
class Saved:
    changed: bool
    warnings: list[Problem]
    hash: str


def forum_path(settings: Settings, forum_id: str) -> Path:
    """The forum's file; nothing outside the content folder is ever written."""
    folder = (settings.path("content") / "forums").resolve()
    path = (folder / f"{forum_id}.yaml").resolve()
    if not _SLUG.fullmatch(forum_id) or path.parent != folder:
        raise DigestError(f"no forum '{forum_id}'")
    if not path.is_file():
        raise DigestError(f"no forum file {display_path(path, settings.root)}")
    return path


def check(settings: Settings, path: Path, text: str) -> tuple[list[Problem], list[Problem]]:
    """What `digest check` would say with text in the file: (errors, warnings)."""
    site = run_checks(load_site(settings, {path: text}))
    return site.problems.errors, site.problems.warnings


def save(settings: Settings, forum_id: str, base: str, change: Callable[[ForumDoc], None]) -> Saved:
    """Apply change to the forum's file as it was when the page was drawn (hash base),
    check the result as `digest check` would, and write it atomically."""
    path = forum_path(settings, forum_id)
    with _WRITING:
        raw = path.read_bytes()
        if fingerprint(raw) != base:
            raise Conflict(
                f"{display_path(path, settings.root)} was changed in another editor since this page was drawn"
            )
        doc = ForumDoc.read(path)
        change(doc)
        text = doc.result()
        if text == doc.text:
            return Saved(False, [], doc.hash)
        errors, warnings = check(settings, path, text)
        if errors:
            raise DigestError("not saved: the change would make `digest check` fail", errors)
        if fingerprint(path.read_bytes()) != base:  # once more, just before the write
            raise Conflict(f"{display_path(path, settings.root)} was changed in another editor just now")
        write_atomic(path, text)
        return Saved(True, warnings, fingerprint(text.encode("utf-8")))
