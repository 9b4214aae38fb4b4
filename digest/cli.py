"""The command line. Each command is a few lines: load settings, call the stage.

Heavy modules (pydantic, premailer, jinja2) are imported inside commands so that
`digest --help` starts at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from digest import __version__
from digest.errors import DigestError


class Ctx:
    def __init__(self, root: Path, config: Path | None, verbose: bool) -> None:
        self.root, self.config, self.verbose = root, config, verbose
        self._settings = None

    def settings(self, **overrides):  # noqa: ANN201
        from digest.settings import load_settings

        return load_settings(self.root, self.config, overrides)


pass_ctx = click.make_pass_decorator(Ctx)
AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the digest is written for (YYYY-MM-DD); past dates are dropped. Default: the day after the forum.",
)


def _date(value) -> date | None:  # noqa: ANN001
    return value.date() if value else None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="digest")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project folder holding digest.toml, content/ and templates.",
)
@click.option(
    "--config", type=click.Path(dir_okay=False, path_type=Path), help="Settings file (default ROOT/digest.toml)."
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, root: Path, config: Path | None, verbose: bool) -> None:
    """Turn forum Q&A and upcoming dates into short digests tailored to each reader."""
    ctx.obj = Ctx(root, config, verbose)


@cli.command()
@pass_ctx
def check(ctx: Ctx) -> None:
    """Check all content and settings; report every problem at once.

    Exits 0 when there are no errors (warnings allowed), 1 otherwise.
    """
    from digest.content.checks import run_checks
    from digest.content.load import load_site
    from digest.schedules.files import load_schedules

    settings = ctx.settings()
    site = run_checks(load_site(settings))
    schedules, problems = load_schedules(settings, site)
    site.problems.extend(problems)
    for problem in site.problems.errors + site.problems.warnings:
        click.echo(str(problem), err=True)
    errors, warnings = len(site.problems.errors), len(site.problems.warnings)
    items = sum(len(f.items) for f in site.forums.values())
    summary = (
        f"{len(site.forums)} forums, {items} items, {len(site.events)} events, {len(site.contacts)} contacts"
        + (f", {len(schedules)} schedules" if schedules or problems else "")
        + f": {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    if errors:
        raise click.ClickException(summary)
    click.echo(summary)


@cli.command()
@click.option("--forum", "forum_ids", multiple=True, help="Forum id to build (repeatable). Default: every forum.")
@AS_OF
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: build/).")
@pass_ctx
def build(ctx: Ctx, forum_ids: tuple[str, ...], as_of, out: Path | None) -> None:  # noqa: ANN001
    """Render every edition to OUT/<forum>/<edition>.html and .txt, with an index."""
    from digest.content.load import load_or_fail
    from digest.editions.build import build as run_build

    settings = ctx.settings()
    site = load_or_fail(settings)
    out = out or settings.path("build")
    for forum_id in forum_ids:
        site.forum(forum_id)  # unknown id: a clear error before any work
    builds = run_build(site, out, list(forum_ids) or None, _date(as_of))
    for b in builds:
        sizes = [r.html_bytes for r in b.rendered.values()]
        click.echo(
            f"{b.forum_id}: {len(b.editions)} editions as of {b.as_of}, HTML {min(sizes) / 1000:.1f} to "
            f"{max(sizes) / 1000:.1f} KB (limit {settings.render.max_html_bytes / 1000:.0f} KB)"
        )
    click.echo(f"Wrote {out / 'index.html'}")


# -- subscribers ---------------------------------------------------------------------------
_OPTION = {"email": "EMAIL", "district": "--district", "phases": "--phase", "setting": "--setting"}
PHASES = click.option(
    "--phase", "phases", multiple=True, help="A phase the school covers (repeat it, or write 'primary;secondary')."
)


@contextmanager
def _reader_errors() -> Iterator[None]:
    """A wrong value typed on the command line, named by its option."""
    from digest.readers.store import InvalidSubscriber

    try:
        yield
    except InvalidSubscriber as exc:
        raise DigestError(str(exc.at("", field=_OPTION.get(exc.field, "--" + exc.field)))) from None


def _open_store(ctx: Ctx):  # noqa: ANN202
    from digest.db import open_db

    settings = ctx.settings()
    return settings, open_db(settings)


def _find(conn, email: str):  # noqa: ANN001, ANN202
    from digest.readers import store as store

    with _reader_errors():
        reader = store.find(conn, email)
    if reader is None:
        raise DigestError(f"no reader has the address {email} (see `digest subscribers list`)")
    return reader


def _describe(reader) -> str:  # noqa: ANN001
    paused = ", paused" if reader.paused else ""
    return f"{reader.email} ({reader.status}{paused}): {reader.profile.describe()}"


@cli.group()
def subscribers() -> None:
    """Readers: add, import, export, list, change and erase them."""


@subscribers.command("add")
@click.argument("email")
@click.option("--district", required=True, help="The school's district, e.g. Swale.")
@PHASES
@click.option("--setting", required=True, help="The school's setting, e.g. mainstream.")
@click.option("--name", default="", help="The reader's name.")
@click.option("--school", default="", help="The reader's school.")
@click.option("--status", default="confirmed", show_default=True, help="pending, confirmed, unsubscribed or bounced.")
@pass_ctx
def subscribers_add(
    ctx: Ctx, email: str, district: str, phases: tuple[str, ...], setting: str, name: str, school: str, status: str
) -> None:
    """Add one reader who asked for the digest (recorded as consent given to an organiser)."""
    from digest.content.load import load_taxonomy
    from digest.readers import store as store

    settings, conn = _open_store(ctx)
    with _reader_errors():
        profile = store.parse_profile(load_taxonomy(settings), district, ";".join(phases), setting)
        reader = store.get(conn, store.add(conn, email, profile, name=name, school=school, status=status))
    click.echo(f"Added {_describe(reader)}")


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows and report the bad ones (default: import nothing if any row is bad).",
)
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Leave addresses already in the database as they are (default: they are errors).",
)
@pass_ctx
def subscribers_import(ctx: Ctx, file: Path, skip_invalid: bool, skip_existing: bool) -> None:
    """Import readers from a CSV file (email,name,school,district,phases,setting,status).

    Every row is checked first; each bad one is reported with its line. Rows without a
    status count as confirmed: they come from the organiser's existing list.
    """
    from digest.content.load import load_taxonomy
    from digest.readers.csv import import_csv

    settings, conn = _open_store(ctx)
    result = import_csv(
        conn, load_taxonomy(settings), file, str(file), skip_invalid=skip_invalid, skip_existing=skip_existing
    )
    for problem in result.problems:
        click.echo(str(problem), err=True)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.imported.items()))
    click.echo(
        f"Imported {result.total} reader{'s' * (result.total != 1)} from {file}" + (f" ({counts})" if counts else "")
    )
    if result.existing:
        click.echo(f"Left {result.existing} already subscribed as they were.")
    if result.problems:
        rows = len({p.line for p in result.problems})
        click.echo(f"Skipped {rows} bad row{'s' * (rows != 1)} (listed above).")


@subscribers.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: standard output)."
)
@click.option("--status", help="Only readers with this status.")
@pass_ctx
def subscribers_export(ctx: Ctx, out: Path | None, status: str | None) -> None:
    """Write every reader, with their status, as CSV that `import` reads back."""
    from digest.files import write_private
    from digest.readers.csv import export_csv

    _, conn = _open_store(ctx)
    if out is None:
        export_csv(conn, sys.stdout, status)
        return
    count = write_private(out, lambda fh: export_csv(conn, fh, status))
    click.echo(f"Exported {count} reader{'s' * (count != 1)} to {out}")


@subscribers.command("list")
@click.option("--status", help="Only readers with this status.")
@pass_ctx
def subscribers_list(ctx: Ctx, status: str | None) -> None:
    """Show every reader: id, address, status and profile."""
    from digest.readers import store as store

    _, conn = _open_store(ctx)
    count = 0
    for count, reader in enumerate(store.everyone(conn, status), 1):  # noqa: B007 - the count is used below
        p = reader.profile
        state = reader.status + (" (paused)" if reader.paused else "")
        click.echo(f"{reader.id:>6}  {reader.email:<40} {state:<21} {p.district} · {'; '.join(p.phases)} · {p.setting}")
    click.echo(f"{count} reader{'s' * (count != 1)}")


@subscribers.command("set")
@click.argument("email")
@click.option("--district", help="New district.")
@PHASES
@click.option("--setting", help="New setting.")
@click.option("--name", help="New name.")
@click.option("--school", help="New school.")
@click.option("--status", help="pending, confirmed, unsubscribed or bounced.")
@click.option("--pause/--resume", "paused", default=None, help="Stop sending digests for now, or start again.")
@pass_ctx
def subscribers_set(ctx: Ctx, email: str, district, phases, setting, name, school, status, paused) -> None:  # noqa: ANN001
    """Change one reader's details; options not given stay as they are."""
    from digest.content.load import load_taxonomy
    from digest.readers import store as store

    settings, conn = _open_store(ctx)
    reader = _find(conn, email)
    with _reader_errors():
        profile = None
        if district or phases or setting:
            p = reader.profile
            profile = store.parse_profile(
                load_taxonomy(settings), district or p.district, ";".join(phases or p.phases), setting or p.setting
            )
        store.update(conn, reader.id, profile=profile, name=name, school=school, status=status, paused=paused)
    click.echo(f"Updated {_describe(store.get(conn, reader.id))}")


@subscribers.command("remove")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask before erasing.")
@pass_ctx
def subscribers_remove(ctx: Ctx, email: str, yes: bool) -> None:
    """Erase a reader (right to erasure): delete their details, keep a hash so they are never mailed again."""
    from digest.readers import store as store

    _, conn = _open_store(ctx)
    with _reader_errors():
        address = store.normalise_email(email)
    if not yes:
        click.confirm(f"Erase everything about {address}? This cannot be undone", abort=True)
    if store.erase(conn, address):
        click.echo(
            f"Erased {address}: their details are deleted; a one-way hash of the address is kept so it is never mailed again."
        )
    else:
        click.echo(f"{address} was not a reader; a one-way hash of it is kept so it is never mailed.")


@cli.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1: this machine only; see docs/subscribers.md).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@pass_ctx
def serve(ctx: Ctx, host: str | None, port: int | None) -> None:
    """Serve the subscribe, confirm, preference and unsubscribe pages."""
    from digest.web.app import serve as run

    overrides = {key: value for key, value in (("web.host", host), ("web.port", port)) if value is not None}
    run(ctx.settings(**overrides))


@cli.command()
@click.option("--forum", "forum_id", help="Forum to open first (default: the most recent).")
@AS_OF
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anyone who can reach it can read the drafts and send test messages.",
)
@pass_ctx
def preview(ctx: Ctx, forum_id: str | None, as_of, port: int, host: str) -> None:  # noqa: ANN001
    """Serve every edition on a local web page that reloads when content or templates change.

    Shows the matrix of editions, each edition at desktop and phone widths with its text,
    MIME source, size and contents, the same findings as `digest check`, and a form that
    writes a test message to the outbox. Mistakes show on the page until they are fixed.
    """
    from digest.preview.app import serve
    from digest.preview.live import LiveSite

    settings_file = ctx.config.resolve() if ctx.config else None
    serve(LiveSite(ctx.settings, forum_id, _date(as_of), settings_file), host, port, click.echo)


@cli.command()
@click.option("--forum", "forum_id", required=True, help="Forum id to send.")
@AS_OF
@click.option("--dry-run", is_flag=True, help="List who would get which edition; send nothing, change nothing.")
@click.option(
    "--to", metavar="ADDRESS", help="Send a [TEST] copy of every edition to ADDRESS only; the ledger is not touched."
)
@click.option(
    "--edition", "edition_id", metavar="ID", help="With --to: only this edition (ids as `digest build` names them)."
)
@click.option(
    "--transport", type=click.Choice(["outbox", "smtp", "api"]), help="Override delivery.transport (DIGEST_TRANSPORT)."
)
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Also resend messages whose outcome is unknown (their readers may get two copies).",
)
@pass_ctx
def send(
    ctx: Ctx,
    forum_id: str,
    as_of,
    dry_run: bool,
    to: str | None,
    edition_id: str | None,
    transport: str | None,
    resend_unknown: bool,
) -> None:  # noqa: ANN001
    """Send each confirmed subscriber their edition of a forum's digest.

    Safe to run again: readers already sent are skipped, and after a crash the same
    command finishes the job. Exits 1 when any message failed, has an unknown outcome
    or is still waiting for a retry.
    """
    from digest.delivery import send as sending

    settings = ctx.settings(**({"delivery.transport": transport} if transport else {}))
    if edition_id and not to:
        raise click.UsageError("--edition goes with --to (a test copy of one edition)")
    if to:
        results = sending.send_test(settings, forum_id, to, as_of=_date(as_of), edition_id=edition_id, dry_run=dry_run)
        for eid, receipt in results:
            click.echo(f"[TEST] {eid} -> {to}: {receipt}")
        if any(r.startswith("FAILED") for _, r in results):
            sys.exit(1)
        return
    if dry_run:
        actions: dict[str, int] = {}
        for it in sending.dry_run(settings, forum_id, as_of=_date(as_of), resend_unknown=resend_unknown):
            click.echo(f"{it.email}\t{it.edition_id}\t{it.action}")
            actions[it.action] = actions.get(it.action, 0) + 1
        click.echo(
            "Dry run: " + (", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "no confirmed subscribers")
        )
        return
    bar = sending.ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = sending.send_edition(
            settings, forum_id, as_of=_date(as_of), resend_unknown=resend_unknown, progress=bar
        )
    finally:
        if bar:
            bar.finish()
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        sys.exit(1)


# -- schedules -----------------------------------------------------------------------------------
def _load_schedules(ctx: Ctx):  # noqa: ANN202
    from digest.content.load import load_site
    from digest.schedules.files import load_or_fail

    settings = ctx.settings()
    site = load_site(settings)
    return settings, site, load_or_fail(settings, site)


@cli.group(invoke_without_command=True)
@click.option(
    "--from",
    "after",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    help="List the fire times after this date or time (Europe/London). Default: now.",
)
@click.pass_context
def schedules(click_ctx: click.Context, after) -> None:  # noqa: ANN001
    """List each schedule in schedules/ and its next three fire times (Europe/London).

    `digest schedules run NAME` runs one now. See docs/scheduling.md.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from datetime import datetime

    from digest.fmt import LONDON
    from digest.schedules.files import listing

    _, site, found = _load_schedules(click_ctx.find_object(Ctx))
    start = after.replace(tzinfo=LONDON) if after else datetime.now(LONDON)
    for line in listing(found, site, start):
        click.echo(line)


@schedules.command("run")
@click.argument("name")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date to run it for (YYYY-MM-DD). Default: today."
)
@click.option("--dry-run", is_flag=True, help="List who would get which edition; send nothing, change nothing.")
@pass_ctx
def schedules_run(ctx: Ctx, name: str, as_of, dry_run: bool) -> None:  # noqa: ANN001
    """Run one schedule now, as its fire would (audience, subject, skip rules), even if paused.

    Running it again for the same date only finishes what the first run left.
    Exits 1 when any message failed or could not be sent.
    """
    from datetime import datetime

    from digest.fmt import LONDON
    from digest.schedules.files import find
    from digest.schedules.runs import run_now

    settings, _, found = _load_schedules(ctx)
    outcome = run_now(settings, find(found, name), _date(as_of) or datetime.now(LONDON).date(), dry_run=dry_run)
    for it in outcome.intended:
        click.echo(f"{it.email}\t{it.edition_id}\t{it.action}")
    for line in outcome.lines():
        click.echo(line)
    if not outcome.ok:
        sys.exit(1)


@cli.command()
@pass_ctx
def scheduler(ctx: Ctx) -> None:
    """Send each schedule at its time until stopped (SIGTERM); log to stderr.

    One scheduler runs at a time. Fires missed while it was stopped go out once at start
    if still within their grace; schedule files are reloaded when saved or on SIGHUP.
    See docs/scheduling.md for running it as a service.
    """
    from digest.schedules.service import Service, setup_logging

    setup_logging()
    Service(ctx.settings).run()


def main() -> None:
    verbose = "-v" in sys.argv or "--verbose" in sys.argv
    try:
        cli.main(prog_name="digest", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # an internal error, not the user's: say so plainly
        if verbose:
            raise
        click.echo(
            f"digest: internal error: {type(exc).__name__}: {exc} (run with --verbose for a traceback)", err=True
        )
        sys.exit(2)
