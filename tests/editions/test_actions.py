"""What the reader must do, first: `action:` and `by:` (a date or a term's end from
content/terms.yaml), the "To do" each edition opens with, and the subject."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from support import REPO

from digest.content.audience import Profile
from digest.content.load import load_or_fail, load_site
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.settings import load_settings

FORUM = "content/forums/2025-07-test.yaml"
TERMS = """terms:
  - {year: 2024-25, term: 6, start: 2025-06-02, end: 2025-07-22}
"""


def edit(site_dir: Path, old: str, new: str) -> None:
    path = site_dir / FORUM
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def with_actions(site_dir: Path, by: str = "end of Term 6") -> Path:
    (site_dir / "content" / "terms.yaml").write_text(TERMS)
    edit(
        site_dir,
        "        answered_by: sen-data\n",
        f"        answered_by: sen-data\n        action: Email the parent preference list\n        by: {by}\n",
    )
    edit(
        site_dir,
        "        answer: In Term 6, so schools can plan.\n",
        "        answer: In Term 6, so schools can plan.\n        action: Plan Year R funding requests\n"
        "        by: 2025-07-15\n",
    )
    return site_dir


def errors(site_dir: Path) -> list[str]:
    return [str(p) for p in load_site(load_settings(site_dir)).problems.errors]


def test_a_terms_end_is_the_date_in_the_term_dates_file(site_dir: Path) -> None:
    site = load_or_fail(load_settings(with_actions(site_dir)))
    due = site.due["pt-preference-email"]
    assert (due.day, due.said) == (date(2025, 7, 22), "end of Term 6")  # the forum's school year, 2024-25
    assert site.due["year-r-funding"].day == date(2025, 7, 15)


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("end of Term 5", "content/terms.yaml has no Term 5 for 2024-25 (add Term 5 of 2024-25 to content/terms.yaml"),
        ("end of Term 6 2026-27", "has no Term 6 for 2026-27"),
        ("next week", "'next week' is not a date or a term's end (write YYYY-MM-DD, 'end of Term 6'"),
    ],
)
def test_a_term_the_file_does_not_hold_is_an_error_naming_the_fix(site_dir: Path, by: str, message: str) -> None:
    found = errors(with_actions(site_dir, by))
    assert len(found) == 1 and message in found[0] and found[0].startswith(FORUM + ":")
    assert "by:" in found[0] or ": by" in found[0]


def test_a_term_with_no_term_dates_file_and_a_by_with_no_action_are_errors(site_dir: Path) -> None:
    with_actions(site_dir)
    (site_dir / "content" / "terms.yaml").unlink()
    edit(site_dir, "        action: Plan Year R funding requests\n", "")
    found = errors(site_dir)
    assert any("Term 6 needs the term dates (add content/terms.yaml" in e for e in found)
    assert any("`by:` without `action:`" in e for e in found)


def test_the_edition_opens_with_the_actions_soonest_first_and_the_subject_names_the_first(site_dir: Path) -> None:
    site = load_or_fail(load_settings(with_actions(site_dir)))
    edition = select(site, site.forum("2025-07-test"), date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    r = Renderer(site.settings).render(edition)
    assert r.subject == "Test SENCO Forum: Plan Year R funding requests by Tue 15 July 2025; 4 answers for you"
    body = r.text.split("%%digest:greeting%%", 1)[1].lstrip().splitlines()
    assert body[:4] == [
        "TO DO",
        "-" * 72,
        "- By Tue 15 July 2025: Plan Year R funding requests https://digest.test.example/2025-07-test/#year-r-funding",
        "- By Tue 22 July 2025 (end of Term 6): Email the parent preference list "
        "https://digest.test.example/2025-07-test/#pt-preference-email",
    ]
    html = r.html
    assert html.index('id="todo"') < html.index("answers for you from this forum") < html.index('id="yours"')
    assert re.search(r"<strong>By Tue 22 July 2025</strong> \(end of Term 6\): <a [^>]*>Email the parent", html)


def test_a_deadline_gone_by_leaves_the_to_do_list_but_not_the_email(site_dir: Path) -> None:
    site = load_or_fail(load_settings(with_actions(site_dir)))
    edition = select(site, site.forum("2025-07-test"), date(2025, 7, 16), Profile("Swale", ("primary",), "mainstream"))
    r = Renderer(site.settings).render(edition)
    assert [a.text for a in edition.actions] == ["Email the parent preference list"]
    assert "Plan Year R funding" not in r.text and "When are Year R funding decisions made?" in r.text
    assert r.subject.startswith("Test SENCO Forum: Email the parent preference list by Tue 22 July 2025;")


def test_the_swale_primary_july_edition_opens_with_its_actions() -> None:
    """The issue's own reader: the phase transfer deadline ("by the end of Term 6") comes first."""
    site = load_or_fail(load_settings(REPO))
    forum = site.forum("2025-07-term6")
    edition = select(site, forum, date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    r = Renderer(site.settings).render(edition)
    body = r.text.split("%%digest:greeting%%", 1)[1].lstrip().splitlines()
    assert body[0] == "TO DO"
    assert body[2].startswith("- By Tue 22 July 2025 (end of Term 6): Complete your phase transfer paperwork")
    assert "Complete your phase transfer paperwork by Tue 22 July 2025" in r.subject
    # then the items for the school, those asking something of the reader first
    assert r.text.index("TO DO") < r.text.index("FOR YOUR SCHOOL") < r.text.index("HIGHLIGHTS")


def test_the_example_post_forum_schedule_names_the_soonest_action_as_a_plain_send_does() -> None:
    import yaml

    from digest.editions.render import soonest, subject_for
    from digest.schedules.subjects import render_subject, subject_template

    site = load_or_fail(load_settings(REPO))
    forum = site.forum("2025-07-term6")
    spec = yaml.safe_load((REPO / "schedules" / "post-forum-2025-07-term6.yaml").read_text())
    for profile in (Profile("Swale", ("primary",), "mainstream"), Profile("Medway", ("secondary",), "independent")):
        edition = select(site, forum, date(2025, 7, 11), profile)
        values = {"forum": forum, "count": len(edition.items), "todo": soonest(edition)}
        assert render_subject(subject_template(spec["subject"]), values) == subject_for(edition)
    late = select(site, forum, date(2025, 7, 23), Profile("Swale", ("primary",), "mainstream"))
    assert soonest(late) == "" and re.match(r"Term 6 Countywide SENCO Forum: \d+ answers for you", subject_for(late))


def test_the_archive_shows_the_action_with_its_answer(tmp_path: Path) -> None:
    from digest.editions.archive import write_archive
    from digest.editions.calendar import feeds

    site = load_or_fail(load_settings(REPO))
    for as_of, shown in ((date(2025, 7, 11), "Tue 22 July 2025"), (date(2025, 9, 1), "Tue 22 July 2025, now past")):
        write_archive(site, tmp_path, as_of, Renderer(site.settings), feeds(site))
        page = (tmp_path / "2025-07-term6" / "index.html").read_text(encoding="utf-8")
        assert f"<strong>To do by {shown} (end of Term 6):</strong> Complete your phase transfer paperwork" in page


def test_the_preheader_an_inbox_shows_names_the_soonest_action() -> None:
    site = load_or_fail(load_settings(REPO))
    edition = select(site, site.forum("2025-07-term6"), date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    html = Renderer(site.settings).render(edition).html
    preheader = re.search(r'<div class="preheader"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert preheader.strip().startswith("To do: Complete your phase transfer paperwork by Tue 22 July 2025.")
