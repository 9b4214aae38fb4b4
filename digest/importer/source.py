"""Reading a published Q&A document into blocks: paragraphs (some in lists) and tables.

Three readers give the same blocks (digest.importer.blocks), so everything after them is
one code path:

- `.docx` through python-docx (digest.importer.word): the body in order (paragraphs and
  tables), each run's bold and italics and each hyperlink written as inline Markdown, a
  list paragraph's level and whether it is numbered (from its numbering, or its "List
  Bullet 2" style);
- `.pdf` through pypdf, its lines joined into paragraphs (digest.importer.pdf);
- `.txt` / `.md` in the seeds' plain-text form: "- " bullets indented one or three
  spaces for the answers and the lists inside them, inline Markdown already there,
  tables as tab-separated lines under a "Question/comment<TAB>Response" header line.

The readers only transcribe. Which paragraph is a heading, a question or an answer is
decided in digest.importer.parse.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from digest.errors import DigestError
from digest.importer.blocks import Block, Para, Table

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (".docx", ".pdf", *TEXT_SUFFIXES)


# "Question/comment<TAB>Response", "Question/ comment", "Question / Comment" alone
HEADER = re.compile(r"^\s*questions?\s*(?:/|and|&)?\s*(?:comments?)?\s*(?:\t+\s*(?:responses?|answers?)\s*)?$", re.I)


def read(path: Path) -> tuple[list[Block], str]:
    """The blocks of the document at path, and the kind it was read as ("docx", "pdf" or
    "text"). Word and PDF files are read in a child process under limits (digest.importer.safety)."""
    return Reading(path).result()


class Reading:
    """A document being read: a Word or PDF file's child process is started when this is
    made, so that it reads while digest import loads the rest of itself (the two run on two
    cores). What would refuse the document is kept and raised by `result`, so a mistake
    found first elsewhere (a wrong --id) is still the one reported first. `stop` ends a
    child whose answer is no longer wanted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = "text"
        self.child: Any = None
        self.refused: DigestError | None = None
        try:
            self._start()
        except DigestError as exc:
            self.refused = exc

    def _start(self) -> None:
        from digest.importer import safety

        path = self.path
        suffix = path.suffix.lower()
        if suffix == ".doc":
            raise DigestError(f"{path} is an old Word (.doc) file: open it in Word and save it as .docx")
        if suffix not in SUFFIXES:
            raise DigestError(f"{path}: cannot import a '{suffix or 'no suffix'}' file (use .docx, .pdf, .txt or .md)")
        safety.regular_file(path)
        if suffix == ".docx":
            safety.check_zip(path)
            self.kind, self.child = "docx", safety.Child("docx", path)
        elif suffix == ".pdf":
            with path.open("rb") as fh:
                if not fh.read(1024).lstrip().startswith(b"%PDF"):
                    raise DigestError(f"{path} is not a PDF (it does not start with %PDF)")
            self.kind, self.child = "pdf", safety.Child("pdf", path)

    def result(self) -> tuple[list[Block], str]:
        if self.refused is not None:
            raise self.refused
        if self.child is not None:
            return _blocks(self.child.blocks()), self.kind
        return read_text(decode(self.path)), "text"

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


def _blocks(dicts: list[dict[str, Any]]) -> list[Block]:
    return [
        Table([[[Para(**p) for p in cell] for cell in row] for row in b["rows"]]) if "rows" in b else Para(**b)
        for b in dicts
    ]


def decode(path: Path) -> str:
    """A text file's text: UTF-8 (with or without a BOM), UTF-16 (with a BOM, or without one
    when every other byte is zero), else Windows-1252 as Word on Windows saves it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DigestError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise DigestError(f"{path} is a Word document or another zip file: name it .docx")
    encoding = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1:200:2].count(0) > 0.9 * len(data[1:200:2]):
        encoding = "utf-16-le"
    elif len(data) >= 4 and data[0:200:2].count(0) > 0.9 * len(data[0:200:2]):
        encoding = "utf-16-be"
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise DigestError(f"{path} looks like UTF-16 text but does not decode as it: save it as UTF-8") from None
    if b"\x00" in data[:4096]:
        raise DigestError(f"{path} is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # text saved from Word on Windows


# -- plain text -------------------------------------------------------------------------
_BULLET = re.compile(r"^( *)[-*•]\s+(?:o\s+)?(.*)$")
_NUMBERED = re.compile(r"^( *)\d{1,2}[.)]\s+(.*)$")
_LABEL = re.compile(
    r"^\s*\**\s*(?:Q|A|Question|Answer|Response|Reply|Comment)\s*\d{0,3}\s*(?:[:.)]\s|[:.)]?\s*\**\s*$)", re.I
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def read_text(text: str) -> list[Block]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    after = {a: b for a, b in zip(nonblank, nonblank[1:], strict=False)}  # the next non-blank line

    def heads_a_table(i: int) -> bool:
        return i in after and bool(HEADER.match(lines[after[i]]))

    # A numbered title on a line of its own ("3. Funding for pupils awaiting assessment")
    # with its answer on the next line starts a new paragraph there. In a document wrapped
    # at a fixed width (its sentences run on to lines that start in lower case), a line is
    # taken as wrapped, and continued, when the next line's first word would not have
    # fitted on it within the document's longest line.
    runs_on = sum(
        1
        for a, b in zip(lines, lines[1:], strict=False)
        if a.strip() and b.strip()[:1].islower() and not a.rstrip().endswith((".", "?", "!", ":", ";"))
    )
    width = max((len(line.rstrip()) for line in lines), default=0) if runs_on >= 2 else 10**9

    def titled(para: Para, line: str) -> bool:
        return (
            para is numbered_line
            and not para.text.rstrip().endswith((".", ":", ";", ",", "?", "!"))
            and numbered_width + 1 + len(line.split()[0]) <= width
            and line.strip()[:1].isupper()
            and len(line.split()) >= 3  # a sentence, not an address or a phone number under a point
        )

    blocks: list[Block] = []
    table: Table | None = None
    para: Para | None = None  # the paragraph that later lines continue
    numbered_line: Para | None = None  # the top-level numbered paragraph being read, if any
    numbered_width = 0  # the length of its last line
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            para = None
            continue
        if HEADER.match(line):
            table = Table()
            blocks.append(table)
            table.rows.append([[Para(c.strip())] for c in line.split("\t") if c.strip()])
            para = None
            continue
        if table is not None:
            if "\t" not in line and (heads_a_table(i) or _BULLET.match(line)):
                table = None  # the heading of the next table, or a list after the table
            else:
                table.rows.append([[Para(c)] for c in line.split("\t", 1)])
                continue
        hashes = _MD_HEADING.match(line)
        if hashes:
            blocks.append(Para(hashes.group(2).strip(), heading=len(hashes.group(1))))
            para = None
            continue
        listed = _BULLET.match(line) or _NUMBERED.match(line)
        if listed:
            indent, body = len(listed.group(1)), listed.group(2)
            para = Para(body.strip(), (indent + 1) // 2, listed.re is _NUMBERED)
            numbered_line, numbered_width = (para if para.numbered and para.level == 0 else None), len(line)
            blocks.append(para)
        elif (
            para is not None and not _LABEL.match(line) and not _LABEL.match(para.text + " ") and not titled(para, line)
        ):
            para.text += " " + line.strip()  # a wrapped line, or an address under its bullet
            numbered_width = len(line)  # a wrapped title: its last line says whether it ends there
        else:
            para = Para(line.strip())
            blocks.append(para)
    return blocks
