"""A forum's status (`draft` or `ready`) and what is left to do in a draft.

`digest import` writes a forum as `status: draft`, with notes for the organiser as YAML
comments (digest/importer/emit.py): headlines and summaries cut with "…", audience
suggestions to confirm, placeholder links, officers' own addresses to replace, actions to
confirm. This module is the one place that reads them back, so that `digest check`, the
preview, `digest ready`, `digest send` and the scheduler all show the same list.

What the file says counts, comments and values alike: a note is done when its comment is
deleted, a cut headline when it no longer ends with "…", a placeholder when the `(#)`
link is gone. A forum without `status:` is ready (content written before drafts existed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from digest.content.load import Site
from digest.content.model import Forum
from digest.errors import WARNING, DigestError, Problem, display_path
from digest.files import write_atomic
from digest.fmt import plural

# (kind, what a comment starts with or says): the notes emit.py writes, as lower-case text
_NOTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("headline cut", re.compile(r"^headline cut from the question")),
    ("summary cut", re.compile(r"^summary cut from the answer")),
    ("audience to confirm", re.compile(r"^suggested audience")),
    ("action to confirm", re.compile(r"^(?:suggested actions?|actions? to confirm)\b")),
    ("suggestion to confirm", re.compile(r"^suggested \w+")),
    ("placeholder", re.compile(r"^placeholder link")),
    ("flagged contact", re.compile(r"an officer's own address|^flagged contact")),
    ("date to put in", re.compile(r"^no date found in the document")),
    ("re-import note", re.compile(r"^not in the revised document|check that your summary still says it")),
)
_ITEM = re.compile(r"^\s{0,40}-\s{1,8}id:\s{0,8}[\"']?([a-z0-9][a-z0-9-]{0,79})")
_COMMENT = re.compile(r"(?:^|\s)#\s?(.*)")  # one line at a time: '.' stops at its end
_PLACEHOLDER = re.compile(r"\]\(#[^)]{0,200}\)")
CUT = "…"
_SAID = {  # a note whose first line is not a sentence on its own, said in full
    "audience to confirm": "an audience suggested from the words quoted: confirm it (delete the '# ' before "
    "'audience:' and the lines under it) or delete the suggestion",
}
_MANY = {
    "headline cut": "headlines cut",
    "summary cut": "summaries cut",
    "audience to confirm": "audiences to confirm",
    "action to confirm": "actions to confirm",
    "suggestion to confirm": "suggestions to confirm",
    "placeholder": "placeholders",
    "flagged contact": "flagged contacts",
    "date to put in": "dates to put in",
    "re-import note": "re-import notes",
}


@dataclass(frozen=True)
class Todo:
    file: str
    line: int
    item: str  # the item's id, "" for the forum itself
    kind: str  # "headline cut", "audience to confirm", ...
    text: str

    def problem(self) -> Problem:
        return Problem(self.file, self.line, 0, f"item {self.item}" if self.item else "", self.text, "", WARNING)

    def __str__(self) -> str:
        return str(self.problem()).replace(" warning:", "", 1)


def is_draft(forum: Forum) -> bool:
    return forum.status == "draft"


def forum_path(site: Site, forum_id: str) -> Path:
    return site.settings.path("content") / "forums" / f"{forum_id}.yaml"


def of_text(text: str, shown: str, forum: Forum | None = None) -> list[Todo]:
    """What is left to do in a forum file: its notes (comments), its headlines that still
    end with "…" and the placeholder links still in its answers."""
    found: list[Todo] = []
    item, item_lines = "", dict[str, int]()
    for n, line in enumerate(text.splitlines(), 1):
        if m := _ITEM.match(line):
            item = m.group(1)
            item_lines.setdefault(item, n)
        m = _COMMENT.search(line)
        if m is None or _in_quotes(line, m.start()):
            continue
        note = " ".join(m.group(1).split())
        kind = next((k for k, pattern in _NOTES if pattern.search(note.lower())), None)
        if kind is not None:
            found.append(Todo(shown, n, item if line.startswith(" ") else "", kind, _SAID.get(kind, _short(note))))
    if forum is not None:
        marked = {(t.item, t.kind) for t in found}
        for it in forum.items:
            at = item_lines.get(it.id, 1)
            if it.headline and it.headline.endswith(CUT) and (it.id, "headline cut") not in marked:
                found.append(
                    Todo(
                        shown,
                        at,
                        it.id,
                        "headline cut",
                        f"the headline is cut short: rewrite it: '{_short(it.headline)}'",
                    )
                )
            if _PLACEHOLDER.search(f"{it.question}\n{it.answer or ''}") and (it.id, "placeholder") not in marked:
                found.append(
                    Todo(shown, at, it.id, "placeholder", "a placeholder '(#)' link: put in the real https:// address")
                )
    return sorted(found, key=lambda t: (t.line, t.kind))


def _in_quotes(line: str, at: int) -> bool:
    """A '#' inside a quoted value ("Year 6 #1") is not a comment."""
    before = line[:at]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def of_forum(site: Site, forum_id: str) -> list[Todo]:
    """What is left to do in a forum of the site, read from its file."""
    path = forum_path(site, forum_id)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # the loader has said why already
    return of_text(text, display_path(path, site.settings.root), site.forums.get(forum_id))


def counted(todos: list[Todo]) -> str:
    """'24 headlines cut, 20 audiences to confirm'."""
    kinds: dict[str, int] = {}
    for t in todos:
        kinds[t.kind] = kinds.get(t.kind, 0) + 1
    return ", ".join(_count(n, kind) for kind, n in kinds.items()) or "nothing left to do"


def _count(n: int, kind: str) -> str:
    return plural(n, kind, _MANY.get(kind))


def problems(site: Site) -> list[Problem]:
    """digest check's warnings for each draft: one line saying it is a draft, then each
    thing left to do at its line."""
    out: list[Problem] = []
    for forum_id, forum in site.forums.items():
        if not is_draft(forum):
            continue
        todos = of_forum(site, forum_id)
        shown = display_path(forum_path(site, forum_id), site.settings.root)
        out.append(
            Problem(
                shown,
                _status_line(forum_path(site, forum_id)),
                0,
                "status",
                f"forum '{forum_id}' is a draft: it is not sent and not in the archive ({counted(todos)})",
                f"deal with each note below, then run `digest ready {forum_id}`",
                WARNING,
            )
        )
        out += [t.problem() for t in todos]
    return out


def _status_line(path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    m = re.search(r"^status:", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def refuse_draft(site: Site, forum: Forum, what: str) -> None:
    """Raise, listing what is left to do, when forum is a draft (what: 'sent', ...)."""
    if not is_draft(forum):
        return
    todos = of_forum(site, forum.id)
    raise DigestError(
        f"forum '{forum.id}' is a draft and is not {what} ({counted(todos)}): deal with what is listed above, "
        f"then run `digest ready {forum.id}` (or set `status: ready` in its file)",
        [t.problem() for t in todos],
    )


_STATUS = re.compile(r"^status:[ \t]{0,20}[\"']?draft[\"']?[ \t]{0,20}(?:#[^\n]{0,2000})?$", re.M)


def mark_ready(site: Site, forum_id: str, force: bool = False) -> list[Todo]:
    """`digest ready`: set `status: ready` in the forum's file, changing nothing else in it.
    Refused while the file has errors, and while anything is left to do unless forced;
    returns what was left (forced)."""
    path = forum_path(site, forum_id)
    shown = display_path(path, site.settings.root)
    errors = [p for p in site.problems.errors if p.file == shown]
    if errors:
        raise DigestError(
            f"{shown} has {plural(len(errors), 'error')}: fix them, then run `digest ready {forum_id}` again", errors
        )
    forum = site.forum(forum_id)
    if not is_draft(forum):
        raise DigestError(f"forum '{forum_id}' is ready already: it has no `status: draft`")
    todos = of_forum(site, forum_id)
    if todos and not force:
        raise DigestError(
            f"forum '{forum_id}' still has {counted(todos)}: deal with each (delete a note once done), "
            f"or give --force to mark it ready as it is",
            [t.problem() for t in todos],
        )
    text = path.read_text(encoding="utf-8")
    new, n = _STATUS.subn("status: ready", text, count=1)
    if n != 1:
        raise DigestError(f"{shown}: cannot find its `status: draft` line: set `status: ready` by hand")
    write_atomic(path, new)
    return todos
