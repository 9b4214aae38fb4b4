"""Answer one item of a forum file, as an organiser would by hand: for `make demo-follow-up`,
which runs it on a copy of content/ (the tracked files are never changed), and for tests.

    python -m demo.answer FILE ITEM_ID ANSWER [SUMMARY]
    python -m demo.answer --demo CONTENT_FOLDER    # the demo's answer (DEMO), in that copy

Only the item's own lines change: `status:` becomes answered and `answer:` and `summary:`
are replaced (or added). Every other line, comments included, stays as it is.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

_ITEM = re.compile(r"^(?P<indent> *)- id: (?P<id>\S+)\s*$")

# The demo's answer: one of the July forum's answers still to come. The Communities of
# Schools funding items are not open to Medway or independent schools, so the follow-up
# goes to the example readers who had it pending and to nobody else. Written for the
# demo: the forum's document has no answer to it.
DEMO_FORUM = "2025-07-term6"
DEMO_ITEM = "pt-funding-new-arrival-no-prior-support"
DEMO_ANSWER = (
    "Apply to your Community of Schools funding panel as for any other pupil: the panel looks at what the child "
    "needs now, not at the support they had before. Send what you have seen since they arrived. (An example "
    "answer written for the demo; the forum's document has none yet.)"
)
DEMO_SUMMARY = "Apply to your Community of Schools panel: it looks at the child's needs now. (Demo answer.)"


def _block(key: str, value: str, indent: str) -> list[str]:
    """`key: >-` and the value folded beneath it (YAML keeps any character in a block scalar)."""
    lines = textwrap.wrap(" ".join(value.split()), width=88 - len(indent) - 2) or [""]
    return [f"{indent}{key}: >-", *(f"{indent}  {line}" for line in lines)]


def answer(text: str, item_id: str, answer: str, summary: str | None = None, **fields: str) -> str:
    """The file's text with that item answered; fields are more `key: value` lines (YAML as written)."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if (m := _ITEM.match(line)) and m["id"] == item_id), None)
    if start is None:
        raise SystemExit(f"no item '{item_id}' in this file")
    indent = _ITEM.match(lines[start])["indent"] + "  "  # type: ignore[index]
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(indent)):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the item belong to the file
    replaced = {"answer", "summary", "status", *fields}
    kept, skipping = [lines[start]], False
    for line in lines[start + 1 : end]:
        key = re.match(rf"^{indent}([a-z_]+):", line)
        if key:
            skipping = key[1] in replaced
        elif not line.startswith(indent + " ") and line.strip():
            skipping = False
        if not skipping:
            kept.append(line)
    new = _block("answer", answer, indent) + (_block("summary", summary, indent) if summary else [])
    new += [f"{indent}status: answered"] + [f"{indent}{k}: {v}" for k, v in fields.items()]
    return "\n".join([*lines[:start], *kept, *new, *lines[end:]]) + "\n"


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--demo":
        args = [str(Path(args[1]) / "forums" / f"{DEMO_FORUM}.yaml"), DEMO_ITEM, DEMO_ANSWER, DEMO_SUMMARY]
    if len(args) not in (3, 4):
        raise SystemExit(__doc__)
    path = Path(args[0])
    path.write_text(answer(path.read_text(encoding="utf-8"), *args[1:]), encoding="utf-8")
    print(f"{path}: {args[1]} answered")


if __name__ == "__main__":
    main()
