"""The command line as a whole: every command has help, errors are never tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from digest.cli.main import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(cli)), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {' '.join(path)}")
    command = cli
    for part in path:
        command = command.commands[part]
    assert command.help and len(command.help.strip()) > 20


def test_missing_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digest", "--root", str(tmp_path), "check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == "Error: content folder content does not exist (set paths.content in digest.toml)\n"


def test_help_does_not_import_heavy_modules() -> None:
    code = "import sys; from digest.cli.main import cli; print(','.join(m for m in ('premailer','pydantic','jinja2','yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
