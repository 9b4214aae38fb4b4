"""`digest import` of both published documents, as plain text and as Word, against the
example content curated from them by hand (content/forums/): every curated question is
found, with the same pending items, the same duplicates merged and the same feedback;
the draft passes `digest check`; no questioner's personal data reaches it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import example_project
from support import REPO
from support.seed_docx import JULY, MARCH

from digest.cli.main import cli
from digest.content.model import Forum
from digest.content.yamlio import load_yaml
from digest.importer.draft import norm
from digest.importer.run import import_document
from digest.settings import load_settings

FORUMS = {MARCH: "2024-03-countywide", JULY: "2025-07-term6"}
CASES = [(seed, kind) for seed in (MARCH, JULY) for kind in ("txt", "docx")]

# The curator split one row of the July document (two points, one combined answer)
# into two items; the import keeps the document's one row.
SPLIT = {"ar-webinar-documents-resend", "ar-no-amends-consistency"}
# Pending, by the rule (a response that only says someone will look into it or
# come back, or that it will be addressed in a future forum); the curator chose follow-up.
# "These will be made available as soon as possible" only defers (issue 20): pending too,
# whether or not the example content has caught up with that rule yet.
PENDING_NOT_FOLLOW_UP = {
    "senia-ntl-mobile-pupils-statutory-protection",
    "trib-school-decision-letter-less-detail",
    "loc-consultation-dates",
}
# The questioners the fixtures put where the real ones were (tests/support/seed_docx.py
# INVENTED): their names, school and personal address, and people a questioner named.
# None may be in a draft.
PERSONAL = [
    "Rowan",
    "Ashby-Fenwick",
    "ashby-fenwick",
    "st-ebbas",
    "Thornfield",
    "Ottilie",
    "Marchbank",
    "Hattie Brannigan",
    "Joss Le Fevre",
]
# Feedback the curator judged to be about the forum itself: a question, with an answer.
FEEDBACK_BY_CURATOR = {"forum-fewer-agenda-items"}
OFFICERS = ["georgette.williams@kent.gov.uk", "clara.green@kent.gov.uk", "maria.halford@kent.gov.uk"]


def words(text: str) -> list[str]:
    return [w.rstrip("s") for w in norm(text).split()]


def found(curated: str, imported: str) -> float:
    """How much of the curated question's words the imported one has (the curator
    tidied wording: "Yr 5 AR" became "Year 5 annual review")."""
    have = set(words(imported))
    wanted = words(curated)
    return sum(w in have for w in wanted) / len(wanted)


@pytest.fixture(scope="module")
def imported(seed_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """(seed, kind) -> (project, result, draft text, Forum)."""
    out = {}
    for seed, kind in CASES:
        forum_id = FORUMS[seed]
        project = example_project(tmp_path_factory.mktemp(f"{Path(seed).stem}-{kind}"), without=forum_id)
        source = seed_files[f"{Path(seed).stem}.{kind}"]
        result = import_document(load_settings(project), source, forum_id, None, None, False)
        text = result.out.read_text(encoding="utf-8")
        src, problems = load_yaml(result.out, "draft")
        assert problems == []
        out[seed, kind] = (project, result, text, Forum.model_validate(src.data))
    return out


def curated(seed: str) -> Forum:
    src, _ = load_yaml(REPO / "content" / "forums" / f"{FORUMS[seed]}.yaml", "curated")
    return Forum.model_validate(src.data)


def matches(seed: str, forum: Forum) -> dict[str, object]:
    """Each curated item id -> the imported item that asks its question."""
    out = {}
    for item in curated(seed).items:
        best = max(forum.items, key=lambda i: found(item.question, i.question))
        assert found(item.question, best.question) >= 0.75, (item.id, item.question)
        out[item.id] = best
    return out


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_every_curated_question_is_found_once(imported, seed: str, kind: str) -> None:
    forum = imported[seed, kind][3]
    found_by = matches(seed, forum)
    ids = [found_by[c].id for c in found_by if c not in SPLIT]
    assert len(ids) == len(set(ids))  # one imported item per curated one...
    if SPLIT & set(found_by):
        assert len({found_by[c].id for c in SPLIT}) == 1  # ...but the row the curator split
    assert {i.id for i in forum.items} == {i.id for i in found_by.values()}  # and nothing more
    assert len(forum.sections) == len(curated(seed).sections)


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_the_same_items_are_pending(imported, seed: str, kind: str) -> None:
    found_by = matches(seed, imported[seed, kind][3])
    cur = {i.id: i for i in curated(seed).items}
    pending = {c for c, i in found_by.items() if i.status == "pending"}
    assert (
        pending - PENDING_NOT_FOLLOW_UP == {c for c, i in cur.items() if i.status == "pending"} - PENDING_NOT_FOLLOW_UP
    )
    assert {cur[c].status for c in pending & PENDING_NOT_FOLLOW_UP} <= {"follow-up", "pending"}


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_the_same_duplicates_are_merged(imported, seed: str, kind: str) -> None:
    found_by = matches(seed, imported[seed, kind][3])
    cur = {i.id: i for i in curated(seed).items}
    assert {c: i.asked for c, i in found_by.items() if i.asked > 1} == {
        c: i.asked for c, i in cur.items() if i.asked > 1
    }


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_the_same_comments_are_feedback(imported, seed: str, kind: str) -> None:
    found_by = matches(seed, imported[seed, kind][3])
    cur = {i.id: i for i in curated(seed).items}
    feedback = {c for c, i in cur.items() if i.kind == "feedback"}
    assert {c for c, i in found_by.items() if i.kind == "feedback"} == feedback - FEEDBACK_BY_CURATOR


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_the_draft_passes_digest_check(imported, seed: str, kind: str) -> None:
    project, result, _, _ = imported[seed, kind]
    assert result.errors == [] and result.unchecked == ""
    done = CliRunner().invoke(cli, ["--root", str(project), "check"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert ": 0 errors," in done.output


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_no_questioner_personal_data_reaches_the_draft(imported, seed: str, kind: str) -> None:
    _, result, text, _ = imported[seed, kind]
    for needle in PERSONAL:
        assert needle not in text
    for address in OFFICERS:  # officers' own addresses stay, flagged for the team's contact
        if address in text.lower():
            assert re.search(rf"# {re.escape(address)} is an officer's own address", text, re.I)
    if seed == JULY:
        removed = {(r.kind, r.text) for _, r in result.draft.findings.removed}
        assert ("name", "Rowan Ashby-Fenwick") in removed and ("school", "Thornfield Rise Primary School") in removed
        assert "SENCo at [school removed]" in text  # the school named again in an answer


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_presenters_links_and_lists_are_kept(imported, seed: str, kind: str) -> None:
    _, result, text, forum = imported[seed, kind]

    def asking(start: str):
        return next(i for i in forum.items if norm(i.question).startswith(norm(start)))

    if seed == MARCH:
        assert [s.presenter for s in forum.sections][1] == "Teri Rutherford, SEND Support and Inclusion Manager, KCC"
        assert forum.sections[2].title == "Tribunals – What does the process involve"
        assert forum.dates == [date(2024, 3, 20), date(2024, 3, 21)]
        rollout = asking("when will this be rolled out to the rest o")
        marker = "1." if kind == "docx" else "-"  # the Word fixture numbers the dated sessions
        assert f"{marker} Tues 7th May 2.00 – 3.00 pm [Click here to join the meeting](#)" in rollout.answer
        assert "Placeholder link in the document, [Click here to join the meeting](#)" in text
        letters = asking("schools are sent a decision letter that is")
        assert letters.asked == 2  # two questions the document answered once
        assert letters.question.endswith(
            "The School letter does not include as much information as the parent letter. Why is this?"
        )
    else:
        assert forum.dates == [date(2025, 7, 2), date(2025, 7, 10)]
        assert "<p>" not in text and "</p>" not in text
        split = asking("one of our parents has mentioned they are")
        assert split.question.endswith("Will the holidays count in the 0-6 week timescale?") and split.asked == 2
        swale = asking("it is a matter of significant concern that")
        assert "KCC is working with NHS colleagues" in swale.answer and "MCH" in swale.answer  # both answers
        assert "#   districts: [Swale]" in text  # a suggestion, not an audience
        assert all(i.audience is None for i in forum.items)
    print(f"\nimport of {seed} ({kind}): {result.seconds:.2f} s")  # measured, not asserted: see bench/imports.py


def test_plain_text_and_word_give_the_same_draft(imported) -> None:
    for seed in (MARCH, JULY):
        txt, docx = imported[seed, "txt"][3], imported[seed, "docx"][3]
        assert [i.id for i in txt.items] == [i.id for i in docx.items]
        assert [(i.question, i.status, i.kind, i.asked) for i in txt.items] == [
            (i.question, i.status, i.kind, i.asked) for i in docx.items
        ]
        differing = [i.id for i, j in zip(txt.items, docx.items, strict=True) if i.answer != j.answer]
        assert differing == ([] if seed == JULY else ["bssp-rolled-out-rest-county"])  # "- " or "1."
