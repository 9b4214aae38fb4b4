"""`digest send`: a forum's digest to every reader, a dry run, or a test copy."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

import click

from digest.cli.base import AS_OF, Ctx, as_date, pass_ctx

if TYPE_CHECKING:
    from digest.content.load import Site
    from digest.settings import Settings


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
    "--hold-unknown/--resend-unknown",
    "hold_unknown",
    default=None,
    help="Hold messages whose outcome is unknown (the server may have them) until you have read its log; "
    "--resend-unknown sends them again. Default: delivery.hold_unknown, which is off: they are sent again, "
    "with the same Message-ID (a reader may get two copies).",
)
@click.option(
    "--follow-up",
    is_flag=True,
    help="Send the answers readers were waiting for (or that have changed) instead of the digest.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Begin a new send of the forum's digest: every reader is sent it again, even those an earlier send "
    "reached. Without it, `digest send` carries on the forum's newest send, on any day.",
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
    hold_unknown: bool | None,
    follow_up: bool,
    again: bool,
) -> None:
    """Send each confirmed subscriber their edition of a forum's digest.

    A forum's send is the forum and a number, not the day: run the same command again, on
    any day, and it carries the send on (readers already sent are skipped; after a crash it
    finishes the job, sending again a message whose outcome is unknown unless held). --again
    begins the forum's next send, to everyone; --dry-run says which send a run would make.

    With --follow-up, send each reader the answers of the forum that were still to come
    when they were sent it and have come since (or have changed), once each.

    Exits 1 when any message failed, has an unknown outcome or is still waiting for a retry.
    """
    from digest.delivery import send as sending
    from digest.delivery import trial

    settings = ctx.settings(
        **({"delivery.transport": transport} if transport else {}),
        **({"delivery.hold_unknown": hold_unknown} if hold_unknown is not None else {}),
    )
    if edition_id and not to:
        raise click.UsageError("--edition goes with --to (a test copy of one edition)")
    if again and (follow_up or to):
        raise click.UsageError(
            "--again begins a new send of a forum's digest; it goes with neither --follow-up (each answer is sent "
            "once) nor --to (test copies are never recorded)"
        )
    if not to:  # a mistyped DIGEST_DB is an error, never "0 sent" (a test copy reads no readers)
        from digest.db import require_db

        require_db(settings)
    if follow_up and to:
        raise click.UsageError("--to sends test copies of a digest; see a follow-up with `digest preview` or --dry-run")
    site = _site(settings, forum_id, dry_run or bool(to))
    if follow_up:
        _follow_up(settings, forum_id, as_date(as_of), dry_run, site)
        return
    if to:
        results = trial.send_test(
            settings, forum_id, to, as_of=as_date(as_of), edition_id=edition_id, dry_run=dry_run, site=site
        )
        for eid, receipt in results:
            click.echo(f"[TEST] {eid} -> {to}: {receipt}")
        if any(r.startswith("FAILED") for _, r in results):
            sys.exit(1)
        return
    if dry_run:
        planned, lines, which = trial.dry_run_report(settings, forum_id, as_of=as_date(as_of), again=again, site=site)
        for line in which:
            click.echo(line)
        for it in planned:
            click.echo(f"{it.email}\t{it.edition_id}\t{it.action}")
        for line in lines[:-1]:
            click.echo(f"  {line}")
        click.echo(f"Dry run: {lines[-1] if planned else 'no confirmed subscribers'}")
        if note := trial.dates_note(settings, forum_id, as_of=as_date(as_of), site=site):
            click.echo(note)
        return
    bar = sending.ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = sending.send_edition(settings, forum_id, as_of=as_date(as_of), again=again, progress=bar, site=site)
    finally:
        if bar:
            bar.finish()
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        sys.exit(1)


def _site(settings: Settings, forum_id: str, trying: bool) -> Site:
    """The content a send uses: every forum that loads. A forum file that did not load is
    reported here, loudly, and only a send of that forum fails; a draft is refused by the
    send itself, and a dry run or a test copy of one says that a real send would be."""
    from digest.content import todo
    from digest.content.usable import aside_lines, load_usable

    site = load_usable(settings)
    for line in aside_lines(site, but=forum_id):
        click.echo(line, err=True)
    forum = site.forum(forum_id)
    if trying and todo.is_draft(forum):
        left = todo.of_forum(site, forum_id)
        for item in left:
            click.echo(str(item), err=True)
        click.echo(
            f"forum '{forum_id}' is a draft ({todo.counted(left)}): a real send is refused until "
            f"`digest ready {forum_id}`",
            err=True,
        )
    return site


def _follow_up(settings: Settings, forum_id: str, as_of: date | None, dry_run: bool, site: Site) -> None:
    """`digest send --follow-up`: who is due which answers (a dry run), or send them."""
    from digest import fmt
    from digest.delivery import followup
    from digest.delivery import send as sending

    if dry_run:
        plan, found = followup.dry_run(settings, forum_id, as_of=as_of, site=site)
        answers = {p.edition.id: ",".join(i.id for i in p.edition.items) for p in plan.prepared}
        actions: dict[str, int] = {}
        for it in found:
            click.echo(f"{it.email}\t{it.edition_id}\t{it.action}\t{answers.get(it.edition_id, '')}")
            actions[it.action] = actions.get(it.action, 0) + 1
        if not found:
            click.echo(f"Dry run: {nobody(plan.forum.id)}")
            return
        shown = ", ".join(f"{n} {a}" for a, n in sorted(actions.items()))
        click.echo(f"Dry run: {fmt.plural(len(found), 'reader')} in all are due a follow-up ({shown}):")
        for line in followup.describe(plan):
            click.echo(line)
        return
    bar = sending.ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        plan, summary = followup.send_follow_up(settings, forum_id, as_of=as_of, progress=bar, site=site)
    finally:
        if bar:
            bar.finish()
    if summary is None:
        click.echo(nobody(plan.forum.id))
        return
    for line in summary.lines() + followup.describe(plan):
        click.echo(line)
    if not summary.ok:
        sys.exit(1)


def nobody(forum_id: str) -> str:
    return (
        f"nobody is due a follow-up of {forum_id}: no reader was sent an answer of it that has come or changed "
        "since (answer an item in its YAML file first: docs/follow-ups.md)"
    )
