"""What `digest import` refuses, in seconds and with a message, never a traceback: files
that are not regular files, Word files that unzip too big or hold too many entries, XML
with a DTD (external entities, "billion laughs") or nested too deep, a reader that runs
past its time; a document with no questions and answers, and `--out` into a folder that
does not exist. Nothing is written for any of them. And text in UTF-16, UTF-8 with a BOM
and Windows-1252 is read."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from layouts import QUESTIONS, plain_questions_text, qa_labels

from digest.cli.main import cli
from digest.importer import safety, word


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(project), "import", *args])


def refused(project: Path, result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "internal error" not in result.output.lower()
    assert text in result.output, result.output
    forums = sorted(p.name for p in (project / "content" / "forums").iterdir())
    assert forums == ["2024-03-countywide.yaml", "2025-07-term6.yaml"]  # nothing written


@pytest.fixture
def good_docx(tmp_path: Path) -> Path:
    path = tmp_path / "good.docx"
    qa_labels(path)
    return path


def rewrite(source: Path, dest: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == part else zin.read(info.filename))
    return dest


def test_a_fifo_is_refused_not_read_forever(project: Path) -> None:
    fifo = project / "forum.docx"
    os.mkfifo(fifo)
    refused(project, run(project, str(fifo)), "is a FIFO, not a regular file")


def test_a_symlink_to_a_device_is_refused(project: Path) -> None:
    link = project / "zero.docx"
    link.symlink_to("/dev/zero")
    refused(project, run(project, str(link)), "is a device, not a regular file")


def test_a_file_too_big_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_BYTES", 100)
    path = project / "big.txt"
    path.write_text(plain_questions_text(), encoding="utf-8")
    refused(project, run(project, str(path)), "a Q&A document is far smaller")


def test_a_zip_bomb_is_refused_by_its_unzipped_size(project: Path, good_docx: Path) -> None:
    bomb = rewrite(good_docx, project / "bomb.docx", "word/document.xml", b"<w:document>" + b" " * (101 << 20))
    assert bomb.stat().st_size < 1 << 20
    refused(project, run(project, str(bomb)), "unzips to 101 MB")


def test_too_many_entries_are_refused(project: Path, good_docx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_ENTRIES", 5)
    refused(project, run(project, str(good_docx)), "files; a Word document holds far fewer (limit 5)")


@pytest.mark.parametrize(
    ("part", "xml"),
    [
        (  # XXE: an external entity in the relationships
            "word/_rels/document.xml.rels",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">&x;</Relationships>',
        ),
        (  # billion laughs
            "word/document.xml",
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<d>&b;</d>",
        ),
    ],
)
def test_a_dtd_or_entities_are_refused(project: Path, good_docx: Path, part: str, xml: bytes) -> None:
    hostile = rewrite(good_docx, project / "hostile.docx", part, xml)
    refused(project, run(project, str(hostile)), "declares a DTD or entities, which Word never writes")


def test_xml_nested_too_deep_is_refused(project: Path, good_docx: Path) -> None:
    ns = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    deep = b"<w:document " + ns + b"><w:body>" + b"<w:tbl><w:tr><w:tc>" * 1_700 + b"</w:tc></w:tr></w:tbl>" * 1_700
    deep += b"</w:body></w:document>"
    hostile = rewrite(good_docx, project / "deep.docx", "word/document.xml", deep)
    refused(project, run(project, str(hostile)), f"is nested more than {word.MAX_DEPTH} deep")


def test_a_reader_past_its_time_is_stopped(project: Path, good_docx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "SECONDS", 0.001)
    refused(project, run(project, str(good_docx)), "took more than 0 s to read: not a document digest can import")


def test_a_letter_is_not_a_forum(project: Path, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Dear SENCO,")
    document.add_paragraph("Thank you for coming to the forum on 14 May 2026. Two reminders:")
    document.add_paragraph("Annual review paperwork is due in Term 6", style="List Bullet")
    document.add_paragraph("The next forum is in the autumn", style="List Bullet")
    document.add_paragraph("Yours sincerely, the SEN team")
    path = tmp_path / "letter.docx"
    document.save(path)
    result = run(project, str(path))
    refused(project, result, "found no questions and answers, so nothing was written: it holds 5 paragraphs")
    assert "2 of them in lists, 0 tables, 0 paragraphs with a question mark" in result.output


def test_out_into_a_missing_folder_is_refused(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "forum.txt"
    path.write_text(plain_questions_text(), encoding="utf-8")
    out = tmp_path / "missing" / "2026-05-forum.yaml"
    refused(project, run(project, str(path), "--out", str(out)), "the folder")
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
)
def test_text_in_any_common_encoding_is_read(project: Path, tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "forum.txt"
    text = plain_questions_text().replace("parents' views", "parents’ views")
    path.write_bytes(bom + text.encode(encoding))
    result = run(project, str(path), "--id", "2026-05-encoded")
    assert result.exit_code == 0, result.output
    draft = (project / "content" / "forums" / "2026-05-encoded.yaml").read_text(encoding="utf-8")
    assert "parents’ views" in draft
    assert sum(q.split()[-1] in draft for q in QUESTIONS) >= 8
