"""content/edit.py: a forum file changed in place, only where asked, checked before it is
written, and never over an edit made meanwhile."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from support import FIXTURES, REPO

from digest.content.edit import Conflict, ForumDoc, ItemEdit, forum_path, notes, save, suggestions
from digest.errors import DigestError
from digest.settings import load_settings

FORUM = "2025-07-test"

DRAFT = """\
# Imported from test.txt by `digest import`. A note for the organiser.
id: 2025-07-test
title: Test SENCO Forum
dates: [2025-07-02, 2025-07-10]
sections:
  - id: phase-transfer
    title: Phase Transfer
    items:
      - id: pt-ks1  # doc: q 33785e00, a b8231047
        # Headline cut from the question at 15 words: rewrite it
        question: >-
          Please can you confirm if moving from KS1 TO ks2 is classed as Phase transfer as
          still have some EHCPs?
        answer: Yes.
        status: pending  # it only says a team will support: "Assessment team to support."
        topics: [Phase Transfer]
        # Suggested audience, from the words quoted. Until you confirm it (delete the
        # '# ' before 'audience:' and the lines under it) the item goes to everyone.
        # audience:
        #   phases: [primary]  # "…confirm if moving from KS1 TO ks2 is classed…"
        #   exclude:
        #     settings: [independent]  # "…not for independent schools…"

      - id: pt-medway  # doc: q a582a657, a 4fc47de2
        question: "How does this work for areas such as Medway?"
        answer: OOC schools have a separate process.
        topics: [Phase Transfer]
"""


@pytest.fixture
def draft(site_dir: Path) -> Path:
    forums = site_dir / "content" / "forums"
    for other in forums.glob("*.yaml"):
        other.unlink()
    path = forums / f"{FORUM}.yaml"
    path.write_text(DRAFT, encoding="utf-8")
    return path


def diff(before: str, after: str) -> list[str]:
    return [x for x in difflib.ndiff(before.splitlines(), after.splitlines()) if x[:1] in "+-"]  # not the "? " hints


def taken_and_put(before: str, after: str) -> tuple[list[str], list[str]]:
    lines = diff(before, after)
    return [x[2:] for x in lines if x[0] == "-"], [x[2:] for x in lines if x[0] == "+"]


@pytest.mark.parametrize(
    "path",
    [*sorted((REPO / "content" / "forums").glob("*.yaml")), FIXTURES / "site" / "content" / "forums" / f"{FORUM}.yaml"],
    ids=lambda p: p.name,
)
def test_a_file_read_and_written_unchanged_is_the_same_bytes(path: Path) -> None:
    doc = ForumDoc.read(path)
    assert doc.result() == path.read_text(encoding="utf-8")


def test_the_import_notes_and_suggestions_are_read_from_the_comments(draft: Path) -> None:
    lines = draft.read_text(encoding="utf-8").split("\n")
    found = suggestions(lines, "pt-ks1")
    assert [(s.index, s.key, s.values, s.quote) for s in found] == [
        (0, "phases", ("primary",), "…confirm if moving from KS1 TO ks2 is classed…"),
        (1, "exclude.settings", ("independent",), "…not for independent schools…"),
    ]
    assert [t for _, t in notes(lines, "pt-ks1")] == [
        "Headline cut from the question at 15 words: rewrite it",
        'it only says a team will support: "Assessment team to support."',
    ]
    assert suggestions(lines, "pt-medway") == [] and notes(lines, "pt-medway") == []


def test_a_new_key_goes_where_the_importer_would_put_it_and_nothing_else_moves(draft: Path) -> None:
    doc = ForumDoc.read(draft)
    doc.edit_item("pt-medway", ItemEdit({"headline": "Medway schools: how it works", "kind": "feedback"}))
    after = doc.result()
    assert diff(DRAFT, after) == [
        "+         kind: feedback",
        "+         headline: 'Medway schools: how it works'",
    ]
    lines = after.splitlines()
    at = lines.index("      - id: pt-medway  # doc: q a582a657, a 4fc47de2")
    assert lines[at + 1 : at + 4] == [
        "        kind: feedback",
        '        question: "How does this work for areas such as Medway?"',
        "        headline: 'Medway schools: how it works'",
    ]


def test_a_confirmed_suggestion_becomes_the_audience_and_its_comment_goes(draft: Path) -> None:
    doc = ForumDoc.read(draft)
    doc.edit_item("pt-ks1", ItemEdit(confirm={1}, drop={0}))
    after = doc.result()
    assert taken_and_put(DRAFT, after) == (
        [
            "        # Suggested audience, from the words quoted. Until you confirm it (delete the",
            "        # '# ' before 'audience:' and the lines under it) the item goes to everyone.",
            "        # audience:",
            '        #   phases: [primary]  # "…confirm if moving from KS1 TO ks2 is classed…"',
            "        #   exclude:",
            '        #     settings: [independent]  # "…not for independent schools…"',
        ],
        ["        audience:", "          exclude:", "            settings: [independent]"],
    )
    assert "        topics: [Phase Transfer]\n        audience:\n" in after


def test_one_suggestion_dropped_leaves_the_other_under_its_heading(draft: Path) -> None:
    doc = ForumDoc.read(draft)
    doc.edit_item("pt-ks1", ItemEdit(drop={1}))
    assert diff(DRAFT, doc.result()) == [
        "-         #   exclude:",
        '-         #     settings: [independent]  # "…not for independent schools…"',
    ]


def test_notes_dealt_with_are_taken_out_and_the_fingerprint_stays(draft: Path) -> None:
    doc = ForumDoc.read(draft)
    doc.edit_item("pt-ks1", ItemEdit({"status": "answered"}, notes_done=True))
    assert diff(DRAFT, doc.result()) == [
        "-         # Headline cut from the question at 15 words: rewrite it",
        '-         status: pending  # it only says a team will support: "Assessment team to support."',
        "+         status: answered",
    ]


def test_an_audience_emptied_is_taken_out(site_dir: Path) -> None:
    path = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    before = path.read_text(encoding="utf-8")
    doc = ForumDoc.read(path)
    doc.edit_item("pt-medway", ItemEdit({"audience.districts": None}))
    assert diff(before, doc.result()) == ["-         audience: {districts: [Medway]}"]
    doc = ForumDoc.read(path)
    doc.edit_item("pt-medway", ItemEdit({"audience.districts": ["Medway", "Swale"]}))
    assert taken_and_put(before, doc.result()) == (
        ["        audience: {districts: [Medway]}"],
        ["        audience: {districts: [Medway, Swale]}"],
    )


def test_save_checks_as_digest_check_does_and_writes_nothing_it_refuses(draft: Path, site_dir: Path) -> None:
    settings = load_settings(site_dir)
    base = ForumDoc.read(draft).hash
    with pytest.raises(DigestError) as refused:
        save(settings, FORUM, base, lambda d: d.edit_item("pt-medway", ItemEdit({"audience.districts": ["Medwya"]})))
    assert "'Medwya' is not a district (did you mean 'Medway'?)" in str(refused.value.problems[0])
    assert draft.read_text(encoding="utf-8") == DRAFT
    saved = save(settings, FORUM, base, lambda d: d.set_forum("status", "ready"))
    assert saved.changed and diff(DRAFT, draft.read_text(encoding="utf-8")) == ["+ status: ready"]
    assert draft.read_text(encoding="utf-8").split("\n")[1:3] == ["id: 2025-07-test", "status: ready"]
    assert save(settings, FORUM, saved.hash, lambda d: d.set_forum("status", "ready")).changed is False


def test_an_edit_made_meanwhile_is_never_overwritten(draft: Path, site_dir: Path) -> None:
    settings = load_settings(site_dir)
    base = ForumDoc.read(draft).hash
    draft.write_text(DRAFT.replace("Test SENCO Forum", "Summer SENCO Forum"), encoding="utf-8")
    with pytest.raises(Conflict, match="was changed in another editor since this page was drawn"):
        save(settings, FORUM, base, lambda d: d.set_forum("status", "ready"))
    assert "status: ready" not in draft.read_text(encoding="utf-8")


def test_marking_a_draft_ready_drops_the_note_that_says_it_is_one(draft: Path) -> None:
    text = DRAFT.replace("id: 2025-07-test\n", "id: 2025-07-test\nstatus: draft  # until `digest ready 2025-07-test`\n")
    draft.write_text(text, encoding="utf-8")
    doc = ForumDoc.read(draft)
    doc.set_forum("status", "ready")
    assert diff(text, doc.result()) == ["- status: draft  # until `digest ready 2025-07-test`", "+ status: ready"]


@pytest.mark.parametrize("forum_id", ["../digest", "..", "nope", "2025-07-test/../../digest"])
def test_nothing_outside_the_forums_folder_is_a_forum_file(site_dir: Path, forum_id: str) -> None:
    with pytest.raises(DigestError, match="no forum"):
        forum_path(load_settings(site_dir), forum_id)
