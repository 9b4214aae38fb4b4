"""`digest subscribers`: add, import, export, list, change and erase readers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli.base import Ctx, pass_ctx
from digest.errors import DigestError
from digest.fmt import plural

if TYPE_CHECKING:
    import sqlite3

    from digest.readers.store import Subscriber
    from digest.settings import Settings

# -- subscribers ---------------------------------------------------------------------------
_OPTION = {"email": "EMAIL", "district": "--district", "phases": "--phase", "setting": "--settings"}
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


def _check_status(status: str | None) -> None:
    """A --status to filter by is one of the four, before anything is read or written."""
    from digest.readers import store as store

    if status is not None:
        with _reader_errors():
            store.check_status(status)


def _open_store(ctx: Ctx, create: bool = False) -> tuple[Settings, sqlite3.Connection]:
    """The settings and the database; only `add` and `import` make one that does not exist."""
    from digest.db import open_db, require_db

    settings = ctx.settings()
    if not create:
        require_db(settings)
    return settings, open_db(settings)


def _find(conn: sqlite3.Connection, email: str) -> Subscriber:
    from digest.readers import store as store

    with _reader_errors():
        reader = store.find(conn, email)
    if reader is None:
        raise DigestError(f"no reader has the address {email} (see `digest subscribers list`)")
    return reader


def _describe(reader: Subscriber) -> str:
    paused = ", paused" if reader.paused else ""
    return f"{reader.email} ({reader.status}{paused}): {reader.profile.describe()}"


@click.group()
def subscribers() -> None:
    """Readers: add, import, export, list, change and erase them."""


@subscribers.command("add")
@click.argument("email")
@click.option("--district", required=True, help="The school's district, e.g. Swale.")
@PHASES
@click.option(
    "--settings",
    "--setting",
    "setting",
    required=True,
    help="What kind of school it is, e.g. mainstream; more than one with ';': independent;special.",
)
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

    settings, conn = _open_store(ctx, create=True)
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

    settings, conn = _open_store(ctx, create=True)
    result = import_csv(
        conn, load_taxonomy(settings), file, str(file), skip_invalid=skip_invalid, skip_existing=skip_existing
    )
    for problem in result.problems:
        click.echo(str(problem), err=True)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.imported.items()))
    click.echo(f"Imported {plural(result.total, 'reader')} from {file}" + (f" ({counts})" if counts else ""))
    if result.existing:
        click.echo(f"Left {result.existing} already subscribed as they were.")
    if result.problems:
        rows = len({p.line for p in result.problems})
        click.echo(f"Skipped {plural(rows, 'bad row')} (listed above).")


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

    _check_status(status)
    _, conn = _open_store(ctx)
    if out is None:
        export_csv(conn, sys.stdout, status)
        return
    count = write_private(out, lambda fh: export_csv(conn, fh, status))
    click.echo(f"Exported {plural(count, 'reader')} to {out}")


@subscribers.command("list")
@click.option("--status", help="Only readers with this status.")
@pass_ctx
def subscribers_list(ctx: Ctx, status: str | None) -> None:
    """Show every reader: id, address, status and profile, and why and since when a bounce or a
    complaint suppressed them."""
    from digest.readers import store as store
    from digest.readers import suppressions

    _check_status(status)
    _, conn = _open_store(ctx)
    count = 0
    why = suppressions.every_why(conn)
    for count, reader in enumerate(store.everyone(conn, status), 1):  # noqa: B007 - the count is used below
        p = reader.profile
        state = reader.status + (" (paused)" if reader.paused else "")
        w = why.get(reader.id)
        suppressed = f"  (suppressed: {w.reason}, {w.detail or 'no detail'}, since {w.since[:10]})" if w else ""
        click.echo(
            f"{reader.id:>6}  {reader.email:<40} {state:<21} {p.district} · {'; '.join(p.phases)} · "
            f"{'; '.join(p.settings)}{suppressed}"
        )
    click.echo(plural(count, "reader"))


@subscribers.command("set")
@click.argument("email")
@click.option("--district", help="New district.")
@PHASES
@click.option("--settings", "--setting", "setting", help="New settings, e.g. special, or independent;special.")
@click.option("--name", help="New name.")
@click.option("--school", help="New school.")
@click.option("--status", help="pending, confirmed, unsubscribed or bounced.")
@click.option("--pause/--resume", "paused", default=None, help="Stop sending digests for now, or start again.")
@pass_ctx
def subscribers_set(
    ctx: Ctx,
    email: str,
    district: str | None,
    phases: tuple[str, ...],
    setting: str | None,
    name: str | None,
    school: str | None,
    status: str | None,
    paused: bool | None,
) -> None:
    """Change one reader's details; options not given stay as they are. A reader suppressed by a
    bounce or a complaint cannot be set confirmed: only their own confirmation lifts it."""
    from digest.content.load import load_taxonomy
    from digest.readers import store as store
    from digest.readers import suppressions

    settings, conn = _open_store(ctx)
    reader = _find(conn, email)
    with _reader_errors():
        profile = None
        if district or phases or setting:
            p = reader.profile
            profile = store.parse_profile(
                load_taxonomy(settings),
                district or p.district,
                ";".join(phases or p.phases),
                setting or ";".join(p.settings),
            )
        if status == "confirmed" and (why := suppressions.why(conn, reader.id)) is not None:
            raise store.InvalidSubscriber(
                "status",
                f"{reader.email} is suppressed since {why.since[:10]}: {why.reason} ({why.detail or 'no detail'})",
                "only the reader can lift that: they subscribe again on the web page and follow the confirmation "
                "link, which shows the address works (docs/bounces.md)",
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
