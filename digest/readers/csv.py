"""Readers to and from CSV: an organiser's existing list in, everyone (with status) out.

The format (docs/subscribers.md) is one header line and one reader a line:

    email,name,school,district,phases,setting,status,paused

email, district, phases and setting are required; phases are separated by ';'; status
defaults to confirmed (an organiser's list is people who already asked for the forum's
mail); paused is yes or no. Names are matched without regard to case and a UTF-8 BOM
(as Excel writes) is accepted. Every row is checked before anything is written, and each
bad one is reported as `FILE:LINE: field: message (hint)` (a Problem with no column).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from digest.content.audience import Profile, Tax
from digest.db import transaction
from digest.errors import DigestError, Problem, suggest
from digest.readers import store as store
from digest.readers import suppressions

COLUMNS = ("email", "name", "school", "district", "phases", "setting", "status", "paused")
# export adds why a reader is suppressed and since when (a bounce or a complaint, digest.readers.suppressions);
# import reads them back as what they are, a record, and ignores them: only confirming again lifts a suppression
EXPORTED = (*COLUMNS, "suppressed", "suppressed_since")
REQUIRED = ("email", "district", "phases", "setting")
MAX_BYTES = 50 * 1024 * 1024
YES, NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n", "")
# A cell starting with one of these is a formula to a spreadsheet ("CSV injection"):
# export quotes it with a leading apostrophe, import takes that apostrophe off again.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    name: str
    school: str
    profile: Profile
    status: str
    paused: bool


@dataclass
class ImportResult:
    imported: Counter = field(default_factory=Counter)  # status -> readers added
    existing: int = 0  # already subscribed, left as they were (--skip-existing)
    problems: list[Problem] = field(default_factory=list)  # bad rows not imported (--skip-invalid)

    @property
    def total(self) -> int:
        return sum(self.imported.values())


def _unquote(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA else value


def _quote(value: str) -> str:
    return "'" + value if value[:1] in _FORMULA else value


def _text(path: Path, shown: str) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DigestError(f"{shown} is larger than {MAX_BYTES // 1024 // 1024} MB; split it into smaller files")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DigestError(f"{shown} does not exist") from None
    except IsADirectoryError:
        raise DigestError(f"{shown} is a folder; name a .csv file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DigestError(
            f"{shown}:{line}: not UTF-8 text (in Excel use Save As > 'CSV UTF-8 (Comma delimited)')"
        ) from None
    except OSError as exc:
        raise DigestError(f"cannot read {shown}: {exc.strerror}") from None


def _header(cells: list[str], shown: str) -> list[str]:
    names = [c.strip().lower() for c in cells]
    problems = []
    for name in names:
        if name not in EXPORTED:
            problems.append(Problem(shown, 1, 0, "header", f"unknown column '{name}'", suggest(name, EXPORTED)))
    for name, count in Counter(names).items():
        if count > 1 and name in EXPORTED:
            problems.append(Problem(shown, 1, 0, "header", f"column '{name}' appears {count} times", "keep one"))
    for name in REQUIRED:
        if name not in names:
            problems.append(
                Problem(
                    shown,
                    1,
                    0,
                    "header",
                    f"missing column '{name}'",
                    f"the first line should be {','.join(COLUMNS[:7])}",
                )
            )
    if problems:
        raise DigestError("\n".join(map(str, problems)) + f"\n{shown}: the header is wrong; nothing imported")
    return names


def _row(tax: Tax, values: dict[str, str], line: int, shown: str) -> tuple[Row | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(exc: store.InvalidSubscriber) -> None:
        problems.append(exc.at(shown, line))

    email = name = school = ""
    profile = None
    try:
        email = store.normalise_email(_unquote(values.get("email", "")))
    except store.InvalidSubscriber as exc:
        bad(exc)
    for column in ("name", "school"):
        try:
            cleaned = store.clean_text(column, _unquote(values.get(column, "")))
            name, school = (cleaned, school) if column == "name" else (name, cleaned)
        except store.InvalidSubscriber as exc:
            bad(exc)
    try:
        profile = store.parse_profile(
            tax, values.get("district", ""), values.get("phases", ""), values.get("setting", "")
        )
    except store.InvalidSubscriber as exc:
        bad(exc)
    status = values.get("status", "").strip().lower() or "confirmed"
    if status not in store.STATUSES:
        problems.append(
            Problem(shown, line, 0, "status", f"'{status}' is not a status", suggest(status, store.STATUSES))
        )
    paused = values.get("paused", "").strip().lower()
    if paused not in YES + NO:
        problems.append(
            Problem(shown, line, 0, "paused", f"'{paused}' is not yes or no", "write yes, no, or leave it empty")
        )
    if problems or profile is None:
        return None, problems
    return Row(line, email, name, school, profile, status, paused in YES), []


def read_csv(path: Path, tax: Tax, shown: str) -> tuple[list[Row], list[Problem]]:
    """Every good row and every problem in the file (a wrong header or unreadable file raises)."""
    text = _text(path, shown)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    header: list[str] | None = None
    end = 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(cells, shown)
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        shown,
                        line,
                        0,
                        "row",
                        f"has {len(cells)} values but the header has {len(header)}",
                        'put a value that contains a comma in "double quotes"',
                    )
                )
                continue
            row, errs = _row(tax, dict(zip(header, cells, strict=True)), line, shown)
            problems.extend(errs)
            if row is None:
                continue
            if row.email in first_seen:
                problems.append(
                    Problem(
                        shown,
                        line,
                        0,
                        "email",
                        f"{row.email} appears again (first on line {first_seen[row.email]})",
                        "keep one row per address",
                    )
                )
                continue
            first_seen[row.email] = line
            rows.append(row)
    except csv.Error as exc:
        raise DigestError(f"{shown}:{reader.line_num}: not readable as CSV: {exc}; nothing imported") from None
    if header is None:
        raise DigestError(f"{shown} is empty (the first line should be the header {','.join(COLUMNS[:7])})")
    return rows, problems


def _refusal(problems: list[Problem], good: int, shown: str) -> str:
    rows, n = len({p.line for p in problems}), len(problems)
    count = f"{rows} bad row{'s' * (rows != 1)}" + (f" ({n} problems)" if n != rows else "")
    fix = f"fix {'them' if rows != 1 else 'it'} and import again"
    if good:
        fix += f", or use --skip-invalid to import the {good} good row{'s' * (good != 1)}"
    return f"{count} in {shown}; nothing imported ({fix})"


def import_csv(
    conn: sqlite3.Connection,
    tax: Tax,
    path: Path,
    shown: str,
    *,
    skip_invalid: bool = False,
    skip_existing: bool = False,
) -> ImportResult:
    """Import the file in one transaction: every row, or (skip_invalid) every good row, or nothing.

    Raises DigestError listing every bad row when a row is bad and skip_invalid is off.
    """
    rows, problems = read_csv(path, tax, shown)
    result = ImportResult()
    with transaction(conn):
        good = []
        for row in rows:
            if store.is_suppressed(conn, row.email):
                problems.append(
                    Problem(
                        shown,
                        row.line,
                        0,
                        "email",
                        f"{row.email} asked to be erased and is never mailed again",
                        "remove the row",
                    )
                )
            elif store.find(conn, row.email) is not None:
                if skip_existing:
                    result.existing += 1
                else:
                    problems.append(
                        Problem(
                            shown,
                            row.line,
                            0,
                            "email",
                            f"{row.email} is already subscribed",
                            "use --skip-existing to leave existing readers as they are, or `digest subscribers set` to change one",
                        )
                    )
            else:
                good.append(row)
        problems.sort()
        if problems and not skip_invalid:
            raise DigestError("\n".join(map(str, problems)) + "\n" + _refusal(problems, len(good), shown))
        for row in good:
            store.add(
                conn,
                row.email,
                row.profile,
                name=row.name,
                school=row.school,
                status=row.status,
                paused=row.paused,
                consent_method="import",
            )
            result.imported[row.status] += 1
    result.problems = problems
    return result


def export_csv(conn: sqlite3.Connection, out: TextIO, status: str | None = None) -> int:
    """Write every reader (or those with one status) as CSV that import_csv reads back."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORTED)
    count, why = 0, suppressions.every_why(conn)
    for s in store.everyone(conn, status):
        p, w = s.profile, why.get(s.id)
        writer.writerow(
            [
                _quote(s.email),
                _quote(s.name),
                _quote(s.school),
                p.district,
                ";".join(p.phases),
                ";".join(p.settings),
                s.status,
                "yes" if s.paused else "no",
                w.reason if w else "",
                w.since if w else "",
            ]
        )
        count += 1
    return count
