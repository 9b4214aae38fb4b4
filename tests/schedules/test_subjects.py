"""A schedule's subject template is the organiser's own little program: whatever it does (divide
by zero, ask for a huge range, multiply a text by a billion, loop a billion times), `digest
check` says so at the subject's line, at once, and a send refuses it the same way (issue 19)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.schedules import WEEKLY, write_schedule

from digest.content.load import load_site
from digest.errors import DigestError
from digest.schedules.files import load_schedules
from digest.schedules.subjects import MAX_SIZE, render_subject, subject_template
from digest.settings import load_settings

FILE = "schedules/weekly.yaml"
AT = f"{FILE}:8:10: subject: "
FAILS = "the template fails: "


def problems(site_dir: Path, subject: str) -> list[str]:
    write_schedule(site_dir, WEEKLY + f"    subject: '{subject}'\n")
    settings = load_settings(site_dir)
    return [str(p) for p in load_schedules(settings, load_site(settings))[1]]


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("{{ count / 0 }}", FAILS + "it divides by zero (or takes a remainder after dividing by zero)"),
        ("{{ count % (count - count) }}", FAILS + "it divides by zero (or takes a remainder after dividing by zero)"),
        ("{{ 2.0 ** 99999 }}", FAILS + "a number is too large"),
        ("{{ 9 ** (9 ** 9) }}", "the template makes a number of over 307 digits"),
        ("{{ 1e999 }}", "a number in the template is too large"),
        ("{{ range(10**12)|list|length }}", "range() of 1,000,000,000,000 numbers (at most 1,000)"),
        ("{{ ''x'' * 10**10 }}", "the template makes a text or list of 10,000,000,000 (at most 1,000)"),
        ("{{ [1] * count * 10**9 }}", "the template makes a text or list of 3,000,000,000 (at most 1,000)"),
        ("{{ ''a''|center(10**9) }}", "the filter center is given a size of 1,000,000,000 (at most 1,000)"),
        ("{{ ''a''.ljust(10**10) }}", "ljust() is given a size of 10,000,000,000 (at most 1,000)"),
        (
            "{{ ''{:>999999999}''.format(count) }}",
            "a format width of 999999999 (at most 1,000, written in the format itself)",
        ),
        ("{{ ''%999999999d'' % count }}", "a format width of 999999999 (at most 1,000, written in the format itself)"),
        ("{{ ''x''|replace('''', ''y'' * 999) }}", "the filter replace makes a text or list of 1,999 (at most 1,000)"),
        ("{{ ''x''|wordwrap(0) }}", FAILS + "ValueError: invalid width 0 (must be > 0)"),
        ("{{ ''x''|truncate(-5) }}", FAILS + "AssertionError: expected length >= 3, got -5"),
        (
            "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}",
            "the template uses `for`; a subject template takes text, {{ ... }}, {% if %} and {% set %} only",
        ),
        (
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
            "the template uses `macro`; a subject template takes text, {{ ... }}, {% if %} and {% set %} only",
        ),
        ("{{ lipsum(10**9) }}", "'lipsum' is undefined (use count, date, days, schedule, until)"),
        (
            "{{ " + "(" * 500 + "count" + ")" * 500 + " }}",
            "the template is 1,011 characters long; a subject template has at most 1,000",
        ),
    ],
)
def test_a_subject_that_fails_or_goes_past_a_limit_is_a_problem_at_its_line(
    site_dir: Path, subject: str, message: str
) -> None:
    started = time.process_time()
    assert problems(site_dir, subject) == [AT + message]
    assert time.process_time() - started < 20  # a hang guard only: each is refused before the work is done


def test_subjects_within_the_limits_still_work() -> None:
    values = {"count": 3, "date": "Mon 5 January 2026", "schedule": "weekly"}
    for template, expected in [
        ("{{ count }} date{{ 's' if count != 1 }} from {{ date }}", "3 dates from Mon 5 January 2026"),
        ("{% set n = count * 2 %}{{ n }} and {{ '%03d' % count }}", "6 and 003"),
        ("{{ range(2025, 2028)|join(', ') }}: {{ '{:>4}'.format(count) }}", "2025, 2026, 2027:    3"),
        ("{{ (schedule ~ ' ') * 3 }}", "weekly weekly weekly"),
        ("{{ 'x' * MAX }}".replace("MAX", str(MAX_SIZE)), "x" * MAX_SIZE),
        ("{{ 2 ** 100 }}", str(2**100)),
    ]:
        assert render_subject(subject_template(template), values) == expected


def test_a_send_refuses_a_subject_the_same_way() -> None:
    template = subject_template("{{ 'x' * count }}")  # fine for the sample; at send time count is large
    assert render_subject(template, {"count": 3}) == "xxx"
    with pytest.raises(DigestError, match=r"subject: the template makes a text or list of 2,000 \(at most 1,000\)"):
        render_subject(template, {"count": 2000})
    with pytest.raises(DigestError, match="subject: the template fails: it divides by zero"):
        render_subject(subject_template("{{ 10 // count }}"), {"count": 0})
