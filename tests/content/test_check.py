"""`digest check`: every error class with its exact message, warnings, and exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.cli.main import cli
from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.errors import DigestError
from digest.settings import load_settings

FORUM = "content/forums/2025-07-test.yaml"


def check(site_dir: Path) -> list[str]:
    site = run_checks(load_site(load_settings(site_dir)))
    return [str(p) for p in site.problems.errors + site.problems.warnings]


def edit(site_dir: Path, rel: str, old: str, new: str) -> None:
    path = site_dir / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def test_fixture_site_is_clean(site_dir: Path) -> None:
    assert check(site_dir) == []
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == "1 forum, 5 items, 2 events, 2 contacts: 0 errors, 0 warnings\n"


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (
            FORUM,
            "districts: [Swale]",
            "districts: [Tunbridge Well]",
            f"{FORUM}:36:32: sections[1].items[0].audience.districts[0]: 'Tunbridge Well' is not a district (did you mean 'Tunbridge Wells'?)",
        ),
        (
            FORUM,
            "phases: [early years, primary]",
            "phases: [primry]",
            f"{FORUM}:41:29: sections[1].items[1].audience.phases[0]: 'primry' is not a phase (did you mean 'primary'?)",
        ),
        (
            FORUM,
            "topics: [Phase transfer]\n      - id: pt-medway",
            "topic: [Phase transfer]\n      - id: pt-medway",
            f"{FORUM}:14:9: sections[0].items[0].topic: unknown key 'topic' (did you mean 'topics'?)",
        ),
        (
            FORUM,
            "status: pending",
            "status: pendng",
            f"{FORUM}:23:17: sections[0].items[2].status: 'pendng' is not allowed here (did you mean 'pending'?)",
        ),
        (
            FORUM,
            "status: pending",
            "status: answered\n        answer: ''",
            f"{FORUM}:24:9: sections[0].items[2].answer: key 'answer' appears twice in this mapping (keep one of them)",
        ),
        (
            FORUM,
            "dates: [2025-07-02, 2025-07-10]",
            "dates: [2025-07-02, 2025-13-10]",
            f"{FORUM}:3:21: dates[1]: '2025-13-10' is not a valid date (write dates as YYYY-MM-DD, e.g. 2025-07-10)",
        ),
        (
            FORUM,
            "id: pt-medway",
            "id: pt-preference-email",
            f"{FORUM}:15:13: sections[0].items[1].id: item id 'pt-preference-email' is used twice (also at {FORUM}:10) (give each a different id)",
        ),
        (
            FORUM,
            "id: pt-medway",
            "id: PT Medway",
            f"{FORUM}:15:13: sections[0].items[1].id: 'PT Medway' is not a valid id (use lower-case letters, digits and hyphens, e.g. 'pt-medway')",
        ),
        (
            FORUM,
            "https://example.org/therapy-plan",
            "http://example.org/therapy-plan",
            None,
        ),  # a plain-http link in Markdown is not linked; see the links test below
        (
            FORUM,
            "answered_by: sen-data",
            "answered_by: sen-dta",
            f"{FORUM}:13:22: sections[0].items[0].answered_by: no contact 'sen-dta' (did you mean 'sen-data'?)",
        ),
        (FORUM, "title: Test SENCO Forum", "title: [Test]", f"{FORUM}:2:8: title: expected text, got list ['Test']"),
        (
            "content/events.yaml",
            "end: 2025-09-18T17:00",
            "end: 2025-09-18T15:00",
            "content/events.yaml:6:5: events[0].end: end is not after start (the end time must come after the start time)",
        ),
        (
            "content/events.yaml",
            "start: 2025-09-18T15:30",
            "start: 2025-09-18T25:30",
            "content/events.yaml:5:12: events[0].start: '2025-09-18T25:30' is not a valid date and time (write YYYY-MM-DDTHH:MM in Europe/London time, e.g. 2025-07-10T15:30)",
        ),
        (
            "content/events.yaml",
            "booking: https://events.example.org/mcs-primary",
            "booking: http://events.example.org/mcs-primary",
            "content/events.yaml:8:14: events[0].booking: 'http://events.example.org/mcs-primary' is not a https:// or mailto: link (digests carry only https:// and mailto: links)",
        ),
        (
            "content/events.yaml",
            "    venue: Kent Event Centre, Detling\n",
            "",
            "content/events.yaml:2:5: events[0].online: an event needs a place (give `online:` (a join link) or `venue:`)",
        ),
        (
            "content/events.yaml",
            "except: [2025-07-22, 2025-10-28]",
            "except: [2025-07-23]",
            "content/events.yaml:16:55: events[1].repeat.except[0]: 2025-07-23 is not one of this event's weekly dates (use a Tuesday between 2025-07-15 and 2025-12-16)",
        ),
        (
            "content/events.yaml",
            "kind: surgery",
            "kind: surgry",
            "content/events.yaml:12:11: events[1].kind: 'surgry' is not allowed here (did you mean 'surgery'?)",
        ),
        (
            "content/contacts.yaml",
            "email: senia.swale@example.org",
            "email: senia.swale",
            "content/contacts.yaml:8:12: contacts[1].email: 'senia.swale' is not an email address (write it as name@example.org)",
        ),
    ],
)
def test_each_error_class_has_its_exact_message(
    site_dir: Path, rel: str, old: str, new: str, expected: str | None
) -> None:
    edit(site_dir, rel, old, new)
    problems = check(site_dir)
    if expected is None:
        assert problems == []
    else:
        assert expected in problems, "\n".join(problems)


def test_all_problems_are_reported_at_once_and_check_exits_1(site_dir: Path) -> None:
    edit(site_dir, FORUM, "districts: [Swale]", "districts: [Tunbridge Well]")
    edit(site_dir, "content/events.yaml", "kind: surgery", "kind: surgry")
    edit(site_dir, "content/contacts.yaml", "name: SEN Data", "nme: SEN Data")
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len([line for line in lines if re.match(r"^content/\S+:\d+:\d+: ", line)]) == 4  # nme unknown + name missing
    assert lines[-1] == "Error: 1 forum, 5 items, 1 event, 1 contact: 4 errors, 0 warnings"  # the entries that load
    assert "Traceback" not in result.output


def test_forum_file_name_must_match_id(site_dir: Path) -> None:
    edit(site_dir, FORUM, "id: 2025-07-test", "id: 2025-07-other")
    assert (
        f"{FORUM}:1:1: id: id '2025-07-other' differs from the file name (rename the file to 2025-07-other.yaml or set `id: 2025-07-test`)"
        in check(site_dir)
    )


def test_missing_required_field(site_dir: Path) -> None:
    edit(site_dir, FORUM, "        question: How does this work for out of authority areas such as Medway?\n", "")
    assert f"{FORUM}:15:9: sections[0].items[1].question: 'question' is required (add `question:`)" in check(site_dir)


def test_answered_item_needs_an_answer(site_dir: Path) -> None:
    edit(site_dir, FORUM, "        answer: OOC schools have a separate process.\n", "")
    assert (
        f"{FORUM}:15:9: sections[0].items[1].answer: an answered item needs an answer (set `answer:`, or mark it `status: pending`)"
        in check(site_dir)
    )


def test_unsafe_yaml_is_an_error_not_a_crash(site_dir: Path) -> None:
    (site_dir / "content/forums/2025-08-evil.yaml").write_text("id: &a x\ntitle: *a\n")
    assert (
        "content/forums/2025-08-evil.yaml:1:5: anchors and aliases (&name, *name) are not allowed (write the value out in full)"
        in check(site_dir)
    )


def test_warnings_near_duplicate_personal_data_and_unreachable(site_dir: Path) -> None:
    edit(
        site_dir,
        FORUM,
        "      - id: pt-summer",
        "      - id: pt-preference-email-again\n"
        "        question: Who do we contact if a parent has not received a parent preference e-mail?\n"
        "        answer: The same team.\n"
        "      - id: pt-named\n"
        "        question: I would be interested so please pass on my name Jane Doe-Smith j.doe@school.example\n"
        "        answer: We will be in touch.\n"
        "      - id: pt-nobody\n"
        "        question: Only for Medway but not Medway?\n"
        "        answer: Nobody sees this.\n"
        "        audience: {districts: [Medway], exclude: {districts: [Medway]}}\n"
        "      - id: pt-summer",
    )
    problems = check(site_dir)
    assert (
        f"{FORUM}:21:9: warning: sections[0].items[2].question: question repeats item 'pt-preference-email' ({FORUM}:10) (merge them into one item and set `asked: 2`)"
        in problems
    )
    assert (
        f"{FORUM}:24:9: warning: sections[0].items[3].question: question contains an email address (remove the questioner's address before publishing)"
        in problems
    )
    assert (
        f"{FORUM}:24:9: warning: sections[0].items[3].question: question may name the questioner: 'pass on my name Jane Doe-Smith' (remove the name and school before publishing)"
        in problems
    )
    assert (
        f"{FORUM}:29:9: warning: sections[0].items[4].audience: this item reaches no reader (check the audience: an exclusion may cancel everything it includes)"
        in problems
    )
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 0  # warnings do not fail a check


def test_secrets_in_settings_file_are_refused(site_dir: Path) -> None:
    (site_dir / "digest.toml").write_text('[delivery]\ntransport = "outbox"\nsmtp_password = "hunter2"\n')
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "digest.toml:3:1: delivery.smtp_password: secrets are not read from files" in result.output


def test_unknown_setting_is_named_with_a_hint(site_dir: Path) -> None:
    (site_dir / "digest.toml").write_text('[site]\norganisaton = "X"\n')
    with pytest.raises(DigestError) as info:
        load_settings(site_dir)
    assert (
        str(info.value.problems[0])
        == "digest.toml:2:1: site.organisaton: unknown setting 'organisaton' (did you mean 'organisation'?)"
    )


def test_bad_toml_names_the_line(site_dir: Path) -> None:
    (site_dir / "digest.toml").write_text('[site]\norganisation = "X\n')
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.startswith("Error: digest.toml:2:")
    assert "Traceback" not in result.output


YAMLISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.dates()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=YAMLISH)
def test_arbitrary_yaml_in_a_forum_file_never_crashes_the_loader(site_dir: Path, data: object) -> None:
    (site_dir / FORUM).write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        site = run_checks(load_site(load_settings(site_dir)))
    except DigestError as exc:  # a clean, user-facing error is fine
        assert str(exc)
        return
    for problem in site.problems.items:
        assert problem.file and problem.line >= 1


def test_a_typo_in_a_forum_file_is_its_own_error_and_one_line_about_what_refers_to_it(site_dir: Path) -> None:
    """One `status: answerd` gave 19 errors, 17 of them about events and schedules pointing
    at the forum that had not loaded, and the real one 18th."""
    edit(site_dir, "content/events.yaml", "    kind: training\n", "    kind: training\n    forum: 2025-07-test\n")
    edit(site_dir, "content/events.yaml", "    kind: surgery\n", "    kind: surgery\n    forum: 2025-07-test\n")
    (site_dir / "schedules").mkdir()
    for n in range(3):
        (site_dir / "schedules" / f"post-{n}.yaml").write_text(
            f"name: post-{n}\ntrigger:\n  dates: [2025-07-11T16:00]\nsend:\n  kind: forum-digest\n  forum: 2025-07-test\n"
        )
    edit(site_dir, FORUM, "status: pending", "status: answerd")
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert (
        lines
        == [
            f"{FORUM}:23:17: sections[0].items[2].status: 'answerd' is not allowed here (did you mean 'answered'?)",
            f"{FORUM}:1:1: warning: 2 events and 3 schedules refer to forum '2025-07-test', which did not load (fix the errors in this file above; those are checked again then)",
            "Error: 0 forums, 0 items, 2 events, 2 contacts, 3 schedules: 1 error, 1 warning",  # kept: each fire says why not
        ]
    )


def test_every_mistake_of_a_file_in_one_run_even_when_it_does_not_load(site_dir: Path) -> None:
    """A misspelt district or an unknown contact showed only after the file's other errors
    were fixed: they are found in the same run now."""
    edit(site_dir, FORUM, "status: pending", "status: answerd")
    edit(site_dir, FORUM, "districts: [Medway]", "districts: [Medwya]")
    edit(site_dir, FORUM, "answered_by: sen-data", "answered_by: sen-dta")
    problems = check(site_dir)
    assert sorted(p.split(": ", 2)[1] for p in problems) == [
        "sections[0].items[0].answered_by",
        "sections[0].items[1].audience.districts[0]",
        "sections[0].items[2].status",
    ]
    assert any("'Medwya' is not a district (did you mean 'Medway'?)" in p for p in problems)
    assert any("no contact 'sen-dta' (did you mean 'sen-data'?)" in p for p in problems)


def test_a_topic_cut_in_two_by_a_comma_or_spelt_another_way_is_a_warning(site_dir: Path) -> None:
    edit(site_dir, FORUM, "topics: [Phase transfer]", "topics: [Speech, language and communication]")
    edit(site_dir, FORUM, "topics: [EHC needs assessment]", "topics: [Phase Transfer]")
    warnings = [p for p in check(site_dir) if "topic" in p]
    assert warnings == [
        f"{FORUM}:14:26: warning: sections[0].items[0].topics[1]: topic 'language and communication' is used by no other item (a comma starts a new topic: if it is one, quote it: 'Speech, language and communication')",
        f"{FORUM}:18:18: warning: sections[0].items[1].topics[0]: topic 'Phase transfer' is used by no other item (did you mean 'Phase Transfer'?)",
        f"{FORUM}:24:18: warning: sections[0].items[2].topics[0]: topic 'Phase Transfer' is used by no other item (did you mean 'Phase transfer'?)",
    ]
