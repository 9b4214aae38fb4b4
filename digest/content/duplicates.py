"""One rule for "this question repeats that one", used by `digest check` (a warning) and
by `digest import` (which merges them), so a fresh import never draws repeat warnings.

Two questions are the same when their words, compared without case, punctuation or
Markdown, match by SIMILAR (difflib's ratio over at most COMPARED characters of each),
and at least OVERLAP of the longer one's distinct words are in the other (a cheap test
first: two questions that share few words are never that close).

Finding them takes time in proportion to the document, not to the square of it: each
question is compared only with the earlier ones that share enough of its words, found
through an index of words to questions (a word in more than COMMON questions says
nothing and is left out of the index). 5,000 paragraphs take a few seconds
(bench/imports.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher

from digest.content import wording

SIMILAR = 0.9
COMPARED = 2_000  # characters of each question compared: the comparison is quadratic in them
COMMON = 64  # a word in more questions than this is not indexed
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    """Text as compared: no case, punctuation, Markdown or spacing."""
    return " ".join(_NOT_ALNUM.sub(" ", wording.plain(text).lower()).split())


OVERLAP = 0.6  # of the longer question's distinct words: below it, no two questions are SIMILAR


def overlap(a: str, b: str) -> float:
    """The share of the longer question's distinct words that the other has too."""
    wa, wb = set(a.split()), set(b.split())
    return len(wa & wb) / max(len(wa), len(wb), 1)


def same(a: str, b: str, matcher: SequenceMatcher) -> bool:
    """Whether normed questions a and b are the same question (the matcher holds b as its
    second sequence): enough words in common first, then difflib's ratio."""
    if not a or not b or overlap(a, b) < OVERLAP:
        return a == b
    matcher.set_seq1(a)
    return ratio(matcher, SIMILAR) >= SIMILAR


def ratio(matcher: SequenceMatcher, floor: float) -> float:
    """The matcher's ratio, or 0.0 when its cheap upper bounds are already below floor."""
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


class Index:
    """Earlier questions by their words: `near` gives those that share at least `share`
    of a question's indexed words, in the order they were added."""

    def __init__(self) -> None:
        self.postings: defaultdict[str, list[int]] = defaultdict(list)
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.size = 0

    def add(self, normed: str, key: int | None = None) -> int:
        key = self.size if key is None else key
        self.size = max(self.size, key + 1)
        self.exact[normed].append(key)
        for word in set(normed.split()):
            posting = self.postings[word]
            if len(posting) <= COMMON and (not posting or posting[-1] != key):
                posting.append(key)
        return key

    def near(self, normed: str, share: float) -> list[int]:
        words = [w for w in set(normed.split()) if len(self.postings.get(w, ())) <= COMMON]
        counts: Counter[int] = Counter()
        for w in words:
            counts.update(self.postings.get(w, ()))
        need = max(1, int(share * len(words)))
        found = {k for k, n in counts.items() if n >= need} | set(self.exact.get(normed, ()))
        return sorted(found)


def repeats(questions: list[str]) -> list[tuple[int, int]]:
    """(i, j) for each question j that repeats an earlier question i (the first it repeats)."""
    out = []
    index = Index()
    normed = [norm(q)[:COMPARED] for q in questions]
    matcher = SequenceMatcher(None, autojunk=False)
    for j, qb in enumerate(normed):
        matcher.set_seq2(qb)  # indexed once, compared with the earlier questions that share its words
        for i in index.near(qb, 0.5) if qb else []:
            if same(normed[i], qb, matcher):
                out.append((i, j))
                break
        index.add(qb, j)
    return out
