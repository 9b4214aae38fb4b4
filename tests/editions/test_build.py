"""`digest build`: files for every edition, the index, and the Gmail size budget."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from digest.cli.main import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_build_writes_every_edition_and_an_index(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--root", str(site_dir), "build", "--as-of", "2025-07-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert re.match(
        r"2025-07-test: 12 editions as of 2025-07-11, \d+ to \d+ words \(budget 1,200; \d minutes? to read at most, "
        r"[\d.]+ to [\d.]+ phone screens\), HTML ",
        result.output,
    ), result.output
    assert result.output.endswith(
        f"Wrote {out / 'index.html'} (the archive; {out / 'editions.html'} for every edition)\n"
    )
    folder = out / "2025-07-test"
    htmls = sorted(folder.glob("2025-07-test-*.html"))
    assert len(htmls) == 12 and len(list(folder.glob("*.txt"))) == 12
    index = (folder / "editions.html").read_text()
    for html in htmls:
        assert f'href="{html.name}"' in index
        assert "%%digest:" not in html.read_text()
    assert "Tunbridge Wells" in index and "Medway" in index
    assert (out / "editions.html").read_text().count('href="2025-07-test/editions.html"') == 1
    assert (out / "index.html").read_text().count('href="2025-07-test/index.html"') == 1  # the archive's home
    assert not list(out.rglob("*.tmp"))


def test_build_as_of_drops_past_dates(site_dir: Path, tmp_path: Path) -> None:
    run("--root", str(site_dir), "build", "--as-of", "2025-07-11", "--out", str(tmp_path / "early"))
    run("--root", str(site_dir), "build", "--as-of", "2025-12-01", "--out", str(tmp_path / "late"))
    early = "".join(p.read_text() for p in (tmp_path / "early").rglob("*.txt"))
    late = "".join(p.read_text() for p in (tmp_path / "late").rglob("*.txt"))
    assert "Mainstream Core Standards training" in early
    assert "Mainstream Core Standards training" not in late
    assert "Tue 2 December 2025" in late  # the surgery's next occurrence


def test_build_refuses_oversize_editions_and_writes_nothing(site_dir: Path, tmp_path: Path) -> None:
    forum = site_dir / "content/forums/2025-07-test.yaml"
    long_summary = "Long summary. " * 9000  # a written summary is shown as written
    forum.write_text(
        forum.read_text().replace(
            "answer: In Term 6, so schools can plan.", f"answer: In Term 6.\n        summary: {long_summary}"
        )
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "build", "--out", str(out)])
    assert result.exit_code == 1
    assert "HTML is" in result.output and "over 102,000" in result.output
    assert (
        "Gmail clips HTML beyond about 102 KB: shorten answers or split the forum; nothing was written" in result.output
    )
    assert not out.exists()


def test_build_stops_on_content_errors_with_file_and_line(site_dir: Path, tmp_path: Path) -> None:
    events = site_dir / "content/events.yaml"
    events.write_text(events.read_text().replace("kind: surgery", "kind: surgry"))
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "build", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert (
        "content/events.yaml:12:11: events[1].kind: 'surgry' is not allowed here (did you mean 'surgery'?)"
        in result.output
    )
    assert "1 error in content; fix them and run `digest check` again" in result.output
    assert not (tmp_path / "o").exists()


def test_unknown_forum_is_a_clear_error(site_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "build", "--forum", "2025-07-tset"])
    assert result.exit_code == 1
    assert result.output == "Error: no forum '2025-07-tset'; did you mean '2025-07-test'?\n"
