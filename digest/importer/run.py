"""`digest import`: a published Q&A document in, a draft forum file out, then a report of
what to check by hand and what `digest check` says of the draft.

The draft is written atomically, never over an existing file unless asked (`--force`,
which re-imports: the organiser's edits are kept, see digest.importer.reimport). It is
checked as if it stood in the project's content/forums/ beside the other forums, so an
item id another forum already uses is caught here rather than at the next `digest check`.
"""

from __future__ import annotations

import gc
import importlib
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.errors import DigestError, Problem, Problems, display_path
from digest.files import write_atomic
from digest.importer import source

if TYPE_CHECKING:
    from digest.content.audience import Tax
    from digest.importer import draft as drafting
    from digest.importer import reimport
    from digest.settings import Settings

_ID_LINE = re.compile(r"^\s*-\s+id:\s*[\"']?([a-z0-9][a-z0-9-]*)", re.M)


@dataclass
class Result:
    source: Path
    read_as: str  # "Word" or "plain text"
    draft: drafting.Draft
    out: Path
    shown: str  # the draft's path as the user would type it
    changes: reimport.Changes | None
    unchecked: str = ""  # why the draft was not checked, if it was not
    problems: list[Problem] = field(default_factory=list)  # digest check's, about the draft
    elsewhere: int = 0  # errors digest check finds in other content files
    seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def default_id(title: str, dates: list[date]) -> str:
    """'2025-07-term-6-countywide-senco-forum' from the first date and the title."""
    from digest.content.model import slug

    words = slug(title).split("-")[:5]
    return slug(f"{dates[0]:%Y-%m} {' '.join(words)}")


def import_document(
    settings: Settings,
    path: Path,
    forum_id: str | None,
    title: str | None,
    out: Path | None,
    force: bool,
    reading: source.Reading | None = None,
) -> Result:
    """The draft of the document at path, written and checked. `reading` is the document's
    reading if the caller started it already (the command does, before the settings load)."""
    start = time.perf_counter()
    reading = reading or source.Reading(path)  # a Word document's child process reads it while the rest loads
    freeze = gc.get_freeze_count() == 0  # (a process that froze objects itself keeps them as it has them)
    if freeze:
        gc.freeze()  # what is loaded so far lives as long as the process: see _import
    try:
        return _import(settings, reading, forum_id, title, out, force, start, freeze)
    finally:
        if freeze:
            gc.unfreeze()  # all of it collectable again, as before the import
        reading.stop()


def _import(
    settings: Settings,
    reading: source.Reading,
    forum_id: str | None,
    title: str | None,
    out: Path | None,
    force: bool,
    start: float,
    freeze: bool,
) -> Result:
    from digest.content.model import SLUG, slug
    from digest.importer import draft as drafting
    from digest.importer import emit, reimport, roundtrip, structure

    path = reading.path
    for given, what in ((forum_id, "--id"), (out.stem if out and not forum_id else None, "--out file name")):
        if given is not None and not re.fullmatch(SLUG, given):
            raise DigestError(
                f"{what} '{given}' is not a valid forum id: use lower-case letters, digits and hyphens, "
                f"e.g. '{slug(given) or '2025-07-term6'}'"
            )
    if out is not None and forum_id is not None and out.stem != forum_id:
        raise DigestError(f"--out {out} does not match --id {forum_id}: a forum file is named <id>.yaml")
    if out is not None and not out.parent.is_dir():
        raise DigestError(
            f"--out {out}: the folder {out.parent} does not exist (nothing written): make it first, or give another"
        )
    if reading.child is not None:  # what the draft's check needs, loaded while the child reads
        for module in ("digest.content.load", "digest.content.checks", "digest.editions.budget"):
            if module.endswith("budget") and not reading.child.running():
                break  # the budget is measured only for a sound draft: loaded then, unless there is time now
            importlib.import_module(module)
    # Modules and settings are never garbage: kept out of the collector's full passes, which
    # otherwise walk all of them again while the draft is made (about 25 ms of the July import).
    if freeze:
        gc.freeze()
    blocks, kind = reading.result()
    raw = structure.parse(blocks)
    if not raw.sections or not structure.is_forum(raw):
        raise DigestError(
            f"{path}: found no questions and answers, so nothing was written: {structure.what_it_saw(blocks)}. "
            "digest import reads questions labelled 'Q:' or 'Question:', numbered or bold questions, headings "
            "that ask, a bulleted list with the answers under each question, or tables headed 'Question' and "
            "'Response' or 'Answer'"
        )
    no_date = not raw.dates
    if no_date:
        raw.dates = [date.today()]
    raw.title = title or raw.title or path.stem
    forums = settings.path("content") / "forums"
    forum_id = forum_id or (out.stem if out is not None else default_id(raw.title, raw.dates))
    out = out or forums / f"{forum_id}.yaml"
    shown = display_path(out, settings.root)
    if out.is_dir():
        raise DigestError(f"{shown} is a folder: give --out the forum file to write, e.g. {forum_id}.yaml")
    if out.exists() and not force:
        raise DigestError(
            f"{shown} already exists: give --force to import over it (your headlines, summaries and "
            "audiences are kept for every question the document did not change)"
        )
    old = reimport.read_old(out, shown) if out.exists() else None
    tax, unchecked = _taxonomy(settings)
    draft = drafting.build(raw, tax, forum_id, _ids_elsewhere(forums, out, forum_id))
    draft.no_date = no_date
    sha = reimport.sha256_of(path)
    if twin := reimport.twin(forums, out, draft, sha, settings.root):
        raise DigestError(
            f"{path.name} is a forum already: {twin}. To bring in its changes, import it over that "
            "forum (--id with its id, and --force); nothing was written"
        )
    changes = reimport.merge(draft, old, title is not None) if old is not None else None
    drafting.finish(draft)
    text = emit.render(draft, path.name)
    if old is not None and changes is not None:  # the organiser's file, with what the document changed
        text = roundtrip.write_over(old.text, text, draft, changes)
    text = reimport.stamp(text, sha)
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise DigestError(f"cannot write {shown}: {exc.strerror or exc}") from None
    read_as = {"docx": "Word", "pdf": "PDF"}.get(kind, "plain text")
    result = Result(path, read_as, draft, out, shown, changes, unchecked)
    if not unchecked:
        result.problems, result.elsewhere = check(settings, out, shown, forum_id, text)
    result.seconds = time.perf_counter() - start
    return result


def _taxonomy(settings: Settings) -> tuple[Tax | None, str]:
    from digest.content.load import load_taxonomy

    if not (settings.path("content") / "taxonomy.yaml").exists():
        return None, f"no {display_path(settings.path('content') / 'taxonomy.yaml', settings.root)}"
    try:
        return load_taxonomy(settings), ""
    except DigestError as exc:
        return None, f"the taxonomy has errors ({exc.message})"


def _ids_elsewhere(forums: Path, out: Path, forum_id: str) -> set[str]:
    """Ids other forum files use (items must be unique across forums)."""
    taken: set[str] = set()
    for other in sorted(forums.glob("*.yaml")) if forums.is_dir() else []:
        if other.stem == forum_id or (out.exists() and other.resolve() == out.resolve()):
            continue
        try:
            taken.update(_ID_LINE.findall(other.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return taken


def check(settings: Settings, out: Path, shown: str, forum_id: str, text: str) -> tuple[list[Problem], int]:
    """digest check's errors and warnings about the draft, as if it stood in content/forums/
    beside the other forums (replacing the one with its id), and how many errors it finds
    elsewhere."""
    from digest.content.checks import run_checks
    from digest.content.load import load_site

    content = settings.path("content")
    with tempfile.TemporaryDirectory(prefix="digest-import-") as tmp:
        staged = Path(tmp) / "content"
        (staged / "forums").mkdir(parents=True)
        for name in ("taxonomy.yaml", "contacts.yaml", "events.yaml"):
            if (content / name).is_file():
                shutil.copyfile(content / name, staged / name)
        for other in sorted((content / "forums").glob("*.yaml")) if (content / "forums").is_dir() else []:
            if other.stem != forum_id and other.resolve() != out.resolve():
                shutil.copyfile(other, staged / "forums" / other.name)
        mine = staged / "forums" / f"{forum_id}.yaml"
        mine.write_text(text, encoding="utf-8")
        paths = settings.paths.model_copy(update={"content": str(staged)})
        site = load_site(settings.model_copy(update={"paths": paths}))
        if forum_id in site.forums:  # digest check's warnings, for the draft's forum (they are per forum)
            draft_only = replace(site, forums={forum_id: site.forums[forum_id]}, problems=Problems())
            site.problems.extend(run_checks(draft_only).problems)
            if not site.problems.errors:  # as digest check: an edition is measured once the content is sound
                from digest.editions.budget import over_budget

                site.problems.extend(over_budget(draft_only))
        # the staged copies' paths, as problems name them, and the real ones
        names = [
            (display_path(mine, settings.root), shown),
            (display_path(staged, settings.root), display_path(content, settings.root)),
        ]
        ours, elsewhere = [], 0
        for p in site.problems.items:
            if p.file != names[0][0]:
                elsewhere += p.severity == "error"
                continue
            message, hint = p.message, p.hint
            for old, new in names:  # "id used twice (also at <staged>/forums/x.yaml:12)"
                message, hint = message.replace(old, new), hint.replace(old, new)
            ours.append(replace(p, file=shown, message=message, hint=hint))
    return sorted(ours, key=lambda p: (p.severity != "error", p.line, p.column)), elsewhere
