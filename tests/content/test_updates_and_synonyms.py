"""`updates:` (a later answer that changes an earlier one) and content/synonyms.yaml: what
`digest check` refuses, at which line, and what the archive's search makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli.main import cli
from digest.content.load import load_site
from digest.content.synonyms import Synonyms
from digest.content.updates import changes
from digest.settings import load_settings

LATER = "content/forums/2026-03-test.yaml"
LATER_FORUM = """id: 2026-03-test
title: Spring SENCO Forum
dates: [2026-03-12]
sections:
  - id: therapy
    title: Therapies
    items:
      - id: swale-salt-contract
        question: Is there news on speech and language therapy in Swale?
        answer: The new NHS contract starts in October.
        topics: [Speech and language]
        updates: swale-salt
      - id: spring-thanks
        kind: feedback
        question: Thank you.
"""


def errors(site_dir: Path) -> list[str]:
    return [str(p) for p in load_site(load_settings(site_dir)).problems.errors]


def later_forum(site_dir: Path, text: str = LATER_FORUM) -> None:
    (site_dir / LATER).write_text(text)


def test_a_later_forum_updates_an_earlier_answer(site_dir: Path) -> None:
    later_forum(site_dir)
    site = load_site(load_settings(site_dir))
    assert site.problems.errors == []
    earlier, later = changes(site)
    assert (earlier["swale-salt-contract"].forum.id, earlier["swale-salt-contract"].item.id) == (
        "2025-07-test",
        "swale-salt",
    )
    assert [p.item.id for p in later["swale-salt"]] == ["swale-salt-contract"]


@pytest.mark.parametrize(
    ("updates", "expected"),
    [
        ("swale-slat", "no item 'swale-slat' (did you mean 'swale-salt'?)"),
        ("swale-salt-contract", "an item cannot update itself (name the earlier item whose answer this one changes)"),
        ("spring-thanks", "'spring-thanks' is a comment (kind: feedback), with no answer to change (name a question)"),
    ],
)
def test_updates_must_name_an_earlier_question(site_dir: Path, updates: str, expected: str) -> None:
    later_forum(site_dir, LATER_FORUM.replace("updates: swale-salt", f"updates: {updates}"))
    assert errors(site_dir) == [f"{LATER}:12:18: sections[0].items[0].updates: {expected}"]


def test_the_earlier_item_cannot_name_the_later_one(site_dir: Path) -> None:
    later_forum(site_dir, LATER_FORUM.replace("        updates: swale-salt\n", ""))
    forum = site_dir / "content/forums/2025-07-test.yaml"
    forum.write_text(
        forum.read_text().replace(
            "audience: {districts: [Swale]}", "audience: {districts: [Swale]}\n        updates: swale-salt-contract"
        )
    )
    assert errors(site_dir) == [
        "content/forums/2025-07-test.yaml:37:18: sections[1].items[0].updates: 'swale-salt-contract' comes after this "
        f"item ({LATER}:8), so it cannot be the earlier answer (put `updates: swale-salt` on 'swale-salt-contract' instead)"
    ]


def test_check_prints_the_line_and_exits_1_without_a_traceback(site_dir: Path) -> None:
    later_forum(site_dir, LATER_FORUM.replace("updates: swale-salt", "updates: nothing-here"))
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"])
    assert result.exit_code == 1
    assert f"{LATER}:12:18: sections[0].items[0].updates: no item 'nothing-here'" in result.output
    assert "Traceback" not in result.output


SYNONYMS = "content/synonyms.yaml"


def write_synonyms(site_dir: Path, text: str) -> None:
    (site_dir / SYNONYMS).write_text(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "synonyms:\n  - [SRP]\n",
            f"{SYNONYMS}:2:5: synonyms[0]: the group [SRP] has one form, so it matches nothing new "
            "(add what it stands for, e.g. [SRP, specialist resource provision])",
        ),
        (
            "synonyms:\n  - [PT, phase transfer]\n  - [pt, PT form]\n",
            f"{SYNONYMS}:3:6: synonyms[1][0]: 'pt' is also in the group at line 2 "
            "(merge the two groups into one, or keep the form in one of them)",
        ),
        (
            "synonyms:\n  - EHCP, EHC plan\n",
            f"{SYNONYMS}:2:5: synonyms[0]: the group 'EHCP, EHC plan' is one piece of text, not a list of forms "
            "(write it as a list in square brackets: [EHCP, EHC plan])",
        ),
        (
            "synonyms:\n  - [EHCP, '--']\n",
            f"{SYNONYMS}:2:12: synonyms[0][1]: '--' has no letter or digit (write a word)",
        ),
        (
            "synonym:\n  - [EHCP, EHC plan]\n",
            f"{SYNONYMS}:1:1: synonym: unknown key 'synonym' (did you mean 'synonyms'?)",
        ),
        (
            "synonyms:\n  - [EHCP, EHC plan\n",
            f"{SYNONYMS}:3:1: YAML syntax: expected ',' or ']', but got '<stream end>' (check indentation, colons and quotes)",
        ),
    ],
)
def test_check_refuses_a_bad_synonyms_file_at_its_line(site_dir: Path, text: str, expected: str) -> None:
    write_synonyms(site_dir, text)
    assert errors(site_dir) == [expected]


def test_no_synonyms_file_means_no_synonyms(site_dir: Path) -> None:
    site = load_site(load_settings(site_dir))
    assert site.problems.errors == [] and site.synonyms.groups == ()


def test_each_form_finds_the_others_both_ways() -> None:
    s = Synonyms((("SENIA", "SEN IA", "SEN Inclusion Adviser"), ("YR", "Year R"), ("OOC", "out of county")))
    assert s.expand("Book a SEN IA surgery") == ["SENIA", "SEN Inclusion Adviser"]
    assert s.expand("Ask your SEN Inclusion Advisers") == ["SENIA", "SEN IA"]  # a plural still matches
    assert s.expand("the senia team") == ["SEN IA", "SEN Inclusion Adviser"]  # longer forms: any case
    assert s.expand("YR funding") == ["Year R"] and s.expand("year r funding") == ["YR"]
    assert s.expand("Yr 6 pupils") == [] and s.expand("yr funding") == []  # short forms only as written
    assert s.expand("Out-of-county schools") == ["OOC"]  # a hyphen is a space
    assert s.expand("SENIAR and SENIAX") == []  # whole words only
