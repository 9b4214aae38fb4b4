"""`digest check` keeps its last report and each edition's measured text part
(editions/checked.py, editions/kept.py): a kept answer is only ever given for exactly the
inputs it was made from, so a check reports the same problems with or without them."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from digest.cli.main import cli

FORUM = "content/forums/2025-07-test.yaml"


def check(root: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), "check"])
    return result.exit_code, result.stdout, result.stderr


def uncached(root: Path) -> tuple[int, str, str]:
    """What a check says with nothing kept from earlier runs."""
    shutil.rmtree(root / "var" / "cache", ignore_errors=True)
    return check(root)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def test_a_kept_report_is_the_report(site_dir: Path) -> None:
    first = check(site_dir)
    assert first == (0, "1 forum, 5 items, 2 events, 2 contacts: 0 errors, 0 warnings\n", "")
    assert (site_dir / "var" / "cache" / "check.json").exists()
    assert check(site_dir) == first
    (site_dir / "var" / "cache" / "check.json").write_text('{"format": 1, "key": ')
    assert check(site_dir) == first  # an unreadable cache is no cache


def test_a_file_changed_after_a_kept_run_is_checked_again(site_dir: Path) -> None:
    check(site_dir)
    edit(
        site_dir,
        FORUM,
        "    presenter: SEN Data Coordination team\n",
        "    presenter: SEN Data Coordination team\n    colour: red\n",
    )
    broken = check(site_dir)
    assert broken[0] == 1 and "colour" in broken[2] and "1 error" in broken[2]
    assert broken == uncached(site_dir)
    edit(site_dir, FORUM, "    colour: red\n", "")
    assert check(site_dir) == (0, "1 forum, 5 items, 2 events, 2 contacts: 0 errors, 0 warnings\n", "")


def test_the_word_budget_follows_settings_templates_and_content(site_dir: Path) -> None:
    check(site_dir)  # every edition's text part kept
    toml = site_dir / "digest.toml"
    toml.write_text(toml.read_text() + "\n[render]\nwords_budget = 100\n")
    over = check(site_dir)
    assert over[0] == 0 and "over the budget of 100" in over[2] and "1 warning" in over[1]
    assert over == uncached(site_dir)
    toml.write_text(toml.read_text().replace("words_budget = 100", "words_budget = 1200"))
    assert "budget" not in check(site_dir)[2]
    # a template that makes every edition longer: measured again, not taken from the kept text parts
    (site_dir / "site-templates").mkdir(exist_ok=True)
    (site_dir / "site-templates" / "edition.txt").write_text(
        "{% include 'builtin/edition.txt' %}\n" + "filler " * 1300 + "\n"
    )
    longer = check(site_dir)
    assert "over the budget of 1,200" in longer[2], longer
    assert longer == uncached(site_dir)
    # and content that changes the longest edition's length: measured again, the rest kept
    (site_dir / "site-templates" / "edition.txt").unlink()
    toml.write_text(toml.read_text().replace("words_budget = 1200", "words_budget = 100"))
    before = check(site_dir)
    edit(site_dir, FORUM, "Will the holidays count", "Will the long summer holidays and the half terms count")
    after = check(site_dir)
    assert "over the budget of 100" in after[2] and after != before
    assert after == uncached(site_dir)
