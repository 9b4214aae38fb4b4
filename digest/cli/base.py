"""What every command shares: the project context, and options used by several commands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from digest.settings import Settings


class Ctx:
    def __init__(self, root: Path, config: Path | None, verbose: bool) -> None:
        self.root, self.config, self.verbose = root, config, verbose

    def settings(self, **overrides: Any) -> Settings:
        from digest.settings import load_settings

        return load_settings(self.root, self.config, overrides)


pass_ctx = click.make_pass_decorator(Ctx)
AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the digest is written for (YYYY-MM-DD); past dates are dropped. Default: today.",
)


def as_date(value: datetime | None) -> date | None:
    return value.date() if value else None
