"""Where one `digest import` spends its time: the import run in this process, each step
timed inside it, printed as one JSON line (seconds by phase). Run by bench/imports.py in
the project's folder, as a fresh process each time; it imports nothing of digest before
its clock starts, so the start-up phases are what `digest import` pays.

    python -m bench.import_phases DOCUMENT FORUM_ID
"""

from __future__ import annotations

import atexit
import gc
import json
import sys
import time
from pathlib import Path

PHASES = (
    "interpreter",  # Python's own start and exit: the process's wall time less what is timed inside it
    "command_line",  # digest.cli.main: click and every command's module
    "settings",  # digest.settings (pydantic) and digest.toml
    "importer_modules",  # what import_document loads: the content models, Markdown, YAML, the importer
    "reading",  # the document read into blocks (a Word document's child process included)
    "draft",  # structure, draft (duplicates merged, personal data removed), notes, YAML written
    "check_modules",  # what the draft's check loads: content.load, content.checks, the renderer
    "check_load",  # load_site of the staged content: every forum, the taxonomy, contacts, events
    "check_findings",  # run_checks on the draft's forum
    "check_budget",  # over_budget: the text part of every edition of the draft's forum rendered
)


def phases(document: Path, forum_id: str) -> None:
    """One import in this process, each step timed (run in the project's folder); prints JSON."""
    clock, marks = time.perf_counter, dict.fromkeys(PHASES[1:], 0.0)
    start = clock()
    import digest.cli.main  # noqa: F401

    marks["command_line"] = clock() - start
    from digest.settings import load_settings

    settings = load_settings(Path("."))
    marks["settings"] = clock() - start - marks["command_line"]

    def clocked(module: object, name: str, phase: str) -> None:
        inner = getattr(module, name)

        def measured(*args: object, **kwargs: object) -> object:
            began = clock()
            try:
                return inner(*args, **kwargs)
            finally:
                marks[phase] += clock() - began

        setattr(module, name, measured)

    from digest.importer import run, source

    began = clock()
    for module in ("digest.content.model", "digest.importer.draft", "digest.importer.emit", "digest.importer.reimport"):
        __import__(module)
    marks["importer_modules"] = clock() - began
    began = clock()
    for module in ("digest.content.load", "digest.content.checks", "digest.editions.budget"):
        __import__(module)
    marks["check_modules"] = clock() - began
    from digest.content import checks, load
    from digest.editions import budget

    clocked(source.Reading, "result", "reading")
    clocked(load, "load_site", "check_load")
    clocked(checks, "run_checks", "check_findings")
    clocked(budget, "over_budget", "check_budget")
    (Path("content") / "forums" / f"{forum_id}.yaml").unlink(missing_ok=True)
    atexit.register(gc.freeze)  # as the import command does, so that the exit costs what it costs there
    began = clock()
    run.import_document(settings, document, forum_id, None, None, False)
    whole = clock() - began
    marks["draft"] = whole - sum(marks[k] for k in ("reading", "check_load", "check_findings", "check_budget"))
    marks["total_inside"] = clock() - start
    sys.stdout.write(json.dumps(marks) + "\n")


if __name__ == "__main__":
    phases(Path(sys.argv[1]), sys.argv[2])
