"""One error family for everything a user can get wrong.

Every problem names where it is (file, line, column), which field, what is wrong and how
to fix it. The CLI prints them without a traceback (DigestError is a ClickException).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import click

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field_path = f" {self.path}:" if self.path else ""
        label = "" if self.severity == ERROR else " warning:"
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{label}{field_path} {self.message}{hint}"


@dataclass
class Problems:
    """Collects every problem so that all of them are reported at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if problem not in self.items:
            self.items.append(problem)

    def extend(self, problems: list[Problem] | Problems) -> None:
        for p in problems.items if isinstance(problems, Problems) else problems:
            self.add(p)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == ERROR)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == WARNING)


class DigestError(click.ClickException):
    """A mistake the user can fix; printed as a message, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def format_message(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(self.message)
        return "\n".join(lines)


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """A "did you mean ...?" hint, or "use one of ..." when nothing is close."""
    choices = sorted(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{lowered[close[0]]}'?"
    if len(choices) <= 16:
        return "use one of: " + ", ".join(choices)
    return ""


def display_path(path: Path | str, root: Path | None = None) -> str:
    """A path as the user would type it: relative to the project root when inside it."""
    p = Path(path)
    if root is not None:
        try:
            return str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(p)
