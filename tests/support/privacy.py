"""The real questioners' personal data, known to the tests only by salted digests.

The published documents name questioners, their schools and addresses, and people they
met. The repository must never hold them, not even in a test, so a test looks for them
by digest: every window of one to three words of a text is normalised (case folded,
split at anything not a letter or digit, so "Jo Bloggs-Smith", "jo.bloggs-smith@..." and
"JO BLOGGS SMITH" all give the same words), salted, hashed with SHA-256 and looked up in
REAL. To add a name: hash its words with `digest_of` in a Python shell and add the digest,
never the name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

SALT = b"digest: content/sources holds no questioner's personal data\n"
LONGEST = 3  # words in a window: the longest name kept here has three ("First Le Last")

# The real questioners' first names, surnames and whole names, their schools' names and
# their address's parts, and the people a questioner named (issue 19): 17 windows of
# one to three words, from the July 2025 document.
REAL = frozenset(
    {
        "2cff35f9d342fda3", "0be55368790d53f1", "c1ebf8e4b2ac89c9", "5e5206fdebe9a1d5", "4253caba0d132774",
        "ae483beedc8363e7", "ad733c81ed0ab90f", "a37aec4bc4ae7fa5", "e881f995dde15024", "223b841dfcbe5b04",
        "fa31427c33ad6158", "861495ee6a72b806", "b119230318fb7d08", "0ffc587b6bcc573d", "2d3f419fc302123b",
        "a04c98db7a52d55e", "6e8f9d7743139f17",
    }
)  # fmt: skip


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def digest_of(window: str) -> str:
    """The digest of a window of words as REAL stores it."""
    return hashlib.sha256(SALT + " ".join(words(window)).encode("utf-8")).hexdigest()[:16]


def windows(text: str, longest: int = LONGEST) -> Iterator[tuple[int, str]]:
    """(line number, window) for every run of one to `longest` words of each line."""
    for number, line in enumerate(text.splitlines(), 1):
        found = words(line)
        for start in range(len(found)):
            for size in range(1, longest + 1):
                if start + size <= len(found):
                    yield number, " ".join(found[start : start + size])


_SALTED = hashlib.sha256(SALT)


def _hit(window: str, wanted: frozenset[str]) -> bool:
    h = _SALTED.copy()
    h.update(window.encode("utf-8"))
    return h.hexdigest()[:16] in wanted


def found(text: str, digests: Iterable[str] = REAL) -> list[tuple[int, str]]:
    """(line number, window) for each window of text whose digest is among digests."""
    wanted = frozenset(digests)
    return [(number, window) for number, window in windows(text) if _hit(window, wanted)]


def found_in(texts: Iterable[tuple[str, str]], digests: Iterable[str] = REAL) -> list[tuple[str, str]]:
    """(where, window) for each window of any of the (where, text) pairs whose digest is
    among digests, each window once (a built site repeats most of its words)."""
    wanted, first = frozenset(digests), {}
    for where, text in texts:
        for _, window in windows(text):
            first.setdefault(window, where)
    return [(where, window) for window, where in first.items() if _hit(window, wanted)]
