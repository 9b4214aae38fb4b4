"""The patterns shared by the importer and `digest check`: a questioner's personal data,
found in any case and in any field, and the one rule for repeated questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli.main import cli
from digest.content import duplicates, personal
from digest.importer import draft, privacy


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("My name is Harriet Quill, can you help?", [("name", "Harriet Quill")]),
        ("MY NAME IS Harriet Quill", [("name", "Harriet Quill")]),
        ("my name is harriet quill and I am the SENCO", [("name", "harriet quill")]),
        (
            "i'm Tom Fairweather from Oakridge Primary School",
            [("name", "Tom Fairweather"), ("school", "Oakridge Primary School")],
        ),
        ("we are at larkspur infant school", [("school", "larkspur infant school")]),
        ("Please write to 14 Mill Lane, Ashford TN23 4QX", [("address", "14 Mill Lane, Ashford TN23 4QX")]),
        ("Can a special school take a pupil from the named school in Year 6?", []),
        ("By naming a Grammar School preference", []),
        # how other councils' minutes say who asked: a title, initials, one name, no "School"
        (
            "Waiting times for the autism pathway (raised by Mrs J. Okonkwo, Brambleside Primary)",
            [("name", "Mrs J. Okonkwo"), ("school", "Brambleside Primary")],
        ),
        (
            "Interim funding - asked by Tom Fletcher, SENCO at Hillview Academy",
            [("name", "Tom Fletcher"), ("school", "Hillview Academy")],
        ),
        (
            "Question from Sarah at St Mary's CE Primary: can parents attend?",
            [("name", "Sarah"), ("school", "St Mary's CE Primary")],
        ),
        ("Raised by Larkspur Infant School", [("school", "Larkspur Infant School")]),
        # ... and what only looks like it: districts, teams, phases
        ("A question from Swale schools about therapy", []),
        ("Raised by Kent County Council and a comment from the SEN team", []),
        ("Swale Primary schools lack SALT; the Primary phase transfer; asked by a parent", []),
    ],
)
def test_personal_data_is_found_in_any_case(text: str, found: list) -> None:
    assert [(f.kind, f.text) for f in personal.find(text, contacts=False)] == found


def test_removing_keeps_an_answers_paragraphs() -> None:
    text, removed = privacy.scrub("Thank you.\n\n- My name is Jo Bloggs\n- second point")
    assert text == "Thank you.\n\n- My name is [name removed]\n- second point"
    assert [(r.kind, r.text) for r in removed] == [("name", "Jo Bloggs")]


def test_digest_check_warns_on_personal_data_in_any_field(project: Path) -> None:
    forum = project / "content" / "forums" / "2025-07-term6.yaml"
    text = forum.read_text(encoding="utf-8")
    first_answer = text.index("        answer:")
    text = (
        text[:first_answer]
        + "        answer: my name is harriet quill and this is my answer.\n"
        + text[text.index("\n        ", first_answer + 10) + 1 :]
    )
    text = re.sub(r"(?m)^    title: .*$", "    title: Raised by Larkspur Infant School", text, count=1)
    forum.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(project), "check"])
    assert ".title: title may hold a questioner's personal data (school): " in result.output, result.output
    assert ".answer: answer may hold a questioner's personal data (name): 'my name is harriet quill'" in result.output


def test_the_importer_and_digest_check_share_one_rule_for_repeats() -> None:
    # the importer remembers each text's normal form, by digest check's own function
    assert draft.SAME == duplicates.SIMILAR and draft.norm.__wrapped__ is duplicates.norm
    questions = [
        "Who do we contact if a parent has not received a parent preference email?",
        "How is funding worked out?",
        "Who do we contact if a parent has not received a parent preference e-mail?",
        "What is the deadline for annual reviews?",
    ]
    assert duplicates.repeats(questions) == [(0, 2)]
    items = [draft.DraftItem(q, "An answer.", 1) for q in questions]
    merged = draft.merge_duplicates(items)
    assert [i.asked for i in merged] == [2, 1, 1]  # what check calls a repeat, the importer merges


def test_a_question_is_compared_only_with_those_sharing_its_words() -> None:
    index = duplicates.Index()
    for n in range(5_000):
        index.add(f"how does the plan number {n} work for school {n * 7}")
    near = index.near("what is the deadline for annual reviews", 0.5)
    assert near == []  # its words are in none of them: nothing to compare
    assert all(len(p) <= duplicates.COMMON + 1 for p in index.postings.values())
