"""The source documents (content/sources/: plain-text extractions of the published Q&A
documents, every questioner's personal data replaced by a marker), with invented
questioners put back where the real ones were, as .txt and as Word documents built with
python-docx, laid out as the council's are:

- the March 2024 bullets: each question a "List Bullet" paragraph, its answers "List
  Bullet 2" paragraphs in bold runs, the dated sessions under an answer a numbered
  "List Number 3" list, placeholder hyperlinks to "#", headings in bold, the running
  header "THE EDUCATION PEOPLE" between pages;
- the July 2025 tables: a "Question/comment | Response" table per topic, cells of
  several paragraphs (some with the leftover <p> tags the published file has), rows a
  page break cut in two, and a last table of comments with one column.

The invented questioners stand where the real ones stood, in the same shapes ("please
pass on my name ...", "Ref: ... Primary School, SENCO, ...", "a meeting with ... and
..."), so the import tests still prove that a questioner's name, school and address are
removed. Nothing binary is committed: the tests and `bench/imports.py` build these when
they run.
"""

from __future__ import annotations

import re
from pathlib import Path

from support import SOURCES

MARCH, JULY = "2024-03-countywide.txt", "2025-07-term6.txt"
_INLINE = re.compile(r"(\*\*\*.+?\*\*\*|\*\*.+?\*\*|\[[^\]]+\]\([^)]*\))")
_HEADER = re.compile(r"^\s*question\s*/\s*comment", re.I)

# Where the source has a marker, what the fixture puts there instead: an invented
# questioner, school or address (each marker text occurs exactly once in its source).
INVENTED = {
    JULY: [
        (
            "please pass on my name [name removed] [email removed]",
            "please pass on my name Rowan Ashby-Fenwick r.ashby-fenwick@st-ebbas.example",
        ),
        (
            "Ref: [school removed], SENCO, [name removed].",
            "Ref: Thornfield Rise Primary School, SENCO, Ottilie Marchbank.",
        ),
        ("SENCo at [school removed] to", "SENCo at Thornfield Rise to"),  # the school named again, in an answer
        (
            "a meeting with [name removed] and [name removed] yesterday",
            "a meeting with Hattie Brannigan and Joss Le Fevre yesterday",
        ),
    ],
}


def source_text(name: str) -> str:
    """A source document as published, with invented questioners where the real ones were."""
    text = (SOURCES / name).read_text(encoding="utf-8")
    for marked, invented in INVENTED.get(name, []):
        if text.count(marked) != 1:
            raise ValueError(f"content/sources/{name}: {marked!r} occurs {text.count(marked)} times, not once")
        text = text.replace(marked, invented)
    return text


def _hyperlink(paragraph, text: str, url: str, bold: bool) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    if bold:
        props = OxmlElement("w:rPr")
        props.append(OxmlElement("w:b"))
        run.append(props)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def add_inline(paragraph, text: str, bold: bool = False) -> None:
    """Seed text with **bold**, ***bold italic*** and [links](url) as Word runs."""
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece.startswith("***") and piece.endswith("***"):
            run = paragraph.add_run(piece[3:-3])
            run.bold = run.italic = True
        elif piece.startswith("**") and piece.endswith("**"):
            add_inline(paragraph, piece[2:-2], bold=True)
        elif piece.startswith("[") and (m := re.fullmatch(r"\[([^\]]+)\]\(([^)]*)\)", piece)):
            _hyperlink(paragraph, m.group(1), m.group(2) or "#", bold)
        else:
            paragraph.add_run(piece).bold = bold or None


def bullets_docx(text: str, path: Path) -> Path:
    """The March 2024 layout."""
    import docx

    document = docx.Document()
    paragraph = None  # the paragraph a following line continues
    for line in text.splitlines():
        if not line.strip():
            paragraph = None
            continue
        m = re.match(r"^( *)- (?:o )?(.*)$", line)
        if m:
            depth = min((len(m.group(1)) + 1) // 2, 2)
            style = ("List Bullet", "List Bullet 2", "List Bullet 3")[depth]
            if depth and re.match(r"^(?:Mon|Tues?|Weds?|Thur?s?|Fri)\w* \d", m.group(2)):
                style = "List Number 2"  # the dated drop-in sessions: a numbered list
            paragraph = document.add_paragraph(style=style)
            add_inline(paragraph, m.group(2))
        elif paragraph is not None:
            paragraph.add_run().add_break()  # an address on the line under its answer
            add_inline(paragraph, line.strip())
        else:
            paragraph = document.add_paragraph()
            bold_heading = not line.strip().startswith("**") and not line.rstrip().endswith(".")
            add_inline(paragraph, line.strip() if not bold_heading else f"**{line.strip()}**")
    _join_split_bold(document)
    document.save(str(path))
    return path


def _join_split_bold(document) -> None:
    """'**THE EDUCATION' and 'PEOPLE**' are one running header across two seed lines."""
    paragraphs = document.paragraphs
    for first, second in zip(paragraphs, paragraphs[1:], strict=False):
        if first.text.startswith("**") and second.text.endswith("**") and "**" not in first.text[2:]:
            words = f"{first.text[2:]} {second.text[:-2]}"
            for p in (first, second):
                for run in list(p.runs):
                    run._r.getparent().remove(run._r)
            first.add_run(words).bold = True
            second._p.getparent().remove(second._p)


def tables_docx(text: str, path: Path) -> Path:
    """The July 2025 layout."""
    import docx

    document = docx.Document()
    table = None
    lines = text.splitlines()
    following = [next((n for n in lines[i + 1 :] if n.strip()), "") for i in range(len(lines))]
    for line, nxt in zip(lines, following, strict=True):
        if not line.strip():
            continue
        if _HEADER.match(line):
            names = [c.strip() for c in line.split("\t") if c.strip()]
            table = document.add_table(rows=1, cols=len(names))
            for cell, name in zip(table.rows[0].cells, names, strict=True):
                cell.paragraphs[0].add_run(name).bold = True
            continue
        if table is not None and not (_HEADER.match(nxt) and "\t" not in line):
            cells = line.split("\t", 1) if len(table.columns) > 1 else [line]
            row = table.add_row().cells
            for cell, value in zip(row, cells, strict=False):
                parts = [p for p in re.split(r"(?<=</p>)\s+(?=<p>)", value.strip()) if p] or [""]
                cell.paragraphs[0].add_run(parts[0])
                for part in parts[1:]:
                    cell.add_paragraph(part)
            continue
        table = None
        document.add_paragraph().add_run(line.strip()).bold = True
    document.save(str(path))
    return path


def build(folder: Path) -> dict[str, Path]:
    """Both source documents, questioners invented, as .txt and as .docx in folder:
    '2024-03-countywide.txt', '2024-03-countywide.docx', ... -> its path."""
    out = {}
    for name, make in ((MARCH, bullets_docx), (JULY, tables_docx)):
        text = source_text(name)
        stem = Path(name).stem
        (folder / name).write_text(text, encoding="utf-8")
        out[f"{stem}.txt"] = folder / name
        out[f"{stem}.docx"] = make(text, folder / f"{stem}.docx")
    return out
