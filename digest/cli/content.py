"""Content commands: import a Q&A document, check the content, build it."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli.base import AS_OF, Ctx, as_date, pass_ctx
from digest.fmt import plural

if TYPE_CHECKING:
    from digest.content.load import Site
    from digest.editions.checked import Report as CheckReport
    from digest.editions.manifest import Manifest
    from digest.settings import Settings


@click.command()
@pass_ctx
def check(ctx: Ctx) -> None:
    """Check all content and settings; report every problem at once.

    Exits 0 when there are no errors (warnings allowed), 1 otherwise. When nothing it reads
    changed since the last check, repeats that check's report (editions/checked.py).
    """
    from digest.editions.checked import Checked
    from digest.editions.manifest import today_in_london

    settings = ctx.settings()
    day = today_in_london()
    kept = Checked(settings, day)
    report = kept.read()
    if report is None:
        report = check_all(settings, day)
        if Checked(settings, day).key == kept.key:  # nothing it read changed while it checked
            kept.save(report)
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.failed:
        raise click.ClickException(report.summary)
    click.echo(report.summary)


def check_all(settings: Settings, day: date) -> CheckReport:
    """Every problem of the content, the word budget and the schedules, as `digest check` prints them."""
    from digest.content.checks import run_checks
    from digest.content.load import load_site
    from digest.editions.checked import Report
    from digest.schedules.files import load_schedules

    site = run_checks(load_site(settings))
    if not site.problems.errors:  # an edition is only measured once the content is sound
        from digest.editions.budget import over_budget
        from digest.editions.kept import Kept
        from digest.editions.manifest import stamp

        common = partial(stamp, settings, "editions", forums=False)
        kept = Kept(settings.path("var"), common(), common)
        site.problems.extend(over_budget(site, day, kept=kept))
        kept.save()
    schedules, problems = load_schedules(settings, site)
    site.problems.extend(problems)
    site.problems.extend(site.dependent_notes())  # after a broken forum file's own errors, one line each
    errors, warnings = len(site.problems.errors), len(site.problems.warnings)
    items = sum(len(f.items) for f in site.forums.values())
    summary = (
        f"{plural(len(site.forums), 'forum')}, {plural(items, 'item')}, {plural(len(site.events), 'event')}, "
        f"{plural(len(site.contacts), 'contact')}"
        + (f", {plural(len(schedules), 'schedule')}" if schedules or problems or site.dependents else "")
        + f": {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    )
    return Report([str(p) for p in site.problems.errors + site.problems.warnings], summary, bool(errors))


@click.command()
@click.option("--forum", "forum_ids", multiple=True, help="Forum id to build (repeatable). Default: every forum.")
@AS_OF
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: build/).")
@pass_ctx
def build(ctx: Ctx, forum_ids: tuple[str, ...], as_of: datetime | None, out: Path | None) -> None:
    """Render every edition to OUT/<forum>/<edition>.html and .txt, with an index.

    Does only what changed since the last build into OUT (editions/manifest.py): when
    nothing did, writes nothing and says so.
    """
    from digest.editions.manifest import Manifest, stamp, today_in_london

    settings = ctx.settings()
    out = out or settings.path("build")
    day = as_date(as_of) or today_in_london()
    inputs = stamp(settings, "build", day, sorted(forum_ids), str(out.resolve()))
    last = Manifest.read(out)
    if last is not None and last.inputs == inputs and last.intact(out):
        for line in last.lines[:-1]:  # the last is "Wrote ..."
            click.echo(UNCHANGED.sub(", unchanged", line) if line.startswith("Search index:") else line)
        click.echo(f"Nothing changed since the last build: {out} is up to date, no file written")
        return
    content = stamp(settings, "index", templates=False)  # what the search index is made of
    said = build_site(settings, out, forum_ids, day, last, content)
    if stamp(settings, "build", day, sorted(forum_ids), str(out.resolve())) == inputs:  # nothing changed meanwhile
        Manifest(inputs, content, said.outputs, list(said)).save(out)  # last: a build cut short leaves none


UNCHANGED = re.compile(r", [\d.]+ s$")


class Report(list[str]):
    """What a build printed (each line echoed as it is added) and the files it wrote."""

    outputs: dict[str, str]

    def say(self, line: str) -> None:
        click.echo(line)
        self.append(line)


def build_site(
    settings: Settings, out: Path, forum_ids: tuple[str, ...], day: date, last: Manifest | None, content: str
) -> Report:
    """Build the site (only what changed since `last`), printing the report as it goes."""
    from digest import fmt
    from digest.content.load import load_or_fail
    from digest.editions.build import build as run_build
    from digest.editions.kept import Kept
    from digest.editions.manifest import stamp

    site = load_or_fail(settings)
    for forum_id in forum_ids:
        site.forum(forum_id)  # unknown id: a clear error before any work
    said = Report()
    for line in unpublished(site, forum_ids):
        said.say(line)
    common = partial(stamp, settings, "editions", forums=False)
    kept = Kept(settings.path("var"), common(), common)
    builds = run_build(site, out, list(forum_ids) or None, day, kept, last, content)
    budget = settings.render.words_budget
    for b in builds:
        sizes = [r.html_bytes for r in b.rendered.values()]
        lengths = [r.length for r in b.rendered.values()]
        words = sorted(n.words for n in lengths)
        screens = sorted(n.screens for n in lengths)
        said.say(
            f"{b.forum_id}: {fmt.plural(len(b.editions), 'edition')} as of {b.as_of}, {words[0]:,} to {words[-1]:,} words "
            f"(budget {budget:,}; {fmt.plural(max(n.minutes for n in lengths), 'minute')} to read at most, "
            f"{screens[0]:.1f} to {screens[-1]:.1f} phone screens), HTML {min(sizes) / 1000:.1f} to "
            f"{max(sizes) / 1000:.1f} KB (limit {settings.render.max_html_bytes / 1000:.0f} KB)"
        )
    index = builds.index
    took = "unchanged" if index.seconds is None else f"{index.seconds:.2f} s"
    said.say(
        f"Search index: {fmt.plural(index.records, 'answer')}, {index.bytes / 1000:,.0f} KB in {out / 'search'}, {took}"
    )
    said.say(f"Wrote {out / 'index.html'} (the archive; {out / 'editions.html'} for every edition)")
    said.outputs = builds.outputs.hashes
    return said


def unpublished(site: Site, forum_ids: tuple[str, ...]) -> list[str]:
    """Take the drafts out of the site `digest build` publishes; a line about each."""
    from digest.content import todo
    from digest.errors import DigestError

    drafts = [fid for fid, forum in site.forums.items() if todo.is_draft(forum)]
    for fid in drafts:
        if fid in forum_ids:
            raise DigestError(
                f"forum '{fid}' is a draft: it is not published (`digest preview --forum {fid}` shows it; "
                f"`digest ready {fid}` when it is done)"
            )
        del site.forums[fid]
    if drafts and not site.forums:
        raise DigestError("every forum is a draft: nothing to publish (`digest ready FORUM` marks one ready)")
    return [f"{fid}: a draft, left out of the archive (`digest ready {fid}` publishes it)" for fid in drafts]


@click.command()
@click.argument("forum_id", metavar="FORUM")
@click.option("--force", is_flag=True, help="Mark it ready though notes are left (never while it has errors).")
@pass_ctx
def ready(ctx: Ctx, forum_id: str, force: bool) -> None:
    """Mark an imported FORUM ready: it can then be sent and is published in the archive.

    Sets `status: ready` in its file, changing nothing else. Refused while the file has
    errors, and while notes are left to deal with (headlines cut, suggestions to confirm,
    placeholders, flagged contacts: `digest check` lists them) unless --force.
    """
    from digest.content import todo
    from digest.content.load import load_site

    left = todo.mark_ready(load_site(ctx.settings()), forum_id, force)
    for item in left:
        click.echo(f"left as it is: {item}", err=True)
    click.echo(f"{forum_id} is ready: `digest send --forum {forum_id}` sends it, `digest build` publishes it")


@click.command("import")
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "forum_id", help="Forum id (default: from the first date and the title, or --out's file name).")
@click.option("--title", help="Forum title (default: the document's own, without its dates).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: content/forums/ID.yaml)."
)
@click.option("--force", is_flag=True, help="Import over an existing file, keeping the edits made in it.")
@pass_ctx
def import_document(
    ctx: Ctx, document: Path, forum_id: str | None, title: str | None, out: Path | None, force: bool
) -> None:
    """Turn a published Q&A DOCUMENT (.docx, or .txt/.md) into a draft forum file.

    Prints what to check by hand (pending answers, merged duplicates, audience
    suggestions, personal data removed, placeholder links), then what `digest check`
    says of the draft. Exits 1 when the draft has errors.
    """
    from digest.importer.report import report
    from digest.importer.run import import_document as run_import
    from digest.importer.source import Reading

    reading = Reading(document)  # a Word document's child process reads it while the settings load
    try:
        result = run_import(ctx.settings(), document, forum_id, title, out, force, reading)
    finally:
        reading.stop()
    click.echo(report(result))
    if result.errors:
        raise click.ClickException(f"the draft has {len(result.errors)} error(s): fix them, then run digest check")
