"""`digest send`: a forum's digest to every reader, a dry run, or a test copy."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from digest.cli.base import AS_OF, Ctx, as_date, pass_ctx


@click.command()
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
    as_of: datetime | None,
    dry_run: bool,
    to: str | None,
    edition_id: str | None,
    transport: str | None,
    resend_unknown: bool,
) -> None:
    """Send each confirmed subscriber their edition of a forum's digest.

    Safe to run again: readers already sent are skipped, and after a crash the same
    command finishes the job. Exits 1 when any message failed, has an unknown outcome
    or is still waiting for a retry.
    """
    from digest.delivery import send as sending
    from digest.delivery import trial

    settings = ctx.settings(**({"delivery.transport": transport} if transport else {}))
    if edition_id and not to:
        raise click.UsageError("--edition goes with --to (a test copy of one edition)")
    if to:
        results = trial.send_test(settings, forum_id, to, as_of=as_date(as_of), edition_id=edition_id, dry_run=dry_run)
        for eid, receipt in results:
            click.echo(f"[TEST] {eid} -> {to}: {receipt}")
        if any(r.startswith("FAILED") for _, r in results):
            sys.exit(1)
        return
    if dry_run:
        actions: dict[str, int] = {}
        for it in trial.dry_run(settings, forum_id, as_of=as_date(as_of), resend_unknown=resend_unknown):
            click.echo(f"{it.email}\t{it.edition_id}\t{it.action}")
            actions[it.action] = actions.get(it.action, 0) + 1
        click.echo(
            "Dry run: " + (", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "no confirmed subscribers")
        )
        if note := trial.dates_note(settings, forum_id, as_of=as_date(as_of)):
            click.echo(note)
        return
    bar = sending.ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = sending.send_edition(
            settings, forum_id, as_of=as_date(as_of), resend_unknown=resend_unknown, progress=bar
        )
    finally:
        if bar:
            bar.finish()
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        sys.exit(1)
