"""Schedules: list them, run one by hand, and the long-running scheduler."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from digest.cli.base import Ctx, as_date, pass_ctx

if TYPE_CHECKING:
    from digest.content.load import Site
    from digest.schedules.files import Schedule
    from digest.settings import Settings


# -- schedules -----------------------------------------------------------------------------------
HOLD_UNKNOWN = click.option(
    "--hold-unknown/--resend-unknown",
    "hold_unknown",
    default=None,
    help="Hold messages whose outcome is unknown until you have read the mail server's log, instead of "
    "sending them again (with the same Message-ID). Default: delivery.hold_unknown, which is off.",
)


def _overrides(hold_unknown: bool | None) -> dict[str, bool]:
    return {"delivery.hold_unknown": hold_unknown} if hold_unknown is not None else {}


def _load_schedules(ctx: Ctx, hold_unknown: bool | None = None) -> tuple[Settings, Site, list[Schedule]]:
    from digest.content.load import load_site
    from digest.schedules.files import load_or_fail

    settings = ctx.settings(**_overrides(hold_unknown))
    site = load_site(settings)
    return settings, site, load_or_fail(settings, site)


@click.group(invoke_without_command=True)
@click.option(
    "--from",
    "after",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    help="List the fire times after this date or time (Europe/London). Default: now.",
)
@click.pass_context
def schedules(click_ctx: click.Context, after: datetime | None) -> None:
    """List each schedule in schedules/ and its next three fire times (Europe/London).

    `digest schedules run NAME` runs one now. See docs/scheduling.md.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from digest.fmt import LONDON
    from digest.schedules.files import listing

    settings, site, found = _load_schedules(click_ctx.find_object(Ctx))
    start = after.replace(tzinfo=LONDON) if after else datetime.now(LONDON)
    for line in listing(found, site, start, readers=_reader_counts(settings)):
        click.echo(line)


def _reader_counts(settings: Settings) -> dict:
    """Readers per profile now; none while there is no database yet (listing makes none)."""
    from digest.db import open_db
    from digest.readers.store import receiving_counts

    if not settings.path("db").exists():
        return {}
    conn = open_db(settings)
    try:
        return receiving_counts(conn)
    finally:
        conn.close()


@schedules.command("run")
@click.argument("name")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date to run it for (YYYY-MM-DD). Default: today."
)
@click.option("--dry-run", is_flag=True, help="List who would get which edition; send nothing, change nothing.")
@HOLD_UNKNOWN
@pass_ctx
def schedules_run(ctx: Ctx, name: str, as_of: datetime | None, dry_run: bool, hold_unknown: bool | None) -> None:
    """Run one schedule now, as its fire would (audience, subject, skip rules), even if paused.

    Running it again for the same date only finishes what the first run left.
    Exits 1 when any message failed or could not be sent.
    """
    from digest.db import require_db
    from digest.fmt import LONDON
    from digest.schedules.files import find
    from digest.schedules.runs import run_now

    settings, _, found = _load_schedules(ctx, hold_unknown)
    schedule = find(found, name)
    require_db(settings)  # a mistyped DIGEST_DB is an error, not "nothing for anyone"
    outcome = run_now(settings, schedule, as_date(as_of) or datetime.now(LONDON).date(), dry_run=dry_run)
    for line in outcome.aside:  # another forum's file did not load: said loudly, and this one still runs
        click.echo(line, err=True)
    for it in outcome.intended:
        click.echo(f"{it.email}\t{it.edition_id}\t{it.action}")
    for line in outcome.lines():
        click.echo(line)
    if not outcome.ok:
        sys.exit(1)


@click.command()
@HOLD_UNKNOWN
@pass_ctx
def scheduler(ctx: Ctx, hold_unknown: bool | None) -> None:
    """Send each schedule at its time until stopped (SIGTERM); log to stderr.

    One scheduler runs at a time. Fires missed while it was stopped go out once at start
    if still within their grace; schedule files are reloaded when saved or on SIGHUP. A
    message whose outcome is unknown is sent again when the fire is tried again, unless
    held.
    See docs/scheduling.md for running it as a service.
    """
    from digest.schedules.service import Service, setup_logging

    setup_logging()
    Service(lambda: ctx.settings(**_overrides(hold_unknown))).run()
