"""The command line. Each command is a few lines: load settings, call the stage.

This module is the `digest` group; the commands live beside it by stage (content,
readers, sending, schedules, servers).

Heavy modules (pydantic, premailer, jinja2) are imported inside commands so that
`digest --help` starts at once.
"""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path

import click

from digest import __version__
from digest.cli import bounces, content, readers, schedules, sending, servers
from digest.cli.base import Ctx
from digest.errors import DigestError


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
    # Every command has written and closed what it wrote before the process ends: the exit
    # need not search every object left for reference cycles first (30 to 50 ms a command).
    atexit.unregister(gc.freeze)  # once, however many commands a process runs (the tests run many)
    atexit.register(gc.freeze)


for command in (
    content.check,
    content.build,
    content.import_document,
    content.ready,
    readers.subscribers,
    sending.send,
    bounces.bounces,
    bounces.report,
    servers.serve,
    servers.preview,
    schedules.schedules,
    schedules.scheduler,
):
    cli.add_command(command)


def _users_problem(exc: Exception) -> DigestError | None:
    """A mistake of the user's that surfaced as an exception where it was met, such as a
    database file that is damaged only past its first pages."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        from digest.db import explain

        return explain(exc)
    return None


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
        user = _users_problem(exc)
        if user is not None:  # found deep inside a command: the user's all the same
            user.show()
            sys.exit(user.exit_code)
        if verbose:
            raise
        click.echo(
            f"digest: internal error: {type(exc).__name__}: {exc} (run with --verbose for a traceback)", err=True
        )
        sys.exit(2)
