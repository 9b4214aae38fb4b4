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
@click.option("--forum", "forum_id", help="Forum to open first (default: the most recent).")
@AS_OF
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free port).")
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
    from digest.livereload import LiveSite
    from digest.preview import serve

    settings_file = ctx.config.resolve() if ctx.config else None
    serve(LiveSite(ctx.settings, forum_id, _date(as_of), settings_file), host, port, click.echo)


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
