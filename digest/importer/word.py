"""Reading a Word document (.docx) into blocks, in the child process digest.importer.safety
starts: python-docx gives the body in order, paragraphs and tables; each run's bold and
italics and each hyperlink become inline Markdown, and a list paragraph gets its level and
whether it is numbered (from its numbering, or its "List Bullet 2" style). Before that,
`check_depth` refuses XML nested deeper than MAX_DEPTH.

Only what reading needs is imported here: digest.errors (and click with it) only when a
document is refused, so the child starts quickly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from digest.importer.blocks import Block, Para, Table

MAX_DEPTH = 120  # elements nested; a Word document with tables in tables stays under 60


def _refuse(message: str) -> NoReturn:
    from digest.errors import DigestError

    raise DigestError(message) from None


def check_depth(data: bytes, name: str) -> None:
    """Refuse XML nested deeper than MAX_DEPTH (read as a stream, entities never resolved)."""
    from lxml import etree

    depth = 0
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False)
    deep = f"{name} is nested more than {MAX_DEPTH} deep; a Word document is not: not imported"
    for start in range(0, len(data), 1 << 12):
        try:
            parser.feed(data[start : start + (1 << 12)])
        except etree.XMLSyntaxError as exc:
            _refuse(deep if "depth" in str(exc).lower() else f"{name} is not well-formed XML ({exc}): not imported")
        for event, _ in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                _refuse(deep)


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
        _refuse(f"{path} is not a Word document that can be read ({exc})")
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
