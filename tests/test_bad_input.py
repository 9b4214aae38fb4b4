"""Bad input is a message that names the file, line and field and says what to do, never an
internal error: the cases a round of 80 kinds of bad command-line input found.

Run as the real command (`python -m digest`), because only there does an exception that
escapes a command become "internal error"."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.delivery import FORUM, add_readers, many_readers


def digest(site_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ |= {"DIGEST_SECRET_KEY": "test-secret-key-0123456789abcdef"} | env
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=site_dir, env=environ, capture_output=True, text=True, check=False
    )


def refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1 with each expected piece in the message, and no internal error or traceback."""
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "internal error" not in out and "Traceback" not in out, out
    for piece in expected:
        assert piece in out, out


# -- the database -------------------------------------------------------------------------------
def test_a_database_that_is_not_sqlite_is_named_with_what_to_do(site_dir: Path) -> None:
    (site_dir / "notes.txt").write_text("these are my notes, not a database\n" * 200)
    for args in (["subscribers", "list"], ["send", "--forum", FORUM], ["check"]):
        result = digest(site_dir, *args, DIGEST_DB="notes.txt")
        if args == ["check"]:
            assert result.returncode == 0  # check reads no database
            continue
        refused(result, f"the database {site_dir / 'notes.txt'} is damaged or is not an SQLite database", "DIGEST_DB")


def test_a_truncated_database_is_named_with_what_to_do(site_dir: Path) -> None:
    add_readers(site_dir, many_readers(3000))
    db = site_dir / "var" / "digest.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = db.read_bytes()
    (site_dir / "var" / "cut.sqlite3").write_bytes(data[: len(data) // 3])  # a copy cut short mid-transfer
    for args in (["subscribers", "list"], ["send", "--forum", FORUM], ["subscribers", "export"]):
        result = digest(site_dir, *args, DIGEST_DB="var/cut.sqlite3")
        refused(result, "cut.sqlite3 is damaged or is not an SQLite database", "restore it from a backup")


# -- the settings file ---------------------------------------------------------------------------
def test_a_settings_file_that_is_not_utf8_names_its_line(site_dir: Path) -> None:
    (site_dir / "digest.toml").write_bytes(b'[site]\norganisation = "Caf\xe9 Forum"\n')
    refused(digest(site_dir, "check"), "digest.toml:2:20: this byte is not UTF-8 (save the file as UTF-8)")


def test_a_settings_file_that_is_a_folder_says_so(site_dir: Path) -> None:
    (site_dir / "digest.toml").unlink()
    (site_dir / "digest.toml").mkdir()
    refused(digest(site_dir, "check"), "digest.toml is a folder")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[site]\nsecret_key = "x"\n', "digest.toml:2:1: site.secret_key: secrets are not read from files (remove it and set the environment variable DIGEST_SECRET_KEY instead)"),
        ('[delivery]\nsmtp_password = "x"\n', "(remove it and set the environment variable DIGEST_SMTP_PASSWORD instead)"),
        ('[web]\napi_token = "x"\n', "web.api_token: secrets are not read from files (remove it: digest reads its secrets only from the environment (DIGEST_API_CLIENT_SECRET, DIGEST_IMAP_PASSWORD, DIGEST_SECRET_KEY, DIGEST_SMTP_PASSWORD))"),
        ('password = "x"\n', "digest.toml:1:1: password: secrets are not read from files (remove it: digest reads"),
    ],
)  # fmt: skip
def test_a_secret_in_the_settings_file_names_the_variable_to_use(site_dir: Path, toml: str, expected: str) -> None:
    (site_dir / "digest.toml").write_text(toml)
    result = digest(site_dir, "check")
    refused(result, expected)
    assert "DIGEST_..." not in result.stderr


# -- what goes into a mail header ----------------------------------------------------------------
@pytest.mark.parametrize(
    "title",
    ['"Test Forum\\r\\nBcc: everyone@example.org"', '"Test\\nForum"', '"Test\\u0085Forum"', '"Test\\u0001Forum"'],
)
def test_a_forum_title_of_more_than_one_line_is_refused_by_check_not_by_send(site_dir: Path, title: str) -> None:
    add_readers(site_dir)
    forum = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    forum.write_text(forum.read_text().replace("title: Test SENCO Forum", f"title: {title}", 1))
    refused(
        digest(site_dir, "check"),
        f"content/forums/{FORUM}.yaml:2:8: title: contains a line break or a control character (write it on one line: it is the subject of the emails)",
    )
    refused(digest(site_dir, "send", "--forum", FORUM), "title: contains a line break or a control character")


@pytest.mark.parametrize("field", ["title", "sender_name", "organisation", "reply_to"])
def test_a_site_setting_that_goes_into_headers_is_one_line(site_dir: Path, field: str) -> None:
    value = "x\\r\\nBcc: everyone@example.org" if field != "reply_to" else "a\\u0001@example.org"
    (site_dir / "digest.toml").write_text(f'[site]\n{field} = "{value}"\n')
    refused(digest(site_dir, "check"), f"digest.toml:2:1: site.{field}: contains a line break or a control character")


# -- options -------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["list", "export"])
def test_an_unknown_status_to_filter_by_is_an_error(site_dir: Path, command: str) -> None:
    add_readers(site_dir)
    result = digest(site_dir, "subscribers", command, "--status", "foo")
    refused(result, "Error: --status: 'foo' is not one of pending, confirmed, unsubscribed, bounced")
    assert "reader" not in result.stdout


def test_a_scheduled_fire_on_a_damaged_database_fails_plainly_and_is_retried(site_dir: Path) -> None:
    """The scheduler is not stopped by it either: the fire's outcome says what to do."""
    from datetime import datetime

    from support.schedules import WEEKLY, schedules, write_schedule

    from digest.fmt import LONDON
    from digest.schedules.runs import run_fire
    from digest.settings import load_settings

    write_schedule(site_dir, WEEKLY)
    weekly = schedules(site_dir)["weekly"]
    (site_dir / "notes.txt").write_text("not a database\n" * 100)
    settings = load_settings(site_dir, overrides={"paths.db": "notes.txt"})
    monday = datetime(2025, 9, 15, 7, tzinfo=LONDON)
    outcome = run_fire(settings, weekly, monday, monday)
    assert outcome.result == "failed" and outcome.retry
    assert "notes.txt is damaged or is not an SQLite database" in outcome.detail


# -- mutated files (issue 19: 2,200 mutated files gave 16 internal errors) ---------------------------
@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("{{ count / 0 }}", "subject: the template fails: it divides by zero (or takes a remainder after dividing by zero)"),
        ("{{ count % 0 }}", "subject: the template fails: it divides by zero (or takes a remainder after dividing by zero)"),
        ("{{ range(10**9)|list|length }}", "subject: range() of 1,000,000,000 numbers (at most 1,000)"),
        ("{{ ''x'' * 10**10 }}", "subject: the template makes a text or list of 10,000,000,000 (at most 1,000)"),
    ],
)  # fmt: skip
def test_a_schedule_subject_that_fails_is_a_problem_at_its_line(site_dir: Path, subject: str, expected: str) -> None:
    from support.schedules import WEEKLY, write_schedule

    write_schedule(site_dir, WEEKLY + f"    subject: '{subject}'\n")
    refused(digest(site_dir, "check"), f"schedules/weekly.yaml:8:10: {expected}")


@pytest.mark.parametrize("brk", ["\r", "\u2028"])
def test_a_yaml_mistake_in_a_file_with_other_line_ends_is_placed_at_its_line(site_dir: Path, brk: str) -> None:
    contacts = site_dir / "content" / "contacts.yaml"
    lines = contacts.read_text().splitlines()
    contacts.write_text(brk.join([*lines[:3], "  oops: [1,", *lines[3:]]), newline="")
    refused(
        digest(site_dir, "check"),
        "content/contacts.yaml:4:1: indented differently from the lines it belongs with (2 spaces, the line above's keys 4)",
    )
