"""One error family for everything a user can get wrong.

Every mistake is a `Problem`: where it is (file, line, column), which field, what is
wrong and how to fix it, whether it is in content, settings, a CSV row, a schedule or a
command-line option. `Invalid` is the exception for one wrong value (a reader's
district, an address); whoever knows the file and line places its problem there. The CLI
prints them without a traceback (DigestError is a ClickException).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake: `file:line:column: field: message (hint)`.

    line and column are 1-based; 0 means not known (a CSV row has no column, a value typed
    on the command line no file), and that part is left out of the message."""

    file: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        where = ":".join([self.file] + [str(n) for n in (self.line, self.column) if n])
        parts = [f"{where}:"] if where else []
        if self.severity != ERROR:
            parts.append("warning:")
        if self.field:
            parts.append(f"{self.field}:")
        parts.append(self.message + (f" ({self.hint})" if self.hint else ""))
        return " ".join(parts)

    def at(self, file: str, line: int = 0, column: int = 0, field: str | None = None) -> Problem:
        """The same problem placed in a file (a CSV row, a settings line)."""
        return replace(self, file=file, line=line, column=column, field=self.field if field is None else field)


@dataclass
class Problems:
    """Collects every problem so that all of them are reported at once."""

    items: list[Problem] = field(default_factory=list)
    _seen: set[Problem] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._seen.update(self.items)

    def add(self, problem: Problem) -> None:
        if problem not in self._seen:  # a set: a file with thousands of mistakes is not quadratic
            self._seen.add(problem)
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


class Invalid(DigestError):
    """One value a person gave is wrong. str() is 'field: message (hint)'; `.problem` is
    the Problem, with no file or line until the caller that knows them uses `.at()`."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        self.problem = Problem("", 0, 0, field, message, hint)
        super().__init__(str(self.problem))

    @property
    def field(self) -> str:
        return self.problem.field

    @property
    def hint(self) -> str:
        return self.problem.hint

    @property
    def reason(self) -> str:
        """The message alone, without the field or the hint."""
        return self.problem.message

    def at(self, file: str, line: int = 0, column: int = 0, field: str | None = None) -> Problem:
        return self.problem.at(file, line, column, field)


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """A "did you mean ...?" hint, or "use one of ..." when nothing is close."""
    choices = sorted(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{lowered[close[0]]}'?"
    if 0 < len(choices) <= 16:  # none at all: no hint, so the caller's own one shows
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
