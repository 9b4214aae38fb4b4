"""Reading a published Q&A document into blocks: paragraphs (some in lists) and tables.

Two readers give the same blocks, so everything after them is one code path:

- `.docx` through python-docx: the body in order (paragraphs and tables), each run's
  bold and italics and each hyperlink written as inline Markdown, a list paragraph's
  level and whether it is numbered (from its numbering, or its "List Bullet 2" style);
- `.pdf` through pypdf, its lines joined into paragraphs (digest.importer.pdf);
- `.txt` / `.md` in the seeds' plain-text form: "- " bullets indented one or three
  spaces for the answers and the lists inside them, inline Markdown already there,
  tables as tab-separated lines under a "Question/comment<TAB>Response" header line.

The readers only transcribe. Which paragraph is a heading, a question or an answer is
decided in digest.importer.parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.errors import DigestError

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (".docx", ".pdf", *TEXT_SUFFIXES)


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

    blocks: list[Block] = []
    table: Table | None = None
    para: Para | None = None  # the paragraph that later lines continue
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
            blocks.append(para)
        elif para is not None and not _LABEL.match(line) and not _LABEL.match(para.text + " "):
            para.text += " " + line.strip()  # a wrapped line, or an address under its bullet
        else:
            para = Para(line.strip())
            blocks.append(para)
    return blocks


# -- Word ----------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_STYLE_LEVEL = re.compile(r"^List(?: (Bullet|Number|Paragraph|Continue))?(?: (\d))?$")


def read_docx(path: Path) -> list[Block]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table as DocxTable

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DigestError(f"{path} is not a Word document that can be read ({exc})") from None
    formats = _Formats(_number_formats(document), _list_styles(document))
    blocks: list[Block] = []
    for part in document.iter_inner_content():
        if isinstance(part, DocxTable):
            blocks.append(_table(part, formats))
        elif (p := _para(part, formats)) is not None:
            blocks.append(p)
    return blocks


@dataclass
class _Formats:
    """What a paragraph's list level is read from, looked up once per document."""

    numbers: dict[tuple[str, int], str]  # (numId, level) -> numFmt
    styles: dict[str, tuple[str, bool]]  # style id -> (name, whether the style is a numbered list)


def _list_styles(document: Any) -> dict[str, tuple[str, bool]]:
    out = {}
    for style in document.styles:
        ppr = getattr(style.element, "pPr", None)
        out[style.style_id] = (style.name or "", ppr is not None and ppr.numPr is not None)
    return out


def _table(table: Any, formats: _Formats) -> Table:
    out = Table()
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a cell merged across columns is listed once per column
                continue
            seen.add(id(cell._tc))
            cells.append([p for p in (_para(x, formats) for x in cell.paragraphs) if p is not None])
        out.rows.append(cells)
    return out


def _para(paragraph: Any, formats: _Formats) -> Para | None:
    from docx.text.hyperlink import Hyperlink

    pieces: list[tuple[str, bool, bool]] = []  # (text, bold, italic), links already Markdown
    for inner in paragraph.iter_inner_content():
        if isinstance(inner, Hyperlink):
            url = inner.url or ("#" + inner.fragment if inner.fragment else "#")
            bold = bool(inner.runs) and all(r.bold for r in inner.runs if r.text.strip())
            pieces.append((f"[{inner.text.strip()}]({url})", bold, False))
        else:
            pieces.append((inner.text.replace("\t", " ").replace("\n", " "), bool(inner.bold), bool(inner.italic)))
    text = _markdown(pieces).strip()
    if not text:
        return None
    level, numbered = _list_level(paragraph, formats)
    return Para(text, level, numbered, _heading_level(paragraph, formats))


_HEADING_STYLE = re.compile(r"^(?:Heading (\d)|Title|Subtitle)$", re.I)


def _heading_level(paragraph: Any, formats: _Formats) -> int | None:
    ppr = paragraph._p.pPr
    style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
    m = _HEADING_STYLE.match(formats.styles.get(style_id or "", ("", False))[0])
    if m:
        return int(m.group(1)) if m.group(1) else 0
    outline = ppr.find(f"{_W}outlineLvl") if ppr is not None else None
    if outline is not None and (val := outline.get(f"{_W}val", "")).isdigit() and int(val) < 9:
        return int(val) + 1
    return None


def _markdown(pieces: list[tuple[str, bool, bool]]) -> str:
    """Runs as inline Markdown: neighbouring runs of one format joined first, so that
    Word's habit of splitting a bold phrase into many runs gives one **phrase**."""
    merged: list[list[Any]] = []
    for text, bold, italic in pieces:
        if merged and (merged[-1][1], merged[-1][2]) == (bold, italic):
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    out = []
    for text, bold, italic in merged:
        core = text.strip()
        if not core or not (bold or italic):
            out.append(text)
            continue
        mark = ("**" if bold else "") + ("*" if italic else "")
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        out.append(f"{lead}{mark}{core}{mark[::-1]}{trail}")
    return "".join(out)


def _list_level(paragraph: Any, formats: _Formats) -> tuple[int | None, bool]:
    ppr = paragraph._p.pPr
    num = ppr.numPr if ppr is not None else None
    style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
    style, style_listed = formats.styles.get(style_id or "", ("", False))  # (not paragraph.style: slow)
    styled = _STYLE_LEVEL.match(style)
    if num is not None and num.numId is not None and num.numId.val:
        level = int(num.ilvl.val) if num.ilvl is not None else 0
        if styled and styled.group(2) and num.ilvl is None:
            level = int(styled.group(2)) - 1
        fmt = formats.numbers.get((str(num.numId.val), level), "")
        return level, fmt not in ("", "bullet", "none") or "Number" in style
    if styled and (styled.group(1) in ("Bullet", "Number") or style_listed):
        return (int(styled.group(2)) - 1 if styled.group(2) else 0), styled.group(1) == "Number"
    return None, False


def _number_formats(document: Any) -> dict[tuple[str, int], str]:
    """(numId, level) -> numFmt ("bullet", "decimal", ...) from the numbering part."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract = {}
    for a in numbering.iter(f"{_W}abstractNum"):
        levels = {}
        for lvl in a.iter(f"{_W}lvl"):
            fmt = lvl.find(f"{_W}numFmt")
            levels[int(lvl.get(f"{_W}ilvl", "0"))] = fmt.get(f"{_W}val", "") if fmt is not None else ""
        abstract[a.get(f"{_W}abstractNumId")] = levels
    out = {}
    for n in numbering.iter(f"{_W}num"):
        ref = n.find(f"{_W}abstractNumId")
        if ref is None:
            continue
        for level, fmt in abstract.get(ref.get(f"{_W}val"), {}).items():
            out[(n.get(f"{_W}numId"), level)] = fmt
    return out
