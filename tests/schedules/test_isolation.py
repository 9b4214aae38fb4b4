"""A broken or draft forum file never blocks another forum's scheduled send (issue 21.4):
the real `digest scheduler`, a real SMTP server and the SQLite ledger."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from support.delivery import FaultyHandler, SMTPServer, add_readers, many_readers
from support.schedules import ledger, start, wait_for, write_schedule

pytestmark = pytest.mark.usefixtures("busy_cpus")  # as every scheduler test: both cores busy

READERS = 6
EVERY_2S = """\
    name: {name}
    trigger:
      cron: {{second: "*/2"}}
    send:
      kind: forum-digest
      forum: {forum}
    grace: 20s
    skip: {{nothing_new: false}}
"""
BROKEN = """\
id: 2025-10-broken
title: Half-edited forum
dates: [2025-10-01]
sections:
  - id: s
    title: S
    items:
      - id: half-edited
        question: What is this?
        status: answred
"""
DRAFT = """\
id: 2025-11-draft
status: draft
title: Draft forum
dates: [2025-11-01]
sections:
  - id: s
    title: S
    items:
      - id: draft-item
        # Headline cut from the question at 15 words: rewrite it
        question: What is this draft about?
        headline: What is this draft…
        answer: Nothing yet.
"""


def test_a_broken_and_a_draft_forum_do_not_stop_another_forums_scheduled_send(site_dir: Path) -> None:
    add_readers(site_dir, many_readers(READERS))
    forums = site_dir / "content" / "forums"
    (forums / "2025-10-broken.yaml").write_text(BROKEN, encoding="utf-8")
    (forums / "2025-11-draft.yaml").write_text(DRAFT, encoding="utf-8")
    write_schedule(site_dir, EVERY_2S.format(name="good", forum="2025-07-test"))
    write_schedule(site_dir, EVERY_2S.format(name="broken", forum="2025-10-broken"))
    write_schedule(site_dir, EVERY_2S.format(name="drafted", forum="2025-11-draft"))
    log = site_dir / "scheduler.log"
    with SMTPServer(FaultyHandler()) as server:
        proc = start(site_dir, server.port, log)

        def reported() -> bool:
            text = log.read_text()
            sent = any(k.startswith("schedule:good@") and c["sent"] == READERS for k, c in ledger(site_dir).items())
            return sent and "broken @ " in text and "drafted @ " in text

        wait_for("a fire of each schedule, the good one sent in full", reported, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    text = log.read_text()
    assert "Traceback" not in text
    state = ledger(site_dir)
    assert not [k for k in state if not k.startswith("schedule:good@")]  # nothing of the others was sent
    assert any(c["sent"] == READERS for c in state.values())
    f = "content/forums/2025-10-broken.yaml"
    # at start: each schedule that cannot send, and why
    assert (
        f"broken: cannot send now: forum '2025-10-broken' did not load: 1 error, the first {f}:10:17: "
        "sections[0].items[0].status: 'answred' is not allowed here" in text
    )
    assert "drafted: cannot send now: forum '2025-11-draft' is a draft (1 headline cut); `digest ready" in text
    # at each fire: the schedule of the broken forum fails, naming the file and line
    assert (
        f"failed: {f}:10:17: sections[0].items[0].status: 'answred' is not allowed here (did you mean 'answered'?); "
        f"forum '2025-10-broken' did not load: 1 error in {f}; fix them" in text
    )
    assert "failed: content/forums/2025-11-draft.yaml:10: warning: item draft-item: Headline cut" in text
    assert "forum '2025-11-draft' is a draft and is not sent (1 headline cut)" in text
    # and the good schedule's fires say, loudly, which forum file did not load
    assert f"{f}: forum '2025-10-broken' did not load (1 error): nothing of it is sent until they are fixed" in text
    assert "good @ " in text and ": sent" in text
