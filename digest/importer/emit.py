"""The draft as a forum file an organiser can read: YAML in the content schema, with the
notes for the organiser as comments beside what they are about.

Each value is written in the plainest form that reads back as the same text: a plain
scalar, a folded paragraph (`>-`) for long text, a literal block (`|`) for Markdown with
several paragraphs or lists, JSON-style double quotes for anything else. Audience
suggestions are comments in the shape of a real `audience:`, so confirming one is
deleting the "# " in front of its lines. Each item's id line carries the fingerprints of
the document's question and answer, so that a re-import can tell what the document
changed from what the organiser changed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import yaml

from digest.importer.draft import Draft, DraftItem

WIDTH = 92
FINGERPRINT = re.compile(r"^\s*- id: (\S+)\s+# doc: q (\w+), a (\w+)\s*$", re.M)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _reads_back(value: Any, written: str) -> bool:
    try:
        return yaml.load(f"k: {written}", Loader=_LOADER) == {"k": value}  # C or Python, safe either way
    except yaml.YAMLError:
        return False


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap that never starts a line with something Markdown or YAML would read
    as a list marker, a heading or a quote ("- 25 June", "1. ", "#", ">")."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width and not re.match(r"^(?:[-*+>#]|\d+[.)])$|^#", word):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


def scalar(value: str, indent: int) -> list[str]:
    """Lines to write after `key:` (the first joins the key's line)."""
    pad = " " * (indent + 2)
    value = value.strip("\n")
    if "\n" not in value:
        if len(value) + indent < WIDTH and _reads_back(value, value):
            return [f" {value}"]
        folded = _wrap(value, WIDTH - indent - 2)
        if "  " not in value and not value.startswith((" ", "#")) and value == value.strip():
            text = "\n".join(pad + line for line in folded)
            if _reads_back(value, ">-\n" + text):
                return [" >-", *(pad + line for line in folded)]
        return [" " + json.dumps(value, ensure_ascii=False)]
    out = [" |-"]
    for block_line in value.split("\n"):
        if not block_line.strip():
            out.append("")
            continue
        lead = re.match(r"^(\s*)((?:[-*+]|\d+[.)])\s+)?", block_line)
        hang = " " * len(lead.group(0)) if lead else ""
        for n, line in enumerate(_wrap(block_line.strip(), WIDTH - indent - 2 - len(hang))):
            out.append(pad + (lead.group(1) if n == 0 and lead else hang if n else "") + line)
    if out[1].startswith(pad + " ") or not _reads_back_wrapped(value, "\n".join(out)):
        return [" " + json.dumps(value, ensure_ascii=False)]
    return out


def _unwrapped(markdown: str) -> str:
    """Markdown with its soft line breaks (a wrapped paragraph or list item) as spaces."""
    return re.sub(r" *\n(?!\n|\s*(?:[-*+]|\d+[.)])\s) *", " ", markdown)


def _reads_back_wrapped(value: str, written: str) -> bool:
    """A literal block reads back as the same Markdown: the same text, wrapped."""
    try:
        parsed = yaml.load(f"k: {written}", Loader=_LOADER)  # C or Python, safe either way
    except yaml.YAMLError:
        return False
    return isinstance(parsed, dict) and _unwrapped(str(parsed.get("k"))) == _unwrapped(value)


def flow(values: list[str]) -> str:
    shown = []
    for v in values:
        plain = re.fullmatch(r"[A-Za-z0-9][\w ()'&/.+-]*", v) and _reads_back([v], f"[{v}]")
        shown.append(v if plain else json.dumps(v, ensure_ascii=False))
    return "[" + ", ".join(shown) + "]"


def _comment(text: str) -> str:
    return " ".join(text.split())


def _kept(key: str, value: Any, indent: int) -> list[str]:
    """A field kept from the forum file on re-import, written as YAML would write it."""
    pad = " " * indent
    dumped = yaml.safe_dump({key: value}, default_flow_style=None, allow_unicode=True, sort_keys=False, width=WIDTH)
    return [pad + line for line in dumped.rstrip("\n").split("\n")]


def field(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, str):
        first, *rest = scalar(value, indent)
        return [f"{pad}{key}:{first}", *rest]
    if isinstance(value, bool | int):
        return [f"{pad}{key}: {str(value).lower() if isinstance(value, bool) else value}"]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [f"{pad}{key}: {flow(value)}"]
    if isinstance(value, list) and all(isinstance(v, date) for v in value):
        return [f"{pad}{key}: [{', '.join(v.isoformat() for v in value)}]"]
    return _kept(key, value, indent)


def header(source: str) -> list[str]:
    return [
        f"# Imported from {_comment(source)} by `digest import`. A draft: check it by hand before",
        "# it is sent (docs/content.md says what to check). The comments are notes for you: delete",
        "# each once dealt with. The '# doc:' after each id fingerprints the document's question",
        "# and answer, so that importing a revised document keeps your edits: leave it there.",
    ]


def render(draft: Draft, source: str) -> str:
    lines = header(source)
    lines += field("id", draft.id, 0)
    status = draft.kept.get("status", "draft")
    lines.append(
        f"status: {status}"
        + (f"  # until `digest ready {draft.id}`: a draft is never sent" if status == "draft" else "")
    )
    lines += field("title", draft.kept.get("title", draft.title), 0)
    lines += field("dates", draft.kept.get("dates", draft.dates), 0)
    if draft.kept.get("dates") is None and draft.no_date:
        lines[-1] += "  # No date found in the document: put in the forum's dates"
    intro = draft.kept.get("intro", draft.intro)
    if intro:
        lines += field("intro", intro, 0)
    if "audience" in draft.kept:
        lines += field("audience", draft.kept["audience"], 0)
    lines.append("sections:")
    for n, section in enumerate(draft.sections):
        items = draft.items_of(n)
        if not items:
            continue
        lines.append(f"  - id: {section.id}")
        lines += field("title", section.kept.get("title", section.title), 4)
        presenter = section.kept.get("presenter", section.presenter)
        if presenter:
            lines += field("presenter", presenter, 4)
        if "audience" in section.kept:
            lines += field("audience", section.kept["audience"], 4)
        lines.append("    items:")
        for item in items:
            lines += render_item(item)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


_ORDER = ("kind", "question", "headline", "answer", "summary", "status", "answered_by", "topics", "links")


def render_item(item: DraftItem) -> list[str]:
    lines = [f"      - id: {item.id}  # doc: {item.fingerprint}"]
    lines += [f"        # {_comment(n[0].upper() + n[1:])}" for n in item.comments()]
    values: dict[str, Any] = {
        "kind": item.kind if item.kind != "question" else None,
        "question": item.question,
        "headline": item.headline,
        "answer": item.answer or None,
        "summary": item.summary,
        "status": item.status,
        "topics": item.topics or None,
    }
    for key, value in item.kept.items():
        if key != "id":
            values[key] = value
    keys = [k for k in _ORDER if k in values] + [k for k in values if k not in _ORDER]
    for key in keys:
        value = values[key]
        if (
            value is None
            or (key == "status" and item.kind == "feedback" and value == "answered")
            or (key == "highlight" and value is False)
        ):
            continue
        written = field(key, value, 8)
        if key == "status" and item.status_note and "status" not in item.kept:
            written[0] += f"  # {_comment(item.status_note)}"
        lines += written
    if item.asked > 1:
        lines.append(f"        asked: {item.asked}")
    if item.suggestions and "audience" not in item.kept:
        lines.append("        # Suggested audience, from the words quoted. Until you confirm it (delete the")
        lines.append("        # '# ' before 'audience:' and the lines under it) the item goes to everyone.")
        lines.append("        # audience:")
        exclusions = [s for s in item.suggestions if s.key.startswith("exclude.")]
        for s in item.suggestions:
            if not s.key.startswith("exclude."):
                lines.append(f'        #   {s.key}: {flow(list(s.values))}  # "{_comment(s.quote)}"')
        if exclusions:
            lines.append("        #   exclude:")
            for s in exclusions:
                name = s.key.split(".", 1)[1]
                lines.append(f'        #     {name}: {flow(list(s.values))}  # "{_comment(s.quote)}"')
    return lines
