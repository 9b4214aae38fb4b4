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


# -- re-import: the organiser's file kept as they left it; a document imported twice named ------------
def imported_and_curated(site_dir: Path, tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "autumn-v1.txt").write_text(V1, encoding="utf-8")
    assert run(site_dir, "import", str(tmp_path / "autumn-v1.txt"), "--id", FORUM).exit_code == 0
    forum_file = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    curated = curate(forum_file.read_text(encoding="utf-8")).replace(
        "        question: Can schools apply",
        "        # My own note: ask the funding team\n        question: Can schools apply",
    )
    forum_file.write_text(curated, encoding="utf-8")
    assert run(site_dir, "ready", FORUM).exit_code == 0
    return forum_file, forum_file.read_text(encoding="utf-8")


def test_a_reimport_changes_only_what_the_document_changed(site_dir: Path, tmp_path: Path) -> None:
    forum_file, curated = imported_and_curated(site_dir, tmp_path)
    (tmp_path / "autumn-v2.txt").write_text(V2, encoding="utf-8")
    assert run(site_dir, "import", str(tmp_path / "autumn-v2.txt"), "--id", FORUM, "--force").exit_code == 0
    after = forum_file.read_text(encoding="utf-8")
    sha = re.search(r"# Source sha256: (\w+)", curated).group(1)
    import hashlib

    assert sha == hashlib.sha256(V1.encode()).hexdigest()
    expected = curated.replace(sha, hashlib.sha256(V2.encode()).hexdigest())
    for was, now in (("Answer to follow.", SALT), ("To be confirmed.", RATES)):
        expected = re.sub(
            rf"(  # doc: q \w+, a )\w+(\n(?:        .*\n)*?)        answer: {re.escape(was)}\n"
            rf"        status: pending  # .*\n",
            lambda m, now=now: (
                f"{m.group(1)}{{fp}}{m.group(2)}        answer: {now}\n        summary: {now}\n"
                "        status: answered\n"
            ),
            expected,
            count=1,
        )
    # every byte as the organiser left it (their comment, the quoting, the blank lines), but the
    # two answers that arrived, their summaries and status, and the fingerprints of those answers
    assert (
        re.sub(r"(  # doc: q \w+, a )\w+(\n        question: >-\n          (?:How long|When will))", r"\1{fp}\2", after)
        == expected
    )
    assert "# My own note: ask the funding team" in after


def test_a_new_question_never_takes_the_id_of_one_the_file_has(site_dir: Path, tmp_path: Path) -> None:
    forum_file, _ = imported_and_curated(site_dir, tmp_path)
    dover = (
        "How long is the wait for speech and language therapy assessments for autistic pupils in Dover?\tSix weeks.\n"
    )
    v3 = V1.replace("Question/comment\tResponse\nHow long", "Question/comment\tResponse\n" + dover + "How long", 1)
    (tmp_path / "autumn-v3.txt").write_text(v3, encoding="utf-8")
    result = run(site_dir, "import", str(tmp_path / "autumn-v3.txt"), "--id", FORUM, "--force")
    assert result.exit_code == 0, result.output
    assert "new (1): t-long-wait-speech-language-therapy-2" in result.output
    import yaml

    items = {i["id"]: i for s in yaml.safe_load(forum_file.read_text(encoding="utf-8"))["sections"] for i in s["items"]}
    assert "Swale" in items["t-long-wait-speech-language-therapy"]["question"]
    assert items["t-long-wait-speech-language-therapy-2"]["answer"] == "Six weeks."
    assert items["t-long-wait-speech-language-therapy"]["audience"] == {"districts": ["Swale"]}


def test_a_document_already_imported_as_another_forum_is_named_and_nothing_written(
    site_dir: Path, tmp_path: Path
) -> None:
    imported_and_curated(site_dir, tmp_path)
    forums = site_dir / "content" / "forums"
    before = sorted(p.name for p in forums.iterdir())
    same = run(site_dir, "import", str(tmp_path / "autumn-v1.txt"), "--id", "2025-09-again")
    assert same.exit_code == 1
    assert (
        "autumn-v1.txt is a forum already: this very document was imported as forum '2025-09-autumn' "
        "(content/forums/2025-09-autumn.yaml). To bring in its changes, import it over that forum" in same.stderr
    )
    (tmp_path / "autumn-v2.docx.txt").write_text(V2, encoding="utf-8")  # another file, the same questions
    revised = run(site_dir, "import", str(tmp_path / "autumn-v2.docx.txt"), "--id", "2025-09-again")
    assert revised.exit_code == 1
    assert (
        "5 of its 5 questions are those of forum '2025-09-autumn' (content/forums/2025-09-autumn.yaml)"
        in revised.stderr
    )
    assert sorted(p.name for p in forums.iterdir()) == before


def test_importing_the_same_document_again_leaves_the_organisers_file_byte_for_byte(
    site_dir: Path, tmp_path: Path
) -> None:
    forum_file, curated = imported_and_curated(site_dir, tmp_path)
    result = run(site_dir, "import", str(tmp_path / "autumn-v1.txt"), "--id", FORUM, "--force")
    assert result.exit_code == 0, result.output
    assert forum_file.read_text(encoding="utf-8") == curated
