"""The child process that reads a .docx or a PDF for digest.importer.safety, under its
time and memory limits: `python -m digest.importer.child KIND PATH` prints the blocks as
JSON, or {"error": message}. Nothing it reads can raise past it."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(kind: str, name: str) -> int:
    from digest.errors import DigestError

    path = Path(name)
    try:
        if kind == "docx":
            import zipfile

            from digest.importer import safety, source

            with zipfile.ZipFile(path) as zf:
                for part in ("word/document.xml", "word/_rels/document.xml.rels"):
                    if part in zf.namelist():
                        safety.check_depth(zf.read(part), f"{path}: {part}")
            blocks = source.read_docx(path)
        else:
            from digest.importer import pdf

            blocks = pdf.read_pdf(path)
        from digest.importer.safety import dump

        out = dump(blocks)
    except DigestError as exc:
        out = json.dumps({"error": exc.message})
    except RecursionError:
        out = json.dumps({"error": f"{path} is nested too deeply to read: not imported"})
    except MemoryError:
        out = json.dumps({"error": f"{path} needs more memory than a document should: not imported"})
    except Exception as exc:
        what = "Word document" if kind == "docx" else "PDF"
        out = json.dumps({"error": f"{path} is not a {what} that can be read ({type(exc).__name__}: {exc})"[:400]})
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
