"""What every reader of a document gives (digest.importer.source, .word, .pdf): paragraphs,
some in lists, and tables of them. Nothing here imports the rest of digest, so the child
process that reads a Word document loads only what reading it needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Para:
    """One paragraph as inline Markdown; `level` is its list depth (0 = top), None if
    it is not in a list."""

    text: str
    level: int | None = None
    numbered: bool = False
    heading: int | None = None  # a Word heading style's level (Title 0, Heading 1 1, ...) or Markdown's "#"s


@dataclass
class Table:
    rows: list[list[list[Para]]] = field(default_factory=list)  # rows, their cells, each cell's paragraphs


Block = Para | Table
