"""The child process that reads a .docx or a PDF for digest.importer.safety, under its
time and memory limits: `python -m digest.importer.child KIND PATH` prints the blocks as
JSON, or {"error": message}. Nothing it reads can raise past it.

It imports only what reading needs (digest.importer.word and python-docx for a Word
document): it starts while digest import loads, and its start-up is on the way to the
draft."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path


def main(kind: str, name: str) -> int:
    path = Path(name)
    try:
        if kind == "docx":
            import zipfile

            from digest.importer import word

            with zipfile.ZipFile(path) as zf:
                for part in ("word/document.xml", "word/_rels/document.xml.rels"):
                    if part in zf.namelist():
                        word.check_depth(zf.read(part), f"{path}: {part}")
            blocks = word.read_docx(path)
        else:
            from digest.importer import pdf

            blocks = pdf.read_pdf(path)
        out = json.dumps({"blocks": [asdict(b) for b in blocks]}, ensure_ascii=False)
    except RecursionError:
        out = json.dumps({"error": f"{path} is nested too deeply to read: not imported"})
    except MemoryError:
        out = json.dumps({"error": f"{path} needs more memory than a document should: not imported"})
    except Exception as exc:
        out = json.dumps({"error": _message(exc, path, kind)})
    sys.stdout.write(out)
    return 0


def _message(exc: Exception, path: Path, kind: str) -> str:
    errors = sys.modules.get("digest.errors")  # loaded if a reader refused the document
    if errors is not None and isinstance(exc, errors.DigestError):
        return str(exc.message)
    what = "Word document" if kind == "docx" else "PDF"
    return f"{path} is not a {what} that can be read ({type(exc).__name__}: {exc})"[:400]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
