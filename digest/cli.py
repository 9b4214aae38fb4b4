"""The command line. Each command is a few lines: load settings, call the stage.

Heavy modules (pydantic, premailer, jinja2) are imported inside commands so that
`digest --help` starts at once.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from digest import __version__


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
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Settings file (default ROOT/digest.toml).")
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
    from digest.checks import run_checks
    from digest.content import load_site

    site = run_checks(load_site(ctx.settings()))
    for problem in site.problems.errors + site.problems.warnings:
        click.echo(str(problem), err=True)
    errors, warnings = len(site.problems.errors), len(site.problems.warnings)
    items = sum(len(f.items) for f in site.forums.values())
    summary = (
        f"{len(site.forums)} forums, {items} items, {len(site.events)} events, {len(site.contacts)} contacts: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
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
    from digest.build import build as run_build
    from digest.content import load_or_fail

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


@cli.command()
@click.option("--forum", "forum_id", required=True, help="Forum id to send.")
@AS_OF
@click.option("--dry-run", is_flag=True, help="List who would get which edition; send nothing, change nothing.")
@click.option("--to", metavar="ADDRESS", help="Send a [TEST] copy of every edition to ADDRESS only; the ledger is not touched.")
@click.option("--edition", "edition_id", metavar="ID", help="With --to: only this edition (ids as `digest build` names them).")
@click.option("--transport", type=click.Choice(["outbox", "smtp", "api"]), help="Override delivery.transport (DIGEST_TRANSPORT).")
@click.option("--resend-unknown", is_flag=True, help="Also resend messages whose outcome is unknown (their readers may get two copies).")
@pass_ctx
def send(ctx: Ctx, forum_id: str, as_of, dry_run: bool, to: str | None, edition_id: str | None, transport: str | None, resend_unknown: bool) -> None:  # noqa: ANN001
    """Send each confirmed subscriber their edition of a forum's digest.

    Safe to run again: readers already sent are skipped, and after a crash the same
    command finishes the job. Exits 1 when any message failed, has an unknown outcome
    or is still waiting for a retry.
    """
    from digest import send as sending

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
        click.echo("Dry run: " + (", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "no confirmed subscribers"))
        return
    bar = sending.ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = sending.send_edition(settings, forum_id, as_of=_date(as_of), resend_unknown=resend_unknown, progress=bar)
    finally:
        if bar:
            bar.finish()
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        sys.exit(1)


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
        click.echo(f"digest: internal error: {type(exc).__name__}: {exc} (run with --verbose for a traceback)", err=True)
        sys.exit(2)
