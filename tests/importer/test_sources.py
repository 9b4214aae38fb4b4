"""content/sources/: the source documents, the organiser's record of what each forum came
from, hold none of the real questioners' personal data (looked for by digest, so this
file names nobody), and the fixtures built from them put invented questioners back."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import REPO, SOURCES
from support.privacy import REAL, digest_of, found
from support.seed_docx import INVENTED, JULY, MARCH, source_text

SOURCE_FILES = sorted(SOURCES.glob("*.txt"))

# The invented questioners of the fixtures, written as the real ones were: whole names,
# a name inside an address, a school, a name with a particle.
INVENTED_WINDOWS = ["Rowan Ashby-Fenwick", "r.ashby-fenwick", "st-ebbas", "Thornfield Rise", "Ottilie", "Joss Le Fevre"]


def test_each_forum_has_its_source() -> None:
    assert [p.name for p in SOURCE_FILES] == [MARCH, JULY]
    for path in SOURCE_FILES:
        assert (REPO / "content" / "forums" / f"{path.stem}.yaml").is_file(), path.name


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_no_real_questioner_is_in_a_source(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.split()) > 2000  # the whole document, not a stub
    left = [f"content/sources/{path.name}, line {n}: {w!r}" for n, w in found(text)]
    assert left == [], (
        "a questioner's personal data: replace it with [name removed], [school removed] or [email removed]"
    )


def test_the_digests_find_a_name_in_every_shape() -> None:
    """The same look-up, with the invented questioners' digests, finds each of them in the
    fixture text, and none in the source: a name, a hyphenated surname, an address's parts,
    a school, a name with a particle."""
    invented = {digest_of(w): w for w in INVENTED_WINDOWS}
    assert len(REAL) == 17 and not set(invented) & REAL
    fixture, source = source_text(JULY), (SOURCES / JULY).read_text(encoding="utf-8")
    hits = {w for _, w in found(fixture, invented)}
    assert hits == {" ".join(w.lower().replace("-", " ").replace(".", " ").split()) for w in INVENTED_WINDOWS}
    assert found(source, invented) == []
    assert found(fixture) == []  # and the invented ones are not the real ones


def test_the_fixtures_put_invented_questioners_where_the_markers_are() -> None:
    source, fixture = (SOURCES / JULY).read_text(encoding="utf-8"), source_text(JULY)
    assert source.count("[name removed]") == 4 and "[email removed]" in source and "[school removed]" in source
    assert " removed]" not in fixture
    assert len(source.splitlines()) == len(fixture.splitlines())  # the document's layout kept, line by line
    for marked, invented in INVENTED[JULY]:
        assert marked in source and invented in fixture
    assert source_text(MARCH) == (SOURCES / MARCH).read_text(encoding="utf-8")  # no questioner named there
