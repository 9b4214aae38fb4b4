"""End to end (issue 21.6): import a document, curate it as an organiser would, mark it
ready, send it to readers (real SQLite, the Maildir outbox), import a revised document in
which two pending answers have arrived, and `digest send --follow-up` sends exactly those
two answers to exactly the readers who were waiting for them."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from support.delivery import READERS, add_readers, outbox, parse

from digest.cli.main import cli

FORUM = "2025-09-autumn"
SENT_ON, LATER = "2025-09-18", "2025-10-01"  # the as-of days, given: the test passes on any day

# The council's document, in the layout of its published Q&A (a table per topic)
V1 = """\
Autumn SENCO Forum 17th September 2025

Post Session Questions and Answers

Therapies

Question/comment\tResponse
How long is the wait for speech and language therapy for schools in Swale this term?\tAnswer to follow.
Who should we contact about occupational therapy referrals for pupils who have just joined the school?\t\
Contact the therapy hub at therapy.hub@example.org.

Funding

Question/comment\tResponse
When will the high needs funding rates for the next financial year be published for all schools?\tTo be confirmed.
Can schools apply for top-up funding part way through a term?\tYes, through the usual online form at any time.
Is there training on the new funding portal for SENCOs who have not used it yet before the autumn deadline \
comes round again next year?\tYes: the funding team runs a webinar each half term.
"""
SALT = "Waiting times in Swale are now twelve weeks; the therapy hub books each assessment."
RATES = "The rates are published on 1 March, for every school at once."
V2 = V1.replace("Answer to follow.", SALT).replace("To be confirmed.", RATES)

# What the organiser writes over the cut headlines
HEADLINES = {
    "t-long-wait-speech-language-therapy": "Speech and language therapy: how long is the wait in Swale?",
    "t-contact-occupational-therapy-referrals-pupils": "Occupational therapy referrals for new pupils: who to contact",
    "f-high-needs-funding-rates-next": "High needs funding: when next year's rates are published",
    "f-training-new-funding-portal-sencos": "Training on the new funding portal",
}


def run(site: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(site), *args], catch_exceptions=False)


def curate(text: str) -> str:
    """What an organiser does to the draft: writes each cut headline anew, confirms the
    audience suggested (deletes the '# ' in front of it), deletes each note once dealt with."""
    out: list[str] = []
    item, skipping = "", False
    for line in text.splitlines():
        if m := re.match(r"^\s*- id: (\S+)", line):
            item = m.group(1)
        if skipping and line.startswith(" " * 10):
            continue  # the rest of a folded headline being replaced
        skipping = False
        stripped = line.strip()
        if stripped.startswith("headline:") and item in HEADLINES:
            out.append(f'        headline: "{HEADLINES[item]}"')
            skipping = True
        elif stripped.startswith(("# Headline cut", "# Suggested audience", "# '# ' before")):
            continue
        elif "officer's own address" in stripped:
            continue  # a team's address, the organiser decides: the note goes
        elif stripped == "# audience:":
            out.append("        audience:")
        elif stripped.startswith("#   districts:"):
            out.append("          districts: " + stripped.split(":", 1)[1].split("  #")[0].strip())
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def answers_in(raw: bytes) -> set[str]:
    body = parse(raw).get_body(("plain",)).get_content()
    flat = " ".join(body.split())
    return {name for name, text in (("salt", SALT), ("rates", RATES)) if text in flat}


def test_import_curate_ready_send_revise_and_follow_up(site_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "autumn-v1.txt").write_text(V1, encoding="utf-8")
    (tmp_path / "autumn-v2.txt").write_text(V2, encoding="utf-8")
    forum_file = site_dir / "content" / "forums" / f"{FORUM}.yaml"

    imported = run(site_dir, "import", str(tmp_path / "autumn-v1.txt"), "--id", FORUM)
    assert imported.exit_code == 0, imported.output
    draft = forum_file.read_text(encoding="utf-8")
    assert "\nstatus: draft  #" in draft and "status: pending" in draft
    add_readers(site_dir)
    refused = run(site_dir, "send", "--forum", FORUM, "--as-of", SENT_ON)
    assert refused.exit_code == 1 and "is a draft and is not sent (4 headlines cut" in refused.stderr
    assert outbox(site_dir) == []

    forum_file.write_text(curate(draft), encoding="utf-8")
    check = run(site_dir, "check")
    assert check.exit_code == 0, check.output
    assert "1 headline" not in check.stderr and "audience suggested" not in check.stderr
    assert f"forum '{FORUM}' is a draft: it is not sent and not in the archive (nothing left to do)" in check.stderr
    ready = run(site_dir, "ready", FORUM)
    assert ready.exit_code == 0, ready.output
    assert "\nstatus: ready\n" in forum_file.read_text(encoding="utf-8")

    sent = run(site_dir, "send", "--forum", FORUM, "--as-of", SENT_ON)
    assert sent.exit_code == 0, sent.output
    digests = outbox(site_dir)
    assert sorted(parse(raw)["To"].addresses[0].addr_spec for raw in digests) == sorted(r[0] for r in READERS)
    swale = {r[0] for r in READERS if r[2] == "Swale"}
    for raw in digests:
        text = parse(raw).get_body(("plain",)).get_content()
        to = parse(raw)["To"].addresses[0].addr_spec
        assert ("Speech and language therapy: how long is the wait in Swale?" in text) == (to in swale)
        assert "High needs funding: when next year's rates are published" in text

    revised = run(site_dir, "import", str(tmp_path / "autumn-v2.txt"), "--id", FORUM, "--force")
    assert revised.exit_code == 0, revised.output
    assert "answers arrived (pending before) (2): t-long-wait-speech-language-therapy, f-high-needs" in revised.output
    kept = forum_file.read_text(encoding="utf-8")
    assert "\nstatus: ready\n" in kept and "status: pending" not in kept
    assert all(headline in kept for headline in HEADLINES.values())  # the organiser's headlines stay
    assert "audience:\n          districts: [Swale]" in kept  # and the audience they confirmed

    before = len(outbox(site_dir))
    follow = run(site_dir, "send", "--forum", FORUM, "--follow-up", "--as-of", LATER)
    assert follow.exit_code == 0, follow.output
    got: dict[str, set[str]] = {}
    for raw in outbox(site_dir)[before:]:
        to = parse(raw)["To"].addresses[0].addr_spec
        assert to not in got, f"{to} got two follow-ups"
        got[to] = answers_in(raw)
    # the Swale readers waited for both answers; every other reader only for the funding rates
    assert got == {r[0]: {"salt", "rates"} if r[0] in swale else {"rates"} for r in READERS}
    again = run(site_dir, "send", "--forum", FORUM, "--follow-up", "--as-of", LATER)
    assert again.exit_code == 0 and ": 0 sent, 5 already sent (skipped)" in again.output  # each answer once
    assert len(outbox(site_dir)) == before + len(READERS)
