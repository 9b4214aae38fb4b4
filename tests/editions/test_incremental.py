"""`digest build` does only what changed: the manifest, kept renders and the search index
(editions/manifest.py, editions/kept.py). What it writes is always what a full build writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from digest.cli.main import cli
from digest.content.load import load_or_fail
from digest.editions.build import build
from digest.editions.kept import Kept
from digest.editions.manifest import MANIFEST, stamp
from digest.settings import load_settings

AS_OF = "2025-07-03"
FORUM = Path("content/forums/2025-07-test.yaml")


def run(root: Path, out: Path):
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def tree(out: Path) -> dict[str, bytes]:
    """Every file of a build but its manifest (which names its own folder)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} | {
        MANIFEST: b""
    }


def stamps(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def full_build(root: Path, tmp: Path) -> dict[str, bytes]:
    """A build from nothing: a fresh copy of the project (no kept renders) into a fresh folder."""
    fresh = tmp / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("var", "out"))
    run(fresh, fresh / "out")
    return tree(fresh / "out")


def edit(root: Path, old: str, new: str) -> None:
    path = root / FORUM
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_nothing_changed_writes_nothing_and_says_the_same(site_dir: Path, tmp_path: Path) -> None:
    out = site_dir / "out"
    first = run(site_dir, out)
    before = stamps(out)
    again = run(site_dir, out)
    assert stamps(out) == before  # not one file rewritten
    assert again.splitlines()[0] == first.splitlines()[0]  # the forum's editions, as the build said
    assert again.splitlines()[-2].endswith(", unchanged") and again.startswith("2025-07-test: 12 editions")
    assert again.endswith(f"Nothing changed since the last build: {out} is up to date, no file written\n")
    assert tree(out) == full_build(site_dir, tmp_path)


def test_an_edited_answer_shows_in_the_archive_and_search_as_a_full_build_writes_them(
    site_dir: Path, tmp_path: Path
) -> None:
    out = site_dir / "out"
    run(site_dir, out)
    edit(site_dir, "OOC schools have a separate process.", "OOC schools follow the Medway timetable.")
    said = run(site_dir, out)
    assert "Nothing changed" not in said and ", unchanged" not in said  # the index was made again
    page = (out / "2025-07-test" / "index.html").read_text()
    index = json.loads((out / "search" / "index.json").read_text())
    assert "OOC schools follow the Medway timetable." in page and "separate process" not in page
    assert [r["answer"] for r in index["items"] if r["id"] == "pt-medway"] == [
        "OOC schools follow the Medway timetable."
    ]
    assert tree(out) == full_build(site_dir, tmp_path)


def test_a_template_change_reaches_every_page_and_leaves_the_index(site_dir: Path, tmp_path: Path) -> None:
    out = site_dir / "out"
    run(site_dir, out)
    index = (out / "search" / "index.json").stat().st_mtime_ns
    (site_dir / "site-templates").mkdir(exist_ok=True)
    (site_dir / "site-templates" / "edition.txt").write_text("{% extends 'builtin/edition.txt' %}\n")
    custom = site_dir / "site-templates" / "partials"
    custom.mkdir()
    footer = (Path(__file__).resolve().parents[2] / "templates" / "partials" / "footer.txt").read_text()
    (custom / "footer.txt").write_text("A changed footer.\n" + footer)
    said = run(site_dir, out)
    assert said.splitlines()[-2].endswith(", unchanged")  # the answers are the same: so is their index
    assert (out / "search" / "index.json").stat().st_mtime_ns == index
    copies = sorted((out / "2025-07-test").glob("2025-07-test-*.txt"))
    assert copies and all("A changed footer." in p.read_text() for p in copies)
    assert tree(out) == full_build(site_dir, tmp_path)


def test_an_edition_whose_content_is_the_same_is_not_rendered_again(site_dir: Path, tmp_path: Path) -> None:
    settings = load_settings(site_dir)

    def once() -> Kept:
        kept = Kept(settings.path("var"), stamp(settings, "editions", forums=False))
        build(load_or_fail(settings), tmp_path / "out", as_of=date.fromisoformat(AS_OF), kept=kept)
        return kept

    first = once()
    assert first.rendered == len(first.used) == 12
    assert once().rendered == 0
    edit(site_dir, "OOC schools have a separate process.", "OOC schools follow the Medway timetable.")
    medway = once()
    assert 0 < medway.rendered < 12  # only the editions holding the Medway answer
    (settings.path("var") / "cache" / "renders.json").write_text("{not json")
    assert once().rendered == 12  # an unreadable cache is no cache


def test_a_missing_corrupt_or_changed_manifest_or_output_is_a_full_build(site_dir: Path, tmp_path: Path) -> None:
    out = site_dir / "out"
    run(site_dir, out)
    full = full_build(site_dir, tmp_path)
    page = out / "2025-07-test" / "index.html"
    for damage in (
        lambda: (out / MANIFEST).write_text('{"format": 1, "inputs": '),
        lambda: (out / MANIFEST).unlink(),
        lambda: page.write_text("edited by hand"),
        lambda: page.unlink(),
        lambda: shutil.rmtree(out / "search"),
    ):
        damage()
        said = run(site_dir, out)
        assert "Nothing changed" not in said
        assert tree(out) == full
        assert "Nothing changed" in run(site_dir, out)  # and the next build has nothing to do


def test_the_stylesheet_kept_from_the_last_build_needs_no_premailer_and_changes_nothing(
    site_dir: Path, tmp_path: Path
) -> None:
    out = site_dir / "out"
    first = ["--root", str(site_dir), "build", "--as-of", AS_OF, "--out", str(out)]
    subprocess.run([sys.executable, "-m", "digest", *first], capture_output=True, check=True)  # a process of its own
    styles = site_dir / "var" / "cache" / "styles.json"
    assert styles.exists()
    script = (
        "import sys; from pathlib import Path; from datetime import date; from digest.settings import load_settings; "
        "from digest.content.load import load_or_fail; from digest.editions.build import build; "
        "from digest.editions.kept import Kept; from digest.editions.manifest import stamp; "
        f"s = load_settings(Path({str(site_dir)!r})); kept = Kept(s.path('var'), 'another stamp: render all'); "
        f"build(load_or_fail(s), Path({str(tmp_path / 'again')!r}), as_of=date.fromisoformat({AS_OF!r}), kept=kept); "
        "print(kept.rendered, 'premailer' in sys.modules, 'cssutils' in sys.modules)"
    )
    said = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert said.split() == ["12", "False", "False"]  # every edition rendered, premailer never imported
    assert tree(tmp_path / "again") == tree(out)
    styles.write_text('{"format": 1, "versions": ')  # unreadable: premailer again, the same bytes
    (site_dir / "var" / "cache" / "renders.json").unlink()
    shutil.rmtree(out)
    run(site_dir, out)
    assert tree(out) == full_build(site_dir, tmp_path)


def test_another_day_is_built_as_from_nothing_and_leaves_the_last_days_copies(site_dir: Path, tmp_path: Path) -> None:
    """Every file a build from nothing writes, with the same bytes; beside them the browser
    copies of the earlier day's editions, which a build never deletes (emails sent link to them)."""
    out = site_dir / "out"
    run(site_dir, out)
    before = tree(out)
    later = ["--root", str(site_dir), "build", "--as-of", "2025-07-20", "--out", str(out)]
    said = CliRunner().invoke(cli, later)
    assert said.exit_code == 0 and "Nothing changed" not in said.output and "as of 2025-07-20" in said.output
    fresh = tmp_path / "fresh"
    shutil.copytree(site_dir, fresh, ignore=shutil.ignore_patterns("var", "out"))
    CliRunner().invoke(cli, ["--root", str(fresh), "build", "--as-of", "2025-07-20", "--out", str(fresh / "out")])
    now, full = tree(out), tree(fresh / "out")
    assert {k: now[k] for k in full} == full
    extra = set(now) - set(full)
    assert extra and all(now[k] == before[k] and k.startswith("2025-07-test/2025-07-test-") for k in extra)
