"""`digest bounces` (read the bounce mailbox) and `digest report` (what happened to each mailing)."""

from __future__ import annotations

from pathlib import Path

import click

from digest.cli.base import Ctx, pass_ctx


@click.command()
@click.option(
    "--maildir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read this Maildir folder (default: bounces.maildir, var/bounces, when bounces.source is maildir).",
)
@click.option(
    "--source",
    type=click.Choice(["maildir", "imap", "api"]),
    help="Where bounces come back: a Maildir, IMAP over TLS, or the Microsoft 365 mailbox (default: bounces.source).",
)
@pass_ctx
def bounces(ctx: Ctx, maildir: Path | None, source: str | None) -> None:
    """Read bounces and complaints, and stop sending to the readers they name.

    A hard bounce (5.x.x) suppresses the reader at once; soft bounces (4.x.x) suppress them
    after bounces.soft_limit days with one within bounces.soft_days; a complaint unsubscribes.
    Each is matched to the message it answers by its signed VERP address or the original's
    Message-ID, never by the address alone. Reading the same bounce again changes nothing.
    Messages it cannot read or match are left in the mailbox and listed; nothing is deleted.
    """
    from digest.delivery import bounces as reading

    settings = ctx.settings()
    outcome, name = reading.run(settings, source, maildir)
    for line in outcome.lines(name):
        click.echo(line)


@click.command()
@click.option("--forum", "forum_id", help="Only this forum (default: every forum whose digest has been sent).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML page here (default: var/report.html; it is for organisers, not the public site).",
)
@pass_ctx
def report(ctx: Ctx, forum_id: str | None, out: Path | None) -> None:
    """Write a delivery report for organisers, and print its figures.

    Per forum and per edition: readers, sent, failed, outcome unknown, bounced, suppressed,
    unsubscribed after this forum, and follow-ups sent, with charts of readers over time and
    by district. digest does not track opens or clicks, and the page says so.
    """
    from digest.delivery import report as reporting

    settings = ctx.settings()
    made = reporting.build(settings, forum_id)
    path = reporting.write(settings, made, out or settings.path("var") / "report.html")
    for line in made.lines():
        click.echo(line)
    click.echo(f"Wrote {path}")
