"""`digest import` on the command line: mistakes are messages, never tracebacks, and a
re-import of a revised document keeps what the organiser wrote."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from support.seed_docx import JULY

from digest.cli.main import cli

FORUM = "content/forums/2025-07-term6.yaml"


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(project), "import", *args])


def assert_message(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert text in result.output, result.output


def test_a_missing_file_is_a_message(project: Path) -> None:
    assert_message(run(project, str(project / "nope.docx")), "nope.docx does not exist")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.odt", b"PK\x03\x04", "cannot import a '.odt' file (use .docx, .pdf, .txt or .md)"),
        ("notes.pdf", b"%PDF-1.4", "notes.pdf is not a PDF that can be read"),
        ("photo.pdf", b"\x89PNG\r\n", "photo.pdf is not a PDF (it does not start with %PDF)"),
        ("old.doc", b"\xd0\xcf\x11\xe0", "is an old Word (.doc) file: open it in Word and save it as .docx"),
        ("fake.docx", b"just text", "is not a Word document that can be read"),
        ("zipped.txt", b"PK\x03\x04rest", "is a Word document or another zip file: name it .docx"),
        ("empty.txt", b"Nothing to see here.\n", "found no questions"),
    ],
)
def test_a_file_of_the_wrong_kind_is_a_message(project: Path, name: str, data: bytes, message: str) -> None:
    path = project / name
    path.write_bytes(data)
    assert_message(run(project, str(path)), message)


def test_an_existing_forum_is_not_overwritten_without_force(project: Path, seed_files: dict[str, Path]) -> None:
    before = (project / FORUM).read_bytes()
    result = run(project, str(seed_files[f"{Path(JULY).stem}.txt"]), "--id", "2025-07-term6")
    assert_message(result, f"{FORUM} already exists: give --force to import over it")
    assert (project / FORUM).read_bytes() == before
    assert list((project / "content" / "forums").glob(".*.tmp")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "Term 6!"], "--id 'Term 6!' is not a valid forum id"),
        (["--out", "drafts/Term 6.yaml"], "--out file name 'Term 6' is not a valid forum id"),
        (["--id", "a-b", "--out", "c-d.yaml"], "does not match --id a-b"),
    ],
)
def test_a_bad_id_is_a_message(project: Path, seed_files: dict[str, Path], args: list[str], message: str) -> None:
    args = [str(project / a) if a.endswith(".yaml") else a for a in args]  # paths are the shell's, not --root's
    assert_message(run(project, str(seed_files[f"{Path(JULY).stem}.txt"]), *args), message)


def test_a_word_documents_reader_starts_first_and_stops_when_its_answer_is_not_wanted(
    project: Path, seed_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.importer import safety

    started: list[safety.Child] = []

    class Recorded(safety.Child):
        def __init__(self, kind: str, path: Path) -> None:
            super().__init__(kind, path)
            started.append(self)

    monkeypatch.setattr(safety, "Child", Recorded)
    docx = str(seed_files[f"{Path(JULY).stem}.docx"])
    # a wrong --id is found after the child has started reading: still the message, and the child is ended
    assert_message(run(project, docx, "--id", "Term 6!"), "--id 'Term 6!' is not a valid forum id")
    assert len(started) == 1 and started[0].process.returncode is not None
    # a document refused before any child starts: a wrong --id is still the mistake reported first
    assert_message(
        run(project, str(project / "nope.docx"), "--id", "Term 6!"), "--id 'Term 6!' is not a valid forum id"
    )
    assert len(started) == 1
    # read in full: the same child's answer is the document
    (project / FORUM).unlink()
    result = run(project, docx, "--id", "2025-07-term6")
    assert result.exit_code == 0, result.output
    assert "Read 2025-07-term6.docx (Word, tables layout)" in result.output, result.output
    assert len(started) == 2 and started[1].process.returncode == 0


def test_an_import_leaves_the_garbage_collector_as_it_found_it(project: Path, seed_files: dict[str, Path]) -> None:
    import gc

    from digest.importer.run import import_document
    from digest.settings import load_settings

    (project / FORUM).unlink()
    july = seed_files[f"{Path(JULY).stem}.txt"]
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    result = import_document(load_settings(project), july, "2025-07-term6", None, None, False)
    assert result.out.is_file() and result.problems  # (the draft's check ran)
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # what it kept out of full passes is collectable again
    # a process that froze objects itself keeps them frozen, and nothing more is
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        import_document(load_settings(project), july, "2025-07-term6", None, None, True)
        # nothing more is frozen (objects already frozen may be freed meanwhile: never more)
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_an_import_prints_its_report_and_the_check(project: Path, seed_files: dict[str, Path]) -> None:
    (project / FORUM).unlink()
    result = run(project, str(seed_files[f"{Path(JULY).stem}.docx"]))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Read 2025-07-term6.docx (Word, tables layout)\n")
    written = re.search(r"^Wrote (\S+):", out, re.M).group(1)
    assert written == "content/forums/2025-07-term-6-countywide-senco-forum.yaml"
    for line in (
        "7 sections, 71 items (13 of them feedback), 11 pending, 4 merged from duplicates",
        "Duplicates merged (4)",
        "Personal data removed (6), never written to the draft:",
        "name 'Rowan Ashby-Fenwick'",
        "Officers' own addresses in answers (5)",
        "digest check of the draft: 0 errors",
    ):
        assert line in out
    assert "Rowan" not in (project / written).read_text(encoding="utf-8")


# -- re-import ----------------------------------------------------------------------------------
def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def item(path: Path, item_id: str) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(i for s in data["sections"] for i in s["items"] if i["id"] == item_id)


def test_a_revised_document_keeps_the_organisers_edits(project: Path, seed_files: dict[str, Path]) -> None:
    (project / FORUM).unlink()
    seed = seed_files[f"{Path(JULY).stem}.txt"]
    assert run(project, str(seed), "--id", "2025-07-term6").exit_code == 0
    forum = project / FORUM
    # the organiser's edits: a headline, an audience, a question tidied, a summary written
    edit(forum, "headline: Who do we contact if a parent has not received a parent preference email?",
         "headline: Parent preference email not received")  # fmt: skip
    edit(
        forum,
        "        topics: [Phase Transfer]\n",
        "        topics: [Phase Transfer]\n        audience: {phases: [primary]}\n"
        "        action: Email SEN Data Coordination\n        by: 2025-07-18\n",
    )
    edit(forum, "question: Will I have access to KCC SharePoint?", "question: Do I need access to KCC SharePoint?")
    written = re.compile(r"(- id: pt-term-6-annual-review-use .*?\n        summary:).*?(\n        status:)", re.S)
    forum.write_text(written.sub(r"\1 Yes, a Term 6 review counts.\2", forum.read_text(encoding="utf-8"), count=1))
    # the revised document: an answer arrived, one changed, a new question, one gone
    revised = project / "revised.txt"
    text = seed.read_text(encoding="utf-8")
    text = text.replace("This is currently an issue on the AR of EHCP process.\tAssessment team to support",
                        "This is currently an issue on the AR of EHCP process.\tYes, up to 20 MB per form.")  # fmt: skip
    text = text.replace("Yes, Term 6 can be used moving forward", "Yes, from now on Term 6 can be used moving forward")
    text = text.replace("Are we able to see a copy of the funding mapping criteria?\t", "Gone\t")
    text = text.replace(
        "Gone\tSchools will be invited to engage in moderation based on the new criteria in the autumn\n", ""
    )
    text = text.replace("How will I upload evidence?\t", "Can I upload photos?\tYes.\nHow will I upload evidence?\t")
    revised.write_text(text, encoding="utf-8")

    result = run(project, str(revised), "--out", str(forum), "--force")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Imported over the existing file:" in out
    assert re.search(r"answers arrived \(pending before\) \(1\): pt-great-hear-sa-request-process", out), out
    assert "new (1): se06-upload-photos" in out
    assert re.search(r"no longer in the document \(kept, with a note\) \(1\): npi-able-see-copy-funding-mapping", out)
    assert re.search(r"summaries you wrote over a changed answer: check them \(1\): pt-term-6-annual-review-use", out)
    assert "digest check of the draft: 0 errors" in out

    kept = item(forum, "pt-contact-parent-received-preference-email")
    assert kept["headline"] == "Parent preference email not received"
    assert kept["audience"] == {"phases": ["primary"]}
    assert (kept["action"], kept["by"]) == ("Email SEN Data Coordination", date(2025, 7, 18))  # and the action
    assert item(forum, "se06-access-kcc-sharepoint")["question"] == "Do I need access to KCC SharePoint?"
    arrived = item(forum, "pt-great-hear-sa-request-process")
    assert (arrived["status"], arrived["answer"]) == ("answered", "Yes, up to 20 MB per form.")
    term6 = item(forum, "pt-term-6-annual-review-use")
    assert term6["summary"] == "Yes, a Term 6 review counts." and "from now on" in term6["answer"]
    gone = item(forum, "npi-able-see-copy-funding-mapping")
    assert gone["answer"].startswith("Schools will be invited")
    assert "# Not in the revised document: delete this item if it no longer applies" in forum.read_text()
