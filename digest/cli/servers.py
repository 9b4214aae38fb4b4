"""The web servers: the readers' pages (`digest serve`) and the organisers' preview."""

from __future__ import annotations

from datetime import datetime

import click

from digest.cli.base import AS_OF, Ctx, as_date, pass_ctx

PREVIEW_PORT = 8001  # not digest serve's 8000 (web.port): `make serve` and `make preview` run side by side


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1: this machine only; see docs/subscribers.md).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default 8000; 0: any free port).")
@pass_ctx
def serve(ctx: Ctx, host: str | None, port: int | None) -> None:
    """Serve the subscribe, confirm, preference and unsubscribe pages, and the built site.

    While site.base_url (DIGEST_BASE_URL) is not set, the links it mails lead back to this
    server's own address. It makes the database if there is none yet (readers subscribe here).
    """
    from digest.web.app import serve as run

    overrides = {key: value for key, value in (("web.host", host), ("web.port", port)) if value is not None}
    run(ctx.settings(**overrides), click.echo)


@click.command()
@click.option("--forum", "forum_id", help="Forum to open first (default: the most recent).")
@AS_OF
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=PREVIEW_PORT,
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
def preview(ctx: Ctx, forum_id: str | None, as_of: datetime | None, port: int, host: str) -> None:
    """Serve every edition on a local web page that reloads when content or templates change.

    Shows the matrix of editions, each edition at desktop and phone widths with its text,
    MIME source, size and contents, the same findings as `digest check`, and a form that
    writes a test message to the outbox. Mistakes show on the page until they are fixed.

    Each forum's curation page (/f/FORUM/curate) edits its file: headlines, summaries,
    audiences, statuses, and "Mark ready". Saving needs the address with the token that
    the preview prints when it starts.
    """
    from digest.preview.app import serve
    from digest.preview.live import LiveSite
    from digest.web.listen import with_base_url

    settings_file = ctx.config.resolve() if ctx.config else None

    def make(url: str) -> LiveSite:
        return LiveSite(lambda: with_base_url(ctx.settings(), url), forum_id, as_date(as_of), settings_file)

    serve(make, host, port, click.echo)
