"""A text PDF's paragraphs, through pypdf (pure Python, no native code to crash, kept up
to date; pdfplumber adds pdfminer and Pillow for tables we would not use).

A PDF has lines, not paragraphs: a line continues the one above unless that one ends a
sentence or a label, is short (the end of a paragraph), or this one starts a list item,
a number or a label ("Q:", "Answer:"). Page numbers and lines repeated on every page are
dropped as page furniture. The paragraphs then go through the plain-text reader, so
"1." and "•" lines are lists there as in a .txt file. A PDF that is only scanned images
has no text: that is said, not guessed at.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from digest.errors import DigestError

MAX_PAGES = 300
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?\s*$", re.I)
_STARTS = re.compile(
    r"^\s*(?:[-•●▪◦*]\s|\d{1,2}[.)]\s|[a-z][.)]\s|(?:q|a|question|answer|response|comment)\s*\d*\s*[:.)-]\s)", re.I
)


def read_pdf(path: Path) -> list[Any]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from digest.importer.source import read_text

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DigestError(f"{path} is a password-protected PDF: save an unprotected copy and import that")
        if len(reader.pages) > MAX_PAGES:
            raise DigestError(f"{path} has {len(reader.pages)} pages; a Q&A document has far fewer (limit {MAX_PAGES})")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PyPdfError as exc:
        raise DigestError(f"{path} is not a PDF that can be read ({exc})") from None
    if not "".join(pages).strip():
        raise DigestError(f"{path} has no text (a scanned PDF?): import the Word document it was made from")
    return read_text(paragraphs(pages))


def paragraphs(pages: list[str]) -> str:
    """The pages' lines joined into paragraphs, one to a line, blank lines between."""
    per_page = [[ln.strip() for ln in p.splitlines() if ln.strip()] for p in pages]
    counts = Counter(ln for lines in per_page for ln in set(lines))
    furniture = {ln for ln, n in counts.items() if n >= 3 and len(pages) >= 3}
    lines = [ln for lines in per_page for ln in lines if ln not in furniture and not _PAGE_NUMBER.match(ln)]
    width = sorted(len(ln) for ln in lines)[int(len(lines) * 0.9)] if lines else 0
    out: list[str] = []
    last = ""  # the line before, as the PDF laid it out
    for ln in lines:
        ends = re.search(r"[.?!:;]['\"”’)]*$", last) is not None
        if out and not ends and len(last) >= 0.7 * width and not _STARTS.match(ln):
            out[-1] = f"{out[-1]} {ln}"
        else:
            out.append(ln)
        last = ln
    return "\n\n".join(out) + "\n"
