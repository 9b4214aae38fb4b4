"""`digest check` takes time in proportion to the text, however long a question is.

Not by timing it (the machine is shared): by the shape of every pattern that reads what
people write. Python's regular expressions backtrack, so a search is linear when every
attempt at one position takes a bounded number of steps: every repeat has an upper
bound, except a run of one character class at the very end of the pattern, which
cannot fail once it has started. An unbounded repeat followed by more pattern is the
quadratic case: `[\\w.+-]+@...`, the old address pattern, ran to the end of every word
from each of its letters (17 s for a 100,000-character question, 48 s for one made of
`Ref: ` lines under the named-questioner pattern).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import re._constants as sre
import re._parser as sre_parse
from pathlib import Path

import pytest

import digest.content
import digest.schedules
from digest.content import checks, duplicates
from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.errors import Problem, Problems
from digest.settings import load_settings

REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
ONE_CHARACTER = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY)


def backtracking(pattern: re.Pattern) -> list[str]:
    """Why a search with this pattern may be worse than linear ([] when it cannot be)."""
    found: list[str] = []

    def walk(seq: sre_parse.SubPattern | list, at_end: bool) -> None:
        items = list(seq)
        for i, (op, av) in enumerate(items):
            last = at_end and i == len(items) - 1
            if op in REPEATS:
                low, high, sub = av
                single = len(sub) == 1 and sub[0][0] in ONE_CHARACTER
                if high == sre.MAXREPEAT and not (last and single and op != sre.MIN_REPEAT):
                    found.append(f"unbounded repeat at item {i}: {list(sub)!r:.80}")
                walk(sub, False)
            elif op == sre.SUBPATTERN:
                walk(av[3], last)
            elif op == sre.BRANCH:
                for branch in av[1]:
                    walk(branch, last)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(av[1], False)
            elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS, sre.ATOMIC_GROUP):
                found.append(f"{op} at item {i}")

    walk(sre_parse.parse(pattern.pattern, pattern.flags), True)
    return found


def reading_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern (alone or in a list) at the top of a module that `digest
    check` runs: the content and schedule packages."""
    out = {}
    for package in (digest.content, digest.schedules):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, value in vars(module).items():
                for i, p in enumerate(value if isinstance(value, list | tuple) else [value]):
                    if isinstance(p, re.Pattern):
                        out[f"{module.__name__}.{name}" + (f"[{i}]" if isinstance(value, list | tuple) else "")] = p
    return out


def test_the_checker_tells_linear_patterns_from_quadratic_ones() -> None:
    assert backtracking(re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"))  # the old address pattern
    assert backtracking(re.compile(r"\bRef:\s*[^.]*\bSENCO"))
    assert backtracking(re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?$"))  # the old duration pattern: cubic on spaces
    assert backtracking(re.compile(r"(a|b)\1"))
    assert backtracking(re.compile(r"a+?"))
    assert backtracking(re.compile(r"(?:ab)+"))  # a run of a group, not of one character class
    assert backtracking(re.compile(r"[^a-z0-9 ]+")) == []  # a run at the very end cannot fail once started
    assert backtracking(re.compile(r"x(?:a|b[cd]{1,9})\s{0,8}[^.]+")) == []
    assert backtracking(re.compile(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b")) == []


def test_every_pattern_that_reads_content_and_schedules_is_linear() -> None:
    patterns = reading_patterns()
    assert {
        "digest.content.checks._EMAIL",
        "digest.content.checks._NAMED[1]",
        "digest.schedules.files._DURATION",
    } <= set(patterns)
    assert {name: why for name, p in patterns.items() if (why := backtracking(p))} == {}


def test_near_duplicates_index_each_question_once_and_compare_a_bounded_length(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs of questions are compared (that is what finding a repeat means), but each
    comparison is of at most COMPARED characters, and each question is indexed once."""
    seen: list[tuple[str, int]] = []

    class Counting(duplicates.SequenceMatcher):
        def set_seq1(self, a: str) -> None:
            seen.append(("a", len(a)))
            super().set_seq1(a)

        def set_seq2(self, b: str) -> None:
            seen.append(("b", len(b)))
            super().set_seq2(b)

    forum = site_dir / "content" / "forums" / "2025-07-test.yaml"
    long = "Why " + "is the annual review late " * 20_000 + "?"
    forum.write_text(
        forum.read_text().replace(
            "question: How does this work for out of authority areas such as Medway?", f"question: '{long}'"
        )
    )
    monkeypatch.setattr(duplicates, "SequenceMatcher", Counting)  # the rule digest check and the importer share
    site = load_site(load_settings(site_dir))
    checks.near_duplicates(site)
    items = len(site.forums["2025-07-test"].items)
    assert [kind for kind, _ in seen].count("b") == items + 1  # one index per question (and one empty, made first)
    assert max(n for _, n in seen) == checks.COMPARED < len(long)


def test_a_question_of_a_million_characters_is_checked_and_its_warnings_found(site_dir: Path) -> None:
    """The shapes that were quadratic, at the size of the largest file digest reads (1 MiB),
    with what the warnings look for at the far end: each is found."""
    forum = site_dir / "content" / "forums" / "2025-07-test.yaml"
    words = "x" * 300_000  # one long word: the old address pattern's worst case
    refs = "Ref: year 6 " * 50_000  # many `Ref:` without a name: the old named-questioner pattern's
    question = f"{words} {refs} regards, Jane Smith at jane@school.example.org"
    forum.write_text(
        forum.read_text().replace(
            "question: How does this work for out of authority areas such as Medway?", f"question: '{question}'"
        )
    )
    site = run_checks(load_site(load_settings(site_dir)))
    assert site.problems.errors == []
    found = {p.message for p in site.problems.warnings}
    assert {"question contains an email address", "question may name the questioner: 'regards, Jane Smith'"} <= found


def test_collecting_thousands_of_problems_compares_each_new_one_with_few(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MiB file with a mistake on every item gives thousands of problems; each is
    checked against those already collected by hash, not against every one of them."""
    comparisons = 0
    equal = Problem.__eq__

    def counting(self: Problem, other: object) -> bool:
        nonlocal comparisons
        comparisons += 1
        return equal(self, other)

    monkeypatch.setattr(Problem, "__eq__", counting)
    problems = Problems()
    made = [Problem("content/forums/x.yaml", n, 9, "status", "'answerd' is not allowed here") for n in range(1, 5001)]
    for p in made + made[:10]:  # the last ten again: kept once
        problems.add(p)
    assert comparisons <= 20
    assert problems.items == made
