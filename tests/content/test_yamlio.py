"""The safe YAML reader: positions, and every kind of hostile or broken input refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.content import yamlio
from digest.content.yamlio import MAX_BYTES, load_yaml, parse_yaml


def one_problem(text: str) -> str:
    located, problems = parse_yaml(text, "f.yaml")
    assert located is None
    assert len(problems) == 1
    return str(problems[0])


def test_positions_are_recorded_for_keys_and_list_items() -> None:
    located, problems = parse_yaml("a: 1\nlist:\n  - x: 2\n  - y: 3\n", "f.yaml")
    assert problems == []
    assert located.data == {"a": 1, "list": [{"x": 2}, {"y": 3}]}
    assert located.where(("list", 1, "y")) == (4, 5)
    assert located.where(("list", 1, "missing")) == (4, 5)


def test_anchors_and_aliases_are_refused() -> None:
    text = "a: &x [1, 2]\nb: *x\n"
    assert (
        one_problem(text)
        == "f.yaml:1:4: anchors and aliases (&name, *name) are not allowed (write the value out in full)"
    )


def test_billion_laughs_is_refused_before_expansion() -> None:
    lines = ['a: &a ["lol","lol"]'] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)
    ]
    assert "anchors and aliases" in one_problem("\n".join(lines))


def test_python_tags_are_refused() -> None:
    assert one_problem("a: !!python/object/apply:os.system ['true']\n") == (
        "f.yaml:1:4: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed (remove the tag; plain values only)"
    )


def test_custom_tags_are_refused() -> None:
    assert "tag '!include' is not allowed" in one_problem("a: !include other.yaml\n")


def test_duplicate_keys_are_refused() -> None:
    assert (
        one_problem("a: 1\nb: 2\na: 3\n") == "f.yaml:3:1: a: key 'a' appears twice in this mapping (keep one of them)"
    )


def test_merge_keys_are_refused() -> None:
    assert "merge keys (<<) are not allowed" in one_problem("a:\n  <<: {b: 1}\n")


def test_syntax_error_names_line_and_column() -> None:
    assert one_problem("a: [1, 2\nb: 3\n").startswith("f.yaml:2:")


def test_deep_nesting_is_refused() -> None:
    assert "nested" in one_problem("a: " + "[" * 200 + "]" * 200)


def test_oversize_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (MAX_BYTES + 1))
    located, problems = load_yaml(big, "big.yaml")
    assert located is None
    assert "over the 1,048,576-byte limit" in str(problems[0])


def test_non_utf8_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: caf\xe9\n")
    _, problems = load_yaml(bad, "bad.yaml")
    assert str(problems[0]) == "bad.yaml:2:1: file is not UTF-8 text (save it as UTF-8)"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_reader(text: str) -> None:
    located, problems = parse_yaml(text, "f.yaml")
    assert (located is None) == bool(problems)
    for p in problems:
        assert p.file == "f.yaml" and p.line >= 1 and p.column >= 1


YAMLISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.dates()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: x\nsections:\n  - id: a\n    items:\n      - id: q\n        question: Why?\n       answer: Because\n",
            "f.yaml:7:1: indented differently from the lines it belongs with (7 spaces, the line above's keys 8)",
        ),
        (
            "id: x\nsections:\n  - id: a\n    items:\n      - id: q\n      question: Why?\n",
            "f.yaml:6:1: indented differently from the lines it belongs with (6 spaces, the line above's keys 8)",
        ),
        (
            "id: x\nsections:\n  - id: a\n    items:\n      - id: q\n        question: Why?\n          answer: Because\n",
            "f.yaml:7:11: 'answer' is indented more than the line above, so it reads as part of that value",
        ),
        ("id: x\nsections:\n  - id: a\n\titems: []\n", "f.yaml:4:1: indented with a tab (YAML indents with spaces only"),
        ("id: x\ntitle: Forum: July\n", "f.yaml:2:13: a colon and a space inside the value of 'title' (put the value in quotes"),
        ('id: x\ntitle: "Forum\nfoo: bar\n', "f.yaml:2:8: a quote opened here is never closed"),
        ("id: x\ntitle 'x'\nfoo: y\n", "f.yaml:2:1: a key without a colon"),
    ],
)  # fmt: skip
def test_syntax_errors_name_the_likely_line_and_say_plainly_what_is_wrong(text: str, expected: str) -> None:
    """Not the parser's words ("expected <block end>, but found '?'") at the line after."""
    _, problems = parse_yaml(text, "f.yaml")
    [problem] = problems
    assert str(problem).startswith(expected), str(problem)
    assert "<block" not in str(problem) and "'?'" not in str(problem)


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\x85", "\u2028", "\u2029"])
def test_a_syntax_error_in_a_file_with_other_line_ends_is_placed_at_its_line(brk: str) -> None:
    # PyYAML starts a line at CR, NEL, LS and PS too: a file saved with CR line ends, or one
    # stray NEL, has more lines than split("\n") makes (this was an IndexError, issue 19)
    text = brk.join(["a: 1", "b:", "  c: 2", " d: 3", "e: [1,", "f: x: y", ""])
    assert one_problem(text).startswith("f.yaml:4:1: indented differently from the lines it belongs with")
    assert one_problem(brk.join(["a: 1", "b: \x01"])) == (
        "f.yaml:2:4: YAML: unacceptable character #x0001: special characters are not allowed "
        "(remove control characters from the file)"
    )


def both_parsers(text: str) -> tuple[object, object]:
    """What the fast path (libyaml's parser under digest's composer) and the reference
    (PyYAML's own) give for text: data, positions and problems."""
    from digest.content import yamlio

    def seen(fast: bool) -> object:
        yamlio.FAST = fast
        try:
            located, problems = parse_yaml(text, "f.yaml")
        finally:
            yamlio.FAST = True
        return (located.data, located.positions, located.values) if located else None, [str(p) for p in problems]

    return seen(True), seen(False)


def test_libyaml_is_used_and_reads_every_yaml_file_of_the_repository_as_the_reference_does() -> None:
    from support import REPO

    from digest.content import yamlio

    assert yamlio.FAST  # PyYAML's wheels carry libyaml
    files = sorted((REPO / "content").rglob("*.yaml")) + sorted((REPO / "tests").rglob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        fast, reference = both_parsers(path.read_text(encoding="utf-8"))
        assert fast == reference, path


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_the_fast_parser_agrees_with_the_reference_on_any_text(text: str) -> None:
    fast, reference = both_parsers(text)
    assert fast == reference


@settings(max_examples=200, deadline=None)
@given(YAMLISH, st.sampled_from(["\n", "\r\n", "\r", "\x85", "\u2028"]))
def test_the_fast_parser_agrees_with_the_reference_on_any_document(value: object, brk: str) -> None:
    import yaml

    text = yaml.safe_dump({"root": value}, allow_unicode=True).replace("\n", brk)
    fast, reference = both_parsers(text)
    assert fast == reference


def test_a_full_parse_cache_forgets_the_file_least_recently_read_not_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview's reload parses only the changed file even when the cache is full (many
    other sites were read in the same process): the other files stay remembered."""
    monkeypatch.setattr(yamlio, "_PARSED", {})
    files = [tmp_path / f"f{i}.yaml" for i in range(64)]
    for i, f in enumerate(files):
        f.write_text(f"n: {i}\n", encoding="utf-8")
        yamlio.load_yaml(f, f.name, remember=True)
    parsed: list[str] = []
    real = yamlio.parse_yaml
    monkeypatch.setattr(yamlio, "parse_yaml", lambda text, display: parsed.append(display) or real(text, display))
    files[-1].write_text("n: changed\n", encoding="utf-8")
    for f in [files[-1], *files[:5]]:
        yamlio.load_yaml(f, f.name, remember=True)
    assert parsed == ["f63.yaml"]
