"""`make demo-follow-up` on the example content: one of the July forum's answers still to come
arrives, and the follow-up goes to exactly the example readers who had it pending."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from support import REPO
from support.delivery import outbox, parse

from demo import answer as demo
from digest.cli.main import cli
from digest.content.load import load_or_fail
from digest.delivery import followup
from digest.delivery.send import send_edition
from digest.editions.measure import words
from digest.editions.select import day_after
from digest.settings import load_settings


def test_the_demo_answer_reaches_only_the_example_readers_who_were_waiting(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "digest.toml", root / "digest.toml")
    shutil.copytree(REPO / "content", root / "content")
    csv_file = root / "content" / "subscribers.example.csv"
    imported = CliRunner().invoke(cli, ["--root", str(root), "subscribers", "import", str(csv_file)])
    assert imported.exit_code == 0, imported.output
    settings = load_settings(root)
    forum = load_or_fail(settings).forum(demo.DEMO_FORUM)
    assert send_edition(settings, forum.id, as_of=day_after(forum)).ok  # `make demo`

    done = subprocess.run(
        [sys.executable, "-m", "demo.answer", "--demo", str(root / "content")], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    before = len(outbox(root))
    plan, summary = followup.send_follow_up(settings, forum.id, as_of=day_after(forum))
    assert summary is not None and summary.ok

    with csv_file.open() as f:  # the CoS funding items are not open to Medway or independent schools
        waiting = sorted(
            row["email"]
            for row in csv.DictReader(f)
            if row["status"] == "confirmed"
            and row["district"] != "Medway"
            and "independent" not in row["setting"].split(";")  # an independent special school too
        )
    got = [parse(raw) for raw in outbox(root)[before:]]
    assert sorted(m["To"].addresses[0].addr_spec for m in got) == waiting
    assert len(waiting) == 29 and len(plan.prepared) == 1  # one email, rendered once

    text = got[0].get_body(("plain",)).get_content()
    assert str(got[0]["Subject"]) == "Term 6 Countywide SENCO Forum: 1 answer you were waiting for"
    assert "How do we get funding for a new arrival who had no support before?" in text
    body = text.split("\n* ", 1)[1].split("\n\nEvery question", 1)[0]  # the answer itself
    assert "Community of Schools funding panel" in body
    assert words(text) - words(body) <= 300  # the rest of the email

    env = {"DIGEST_CONTENT": str(root / "content"), "DIGEST_DB": str(settings.path("db"))}  # as the Makefile does
    listed = CliRunner().invoke(
        cli, ["--root", str(REPO), "send", "--forum", forum.id, "--follow-up", "--dry-run"], env=env
    )
    assert listed.exit_code == 0 and "29 readers in all are due a follow-up (29 skip (already sent))" in listed.output

    again = followup.send_follow_up(settings, forum.id, as_of=day_after(forum))[1]
    assert again is not None and again.sent == 0
    assert (REPO / "content" / "forums" / f"{demo.DEMO_FORUM}.yaml").read_text().count(demo.DEMO_ANSWER[:40]) == 0
