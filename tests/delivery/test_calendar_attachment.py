"""A digest with dates carries them as one text/calendar attachment (issue 6)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from icalendar import Calendar
from support.delivery import FORUM, add_readers, outbox, parse

from digest.cli.main import cli


def send(site_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--as-of", "2025-07-11"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output


def by_reader(site_dir: Path) -> dict[str, object]:
    return {m["To"].addresses[0].addr_spec: m for m in map(parse, outbox(site_dir))}


def test_digest_with_dates_carries_a_valid_calendar(site_dir: Path) -> None:
    add_readers(site_dir)
    send(site_dir)
    msg = by_reader(site_dir)["cat@example.org"]  # Swale primary: the surgery and the training
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "dates.ics"
    cal = Calendar.from_ical(attachment.get_payload(decode=True))
    assert cal["METHOD"] == "PUBLISH"
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"SEN Inclusion Adviser surgery (Swale)", "Mainstream Core Standards training (primary)"}
    assert "RRULE" in events["SEN Inclusion Adviser surgery (Swale)"]


def test_digest_without_dates_has_no_attachment(site_dir: Path) -> None:
    add_readers(site_dir)
    send(site_dir)
    msg = by_reader(site_dir)["ben@example.org"]  # Medway independent secondary: no events
    assert msg.get_content_type() == "multipart/alternative"


def test_attachment_can_be_turned_off(site_dir: Path) -> None:
    toml = site_dir / "digest.toml"
    toml.write_text(toml.read_text() + "\n[render]\nattach_ics = false\n")
    add_readers(site_dir)
    send(site_dir)
    assert by_reader(site_dir)["cat@example.org"].get_content_type() == "multipart/alternative"
