"""Schedule files: checked like content, listed with their next fire times, run by hand."""

from __future__ import annotations

import re
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support import REPO
from support.delivery import add_readers
from support.schedules import POST_FORUM, WEEKLY, received, schedules, write_schedule

from digest.cli.main import cli
from digest.content.audience import Profile
from digest.content.load import load_site
from digest.errors import DigestError
from digest.fmt import LONDON
from digest.schedules.files import listing, load_schedules
from digest.schedules.kinds import KINDS
from digest.schedules.subjects import render_subject, subject_template
from digest.settings import load_settings

FILE = "schedules/weekly.yaml"
BASE = WEEKLY + '    subject: "This week: {{ count }} dates"\n'


def run(site_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(site_dir), *args], catch_exceptions=False)


def fires(site_dir: Path, after: datetime, n: int) -> list[str]:
    """The lines `digest schedules` prints for the one schedule, n fires after `after`."""
    settings = load_settings(site_dir)
    site = load_site(settings)
    return listing(load_schedules(settings, site)[0], site, after, n)[1:]


def problems(site_dir: Path) -> list[str]:
    settings = load_settings(site_dir)
    return [str(p) for p in load_schedules(settings, load_site(settings))[1]]


# -- the examples ---------------------------------------------------------------------------------
def test_example_schedules_check_clean() -> None:
    result = run(REPO, "check")
    assert result.exit_code == 0, result.output
    # the three routes the forum documents never give (tests/content/test_example_content.py)
    assert result.output.endswith("2 forums, 114 items, 5 events, 12 contacts, 4 schedules: 0 errors, 3 warnings\n")
    assert result.output.count("gives no address, phone number or page") == 3


def test_digest_schedules_shows_the_examples_next_fire_times_from_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "none-yet.sqlite3"))  # no readers, and none made
    result = run(REPO, "schedules", "--from", "2026-11-23T19:30")
    assert not (tmp_path / "none-yet.sqlite3").exists()
    assert result.exit_code == 0
    assert result.output == (
        "post-forum-2024-03-countywide: the 2024-03-countywide digest, to everyone (0 readers now); on Fri 22 March 2024 16:00 GMT; grace 1d\n"
        "  no further runs\n"
        "post-forum-2025-07-term6: the 2025-07-term6 digest, to everyone (0 readers now); on Fri 11 July 2025 16:00 BST; grace 1d\n"
        "  no further runs\n"
        "swale-surgery: surgery dates in the next 7 days, to Swale (0 readers now); cron day_of_week=fri hour=15 minute=0; grace 2h\n"
        "  Fri 27 November 2026 15:00 GMT\n"
        "  Fri 4 December 2026 15:00 GMT\n"
        "  Fri 11 December 2026 15:00 GMT\n"
        "weekly-dates: dates in the next 7 days, to everyone (0 readers now); cron day_of_week=mon hour=7 minute=0; grace 4h\n"
        "  Mon 30 November 2026 07:00 GMT\n"
        "  Mon 7 December 2026 07:00 GMT\n"
        "  Mon 14 December 2026 07:00 GMT\n"
    )


PAST_TERMS = "(sent: past the term dates in content/terms.yaml, so not known to be a holiday)"


@pytest.mark.parametrize(
    ("start", "weekly", "swale"),
    [
        # the clocks go forward on Sunday 28 March 2027: 07:00 stays 07:00 on the clock
        (
            "2027-03-20",
            [
                "Mon 22 March 2027 07:00 GMT",
                "Mon 29 March 2027 07:00 BST  (skipped: Easter holiday)",
                "Mon 5 April 2027 07:00 BST  (skipped: Easter holiday)",
            ],
            [
                "Fri 26 March 2027 15:00 GMT  (skipped: Easter holiday)",  # Term 4 ends on Thursday 25 March
                "Fri 2 April 2027 15:00 BST  (skipped: Easter holiday)",
                "Fri 9 April 2027 15:00 BST  (skipped: Easter holiday)",
            ],
        ),
        # ... and back on Sunday 31 October 2027
        (
            "2027-10-20",
            # content/terms.yaml stops at 2026-27: no day after it is known to be a holiday
            [
                f"{d}  {PAST_TERMS}"
                for d in (
                    "Mon 25 October 2027 07:00 BST",
                    "Mon 1 November 2027 07:00 GMT",
                    "Mon 8 November 2027 07:00 GMT",
                )
            ],
            [
                f"{d}  {PAST_TERMS}"
                for d in (
                    "Fri 22 October 2027 15:00 BST",
                    "Fri 29 October 2027 15:00 BST",
                    "Fri 5 November 2027 15:00 GMT",
                )
            ],
        ),
    ],
)
def test_digest_schedules_on_both_sides_of_a_clock_change(start: str, weekly: list[str], swale: list[str]) -> None:
    lines = run(REPO, "schedules", "--from", start).output.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("weekly-dates:")))
    assert lines[at + 1 : at + 4] == [f"  {x}" for x in weekly]
    at = lines.index(next(x for x in lines if x.startswith("swale-surgery:")))
    assert lines[at + 1 : at + 4] == [f"  {x}" for x in swale]


def test_digest_schedules_without_a_schedules_folder(site_dir: Path) -> None:
    result = run(site_dir, "schedules")
    assert (result.exit_code, result.output) == (0, "no schedules in schedules/ (see docs/scheduling.md)\n")


# -- checking -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("trigger:", "tigger:", [
            f"{FILE}:1:1: trigger: 'trigger' is required (add `trigger:`)",
            f"{FILE}:2:1: tigger: unknown key 'tigger' (did you mean 'trigger'?)",
        ]),
        ("hour: 7", "hour: 25", [
            f"{FILE}:3:28: trigger.cron.hour: Error validating expression '25': the last value (25) is higher than the maximum value (23) (see the cron fields in docs/scheduling.md)",
        ]),
        ("day_of_week: mon", "day_of_week: 1", [
            f"{FILE}:3:10: trigger.cron.day_of_week: '1': write day names, not numbers (use mon, tue, wed, thu, fri, sat or sun: cron counts 0 as Sunday, APScheduler as Monday)",
        ]),
        ("cron: {day_of_week: mon, hour: 7, minute: 0}", "cron: {day: 31, month: feb}", [
            f"{FILE}:3:9: trigger.cron: these cron fields never match a date (check day and month)",
        ]),
        ("cron: {day_of_week: mon, hour: 7, minute: 0}", "dates: [2026-03-29T01:30, 2026-10-25T01:30]", [
            f"{FILE}:3:11: trigger.dates[0]: 2026-03-29 01:30 does not exist in Europe/London: the clocks go forward at 01:00 (pick a time outside 01:00 to 02:00 on that day)",
        ]),
        ("cron: {day_of_week: mon, hour: 7, minute: 0}", "cron: {hour: 7}\n  dates: [2026-01-05T07:00]", [
            f"{FILE}:3:3: trigger: give either `cron:` or `dates:` (cron fields for a repeating schedule, dates for given days)",
        ]),
        ("kind: upcoming-dates", "kind: upcoming-date", [
            f"{FILE}:5:9: send.kind: 'upcoming-date' is not a kind of schedule (did you mean 'upcoming-dates'?)",
        ]),
        ("kind: upcoming-dates", "kind: [upcoming-dates]", [
            f"{FILE}:5:9: send.kind: expected one kind as text, got list ['upcoming-dates'] (write `kind: upcoming-dates`)",
        ]),
        ("kind: upcoming-dates", "kind: {upcoming-dates: 7}", [
            f"{FILE}:5:9: send.kind: expected one kind as text, got dict {{'upcoming-dates': 7}} (write `kind: " + "` or `kind: ".join(KINDS) + "`)",
        ]),
        ("days: 7", "days: 0", [f"{FILE}:6:9: send.days: 0 is too small (use at least 1)"]),
        ("days: 7", "days: 7\n  kinds: [surgerys]", [
            f"{FILE}:7:11: send.kinds[0]: 'surgerys' is not allowed here (did you mean 'surgery'?)",
        ]),
        ("kind: upcoming-dates\n  days: 7", "kind: forum-digest\n  forum: 2025-07-tset", [
            f"{FILE}:6:10: send.forum: no forum '2025-07-tset' (did you mean '2025-07-test'?)",
        ]),
        ("kind: upcoming-dates\n  days: 7", "kind: follow-up\n  forum: 2025-07-tset", [
            f"{FILE}:6:10: send.forum: no forum '2025-07-tset' (did you mean '2025-07-test'?)",
        ]),
        ("kind: upcoming-dates\n  days: 7", "kind: follow-up", [f"{FILE}:4:1: send.forum: 'forum' is required (add `forum:`)"]),
        ("grace: 1h", "grace: 6 hours", [f"{FILE}:7:8: grace: '6 hours' is not a duration (write e.g. 30m, 6h, 2d or 1h30m)"]),
        ("grace: 1h", "grace: 99999999999d", [f"{FILE}:7:8: grace: '99999999999d' is not a duration (write e.g. 30m, 6h, 2d or 1h30m)"]),
        ("{{ count }}", "{{ forum.title }}", [f"{FILE}:8:10: subject: 'forum' is undefined (use count, date, days, schedule, until)"]),
        ("{{ count }}", "{{ count }", [f"{FILE}:8:10: subject: template: unexpected '}}' (see the subject variables in docs/scheduling.md)"]),
        ("{{ count }}", "{{ count.__class__ }}", [
            f"{FILE}:8:10: subject: access to attribute '__class__' of 'int' object is unsafe. (use count, date, days, schedule, until)",
        ]),
        ("name: weekly", "name: weekly-dates", [
            f"{FILE}:1:7: name: name 'weekly-dates' differs from the file name (rename the file to weekly-dates.yaml or set `name: weekly`)",
        ]),
        ("grace: 1h", "grace: 1h\naudience: {districts: [Swal], phases: [primry]}", [
            f"{FILE}:8:24: audience.districts[0]: 'Swal' is not a district (did you mean 'Swale'?)",
            f"{FILE}:8:40: audience.phases[0]: 'primry' is not a phase (did you mean 'primary'?)",
        ]),
        ("grace: 1h", "grace: 1h\ntransport: smpt", [f"{FILE}:8:12: transport: 'smpt' is not allowed here (did you mean 'smtp'?)"]),
        ("grace: 1h", "grace: 1h\npaused: yes please", [f"{FILE}:8:9: paused: expected true or false, got str 'yes please'"]),
        ("grace: 1h", "grace: 1h\nskip: {holidays: [{from: 2026-12-20, to: 2026-12-01}]}", [
            f"{FILE}:8:38: skip.holidays[0].to: `to` is before `from` (both dates are included: from the first day to the last)",
        ]),
    ],
)  # fmt: skip
def test_each_mistake_in_a_schedule_file_is_reported_where_it_is(
    site_dir: Path, old: str, new: str, expected: list[str]
) -> None:
    path = write_schedule(site_dir, BASE)
    assert problems(site_dir) == []
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    assert problems(site_dir) == expected


def test_a_kind_that_is_a_list_is_a_message_in_check_and_schedules(site_dir: Path) -> None:
    write_schedule(site_dir, BASE.replace("kind: upcoming-dates", "kind: [upcoming-dates]"))
    for args in (["check"], ["schedules"]):
        result = run(site_dir, *args)
        assert result.exit_code == 1
        assert f"{FILE}:5:9: send.kind: expected one kind as text" in result.output
        assert "internal error" not in result.output


def test_a_broken_schedule_makes_digest_check_fail(site_dir: Path) -> None:
    write_schedule(site_dir, BASE.replace("days: 7", "days: seven"))
    result = run(site_dir, "check")
    assert result.exit_code == 1
    assert result.output == (
        f"{FILE}:6:9: send.days: expected a whole number, got str 'seven'\n"
        "Error: 1 forum, 5 items, 2 events, 2 contacts, 0 schedules: 1 error, 0 warnings\n"
    )
    assert run(site_dir, "schedules").exit_code == 1  # and nothing is listed or run from a broken file


# Any value at any place in a valid schedule file (or the key gone, or an unknown key added)
# gives problems with a file and line, never an exception: what a person saving a file
# half-edited, or a fuzzer, can do to the running scheduler.
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.dates(),
        st.datetimes(),
        st.sampled_from(["forum-digest", "upcoming-dates", "2025-07-test", "mon", "7", "1h", "*/5", "{{ count }}"]),
        st.from_regex(r"[0-9]{1,14}[dhms]?", fullmatch=True),  # durations, cron values and counts, some huge
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FUZZ_BASES = [
    BASE,
    POST_FORUM,
    WEEKLY + "    audience: {districts: [Swale]}\n    skip: {holidays: [{from: 2026-12-20, to: 2026-12-31}]}\n",
]


def _paths(data: object, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*path, i))
    return out


@st.composite
def mutated_schedule(draw: st.DrawFn) -> object:
    data = yaml.safe_load(textwrap.dedent(draw(st.sampled_from(FUZZ_BASES))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(VALUES)
        if not isinstance(data, dict) or not data:
            break
    if draw(st.booleans()):
        data = draw(VALUES)  # now and then the whole file is something else
    return data


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated_schedule())
def test_any_mutation_of_a_schedule_file_is_a_problem_with_a_line_never_a_crash(site_dir: Path, data: object) -> None:
    folder = site_dir / "schedules"
    folder.mkdir(exist_ok=True)
    (folder / "weekly.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    settings = load_settings(site_dir)
    site = load_site(settings)
    found, problems = load_schedules(settings, site)
    for problem in problems:
        assert problem.file == FILE and problem.line >= 1 and problem.message
    for schedule in found:  # what loads cleanly can be listed and its fire times computed
        assert listing([schedule], site, datetime(2026, 1, 1, tzinfo=LONDON))


def test_school_holidays_are_the_gaps_between_the_terms_and_schedules_terms_yaml_adds_closures(
    site_dir: Path,
) -> None:
    """A council's term dates the examples do not have, years ahead: the holidays are worked
    out from them, never from a list someone made up."""
    write_schedule(site_dir, WEEKLY + "    skip: {school_holidays: true}\n")
    (site_dir / "content" / "terms.yaml").write_text(
        "terms:\n"
        "  - {year: 2031-32, term: 1, start: 2031-09-03, end: 2031-10-24}\n"
        "  - {year: 2031-32, term: 2, start: 2031-11-03, end: 2031-12-17}\n"
        "  - {year: 2031-32, term: 3, start: 2032-01-06, end: 2032-02-13}\n"
    )
    assert problems(site_dir) == []
    assert fires(site_dir, datetime(2031, 10, 21, tzinfo=LONDON), 4) == [
        "  Mon 27 October 2031 07:00 GMT  (skipped: October half term)",
        "  Mon 3 November 2031 07:00 GMT",
        "  Mon 10 November 2031 07:00 GMT",
        "  Mon 17 November 2031 07:00 GMT",
    ]
    lines = fires(site_dir, datetime(2031, 12, 14, tzinfo=LONDON), 6)
    assert lines == [
        "  Mon 15 December 2031 07:00 GMT",
        "  Mon 22 December 2031 07:00 GMT  (skipped: Christmas holiday)",
        "  Mon 29 December 2031 07:00 GMT  (skipped: Christmas holiday)",
        "  Mon 5 January 2032 07:00 GMT  (skipped: Christmas holiday)",  # Term 3 starts on Tuesday
        "  Mon 12 January 2032 07:00 GMT",
        "  Mon 19 January 2032 07:00 GMT",
    ]
    # schedules/terms.yaml adds closures, checked like content
    closures = site_dir / "schedules" / "terms.yaml"
    closures.write_text("holidays:\n  - {name: snow closure, from: 2031-11-10, to: 2031-11-10}\n  - {nam: x}\n")
    assert problems(site_dir) == [
        "schedules/terms.yaml:3:5: holidays[1].from: 'from' is required (add `from:`)",
        "schedules/terms.yaml:3:5: holidays[1].to: 'to' is required (add `to:`)",
        "schedules/terms.yaml:3:6: holidays[1].nam: unknown key 'nam' (did you mean 'name'?)",
        f"{FILE}:8:25: skip.school_holidays: schedules/terms.yaml has mistakes (fix schedules/terms.yaml (its lines are listed))",
    ]
    closures.write_text("holidays:\n  - {name: snow closure, from: 2031-11-10, to: 2031-11-10}\n")
    assert fires(site_dir, datetime(2031, 11, 1, tzinfo=LONDON), 2) == [
        "  Mon 3 November 2031 07:00 GMT",
        "  Mon 10 November 2031 07:00 GMT  (skipped: snow closure)",
    ]
    # no term dates at all: school_holidays cannot be honoured, and says what to add
    (site_dir / "content" / "terms.yaml").unlink()
    closures.unlink()
    assert problems(site_dir) == [
        f"{FILE}:8:25: skip.school_holidays: no school holidays are known (add the county's term dates to content/terms.yaml: see docs/content.md)",
    ]


def test_subjects_are_one_line_and_sandboxed() -> None:
    assert render_subject(subject_template("  {{ count }} dates  "), {"count": 3}) == "3 dates"
    with pytest.raises(DigestError, match="a subject is one line"):
        render_subject(subject_template("{{ title }}"), {"title": "Forum\r\nBcc: everyone@example.org"})
    with pytest.raises(DigestError, match="unsafe"):
        render_subject(subject_template("{{ ''.__class__.__mro__ }}"), {})
    with pytest.raises(DigestError, match="empty subject"):
        render_subject(subject_template("{{ '' }}"), {})


# -- what each kind selects -----------------------------------------------------------------------
SWALE = Profile("Swale", ("primary",), "mainstream")
DOVER = Profile("Dover", ("early years", "primary"), "special")
MEDWAY = Profile("Medway", ("secondary",), "independent")


def plan_for(site_dir: Path, name: str, as_of: date):
    settings = load_settings(site_dir)
    site = load_site(settings)
    schedule = schedules(site_dir)[name]
    plan = KINDS[schedule.kind].plan(settings, site, schedule, as_of, f"schedule:{name}@{as_of}")
    plan.add([SWALE, DOVER, MEDWAY])
    return plan


def test_a_reminder_holds_only_each_readers_dates_in_the_window(site_dir: Path) -> None:
    write_schedule(site_dir, WEEKLY)
    plan = plan_for(site_dir, "weekly", date(2025, 9, 15))
    swale, dover = plan.for_profile(SWALE), plan.for_profile(DOVER)
    assert plan.for_profile(MEDWAY) is None  # no dates for them this week: nothing
    assert [(u.event.id, u.start.date(), u.later) for u in swale.edition.events] == [
        ("surgery-swale", date(2025, 9, 16), ()),  # the next week's surgery is outside the window
        ("mcs-primary", date(2025, 9, 18), ()),
    ]
    assert [u.event.id for u in dover.edition.events] == ["mcs-primary"]
    assert swale.rendered.subject == "Dates for your diary: 2 dates in the next 7 days"
    text = swale.rendered.text
    assert "Coming up: Mon 15 September 2025 to Sun 21 September 2025" in text
    assert "Next surgery: Tue 16 September 2025, 15:30 to 17:00, weekly until Tue 16 December 2025" in text
    assert "Then:" not in text and "You get these reminders as the SENCO of %%digest:profile%%." in text
    assert re.search(r'<h2 id="dates"[^>]*>Dates for your diary</h2>', swale.rendered.html)
    assert swale.edition.id.startswith("weekly.dates-")  # never taken for a forum's edition


def test_a_reminder_narrowed_by_kind_of_event_and_audience(site_dir: Path) -> None:
    write_schedule(site_dir, WEEKLY.replace("days: 7", "days: 7\n      kinds: [surgery]"))
    plan = plan_for(site_dir, "weekly", date(2025, 9, 15))
    assert [u.event.id for u in plan.for_profile(SWALE).edition.events] == ["surgery-swale"]
    assert plan.for_profile(DOVER) is None
    write_schedule(site_dir, WEEKLY + "    audience: {phases: [early years]}\n")
    plan = plan_for(site_dir, "weekly", date(2025, 9, 15))
    assert (plan.for_profile(SWALE), plan.for_profile(MEDWAY)) == (None, None)
    assert [u.event.id for u in plan.for_profile(DOVER).edition.events] == ["mcs-primary"]


def test_a_scheduled_forum_digest_keeps_its_audience_and_subject(site_dir: Path) -> None:
    write_schedule(site_dir, POST_FORUM + "    audience: {districts: [Swale, Dover]}\n")
    plan = plan_for(site_dir, "post-forum", date(2025, 7, 11))
    assert plan.for_profile(MEDWAY) is None
    prepared = plan.for_profile(SWALE)
    assert prepared.edition.id.startswith("2025-07-test-")
    assert prepared.rendered.subject == f"Test SENCO Forum: {len(prepared.edition.items)} answers for you"


# -- digest schedules run -------------------------------------------------------------------------
def test_run_by_hand_sends_once_per_date_and_names_what_it_did(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    dry = run(site_dir, "schedules", "run", "weekly", "--as-of", "2025-09-15", "--dry-run")
    assert dry.exit_code == 0
    lines = dry.output.splitlines()
    assert [line.split("\t")[0] for line in lines[:3]] == [
        "ana@example.org", "cat@example.org", "dev@example.org",
    ]  # fmt: skip
    # as `digest send --dry-run`: each edition's subject, who it is for and its readers, then the total
    assert lines[3] == "weekly @ 2025-09-15 (run by hand): dry run: to everyone"
    assert sorted(re.sub(r"weekly\.dates-[0-9a-f]{8}", "ID", line) for line in lines[4:-1]) == [
        "  ID: 1 reader (1 send); subject: Dates for your diary: 1 date in the next 7 days; for an early years and primary special school in Dover",
        "  ID: 2 readers (2 send); subject: Dates for your diary: 2 dates in the next 7 days; for a primary mainstream school in Swale",
    ]
    assert lines[-1] == "  3 readers in 2 editions: 3 send"
    assert run(site_dir, "schedules").output.splitlines()[0] == (
        "weekly: dates in the next 7 days, to everyone (5 readers now); cron day_of_week=mon hour=7 minute=0; grace 1h"
    )
    assert received(site_dir) == []
    first = run(site_dir, "schedules", "run", "weekly", "--as-of", "2025-09-15")
    assert (first.exit_code, first.output) == (0, (
        "weekly @ 2025-09-15 (run by hand): sent\n"
        "  schedule:weekly@2025-09-15: 3 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown\n"
    ))  # fmt: skip
    again = run(site_dir, "schedules", "run", "weekly", "--as-of", "2025-09-15")
    assert (
        again.output
        == "weekly @ 2025-09-15 (run by hand): already sent: schedule:weekly@2025-09-15 is done in the ledger\n"
    )
    assert sorted(to for to, _, _ in received(site_dir)) == ["ana@example.org", "cat@example.org", "dev@example.org"]
    quiet = run(site_dir, "schedules", "run", "weekly", "--as-of", "2026-01-05")
    assert quiet.output == (
        "weekly @ 2026-01-05 (run by hand): skipped: nothing for anyone: dates in the next 7 days from 2026-01-05, no reader has any\n"
    )
    unknown = run(site_dir, "schedules", "run", "weekley")
    assert (unknown.exit_code, unknown.output) == (1, "Error: no schedule 'weekley'; did you mean 'weekly'?\n")
