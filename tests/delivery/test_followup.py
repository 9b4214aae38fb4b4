"""Follow-ups (issue 15): a pending item is answered in the YAML; the answer goes to exactly
the readers who were sent it as pending, once, and to nobody else."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner
from support import FIXTURE_DAY
from support.delivery import FORUM, READERS, add_readers, outbox, parse

from demo.answer import answer
from digest.cli.main import cli
from digest.content.load import load_or_fail
from digest.db import open_db
from digest.delivery import followup
from digest.delivery.pacing import Policy
from digest.delivery.send import send_edition
from digest.delivery.transports.base import OutcomeUnknown, Transport, nothing
from digest.readers import store
from digest.settings import load_settings

LATER = date(2025, 8, 1)
FORUM_FILE = Path("content/forums/2025-07-test.yaml")
ANSWER = "Yes. The 0-6 weeks stop over the **summer holidays**; see [the timescales](https://example.org/timescales)."


def edit(site_dir: Path, item: str, text: str, **fields: str) -> None:
    path = site_dir / FORUM_FILE
    path.write_text(answer(path.read_text(), item, text, **fields))


def follow_ups(site_dir: Path, since: int = 0) -> dict[str, object]:
    """Reader address -> the follow-up message they were sent (among the outbox's messages from `since` on)."""
    found = {}
    for raw in outbox(site_dir)[since:]:
        msg = parse(raw)
        if "waiting for" in str(msg["Subject"]) or "updated answer" in str(msg["Subject"]):
            to = msg["To"].addresses[0].addr_spec
            assert to not in found, f"{to} got two follow-ups"
            found[to] = msg
    return found


def digest_then_answer(site_dir: Path) -> None:
    """Everyone gets the digest with pt-summer still to come; then it is answered, and:
    ben unsubscribes, dev moves to Thanet, Thanet is taken out of the item's audience (so
    eve, in Thanet, is out too), and fay joins and is sent the digest, answer and all."""
    add_readers(site_dir)
    settings = load_settings(site_dir)
    assert send_edition(settings, FORUM, as_of=FIXTURE_DAY).sent == 5
    edit(site_dir, "pt-summer", ANSWER, answered_by="sen-data", audience="{exclude: {districts: [Thanet]}}")
    conn = open_db(settings)
    try:
        site = load_or_fail(settings)
        store.set_status(conn, store.find(conn, "ben@example.org").id, "unsubscribed")
        store.update(
            conn,
            store.find(conn, "dev@example.org").id,
            profile=site.taxonomy.profile("Thanet", ["primary"], "special"),
        )
    finally:
        conn.close()
    add_readers(site_dir, [("fay@example.org", "Fay Green", "Swale", "primary", "mainstream")])
    rerun = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert (rerun.sent, rerun.skipped) == (1, 4)  # fay is sent the digest with the answer in it


def test_the_answer_goes_to_exactly_the_readers_who_had_it_pending_once(site_dir: Path) -> None:
    digest_then_answer(site_dir)
    settings = load_settings(site_dir)
    before = len(outbox(site_dir))
    plan, summary = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert summary is not None and summary.ok and summary.sent == 2
    got = follow_ups(site_dir, before)
    assert sorted(got) == ["ana@example.org", "cat@example.org"]  # not ben, dev, eve (out), nor fay (had it)

    msg = got["ana@example.org"]
    assert str(msg["Subject"]) == "Test SENCO Forum: 1 answer you were waiting for"
    assert msg["List-Unsubscribe"].startswith("<https://digest.test.example/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",)).get_content()
    assert "Dear Siân Ó Briain," in text
    assert "Will the holidays count in the 0-6 week timescale?" in text  # the headline
    assert "The 0-6 weeks stop over the summer holidays" in text  # the answer in full
    assert "https://example.org/timescales" in text  # its link
    assert "Answered by SEN Data Coordination team: SENDataCoordination@kent.gov.uk" in text  # who answered
    assert "https://digest.test.example/2025-07-test/#pt-summer" in text
    for other in ("Swale schools lack access", "Year R funding", "parent preference email", "DATES FOR YOUR DIARY"):
        assert other not in text  # nothing else
    html = msg.get_body(("html",)).get_content()
    assert "<strong>summer holidays</strong>" in html and 'href="https://example.org/timescales"' in html

    again_plan, again = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert again is not None and (again.sent, again.skipped) == (0, 2)  # a second run sends nothing
    assert len(outbox(site_dir)) == before + 2


def test_an_answer_goes_out_once_per_version_and_only_a_material_change_is_a_new_one(site_dir: Path) -> None:
    digest_then_answer(site_dir)
    settings = load_settings(site_dir)
    first, _ = followup.send_follow_up(settings, FORUM, as_of=LATER)
    before = len(outbox(site_dir))

    edit(site_dir, "pt-summer", ANSWER.replace("Yes. The", "Yes, the").replace(";", " -"), answered_by="sen-data")
    plan, summary = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert plan.key == first.key  # punctuation: the answers stand as they were, so it is the same follow-up
    assert summary is not None and (summary.sent, summary.skipped) == (0, 2)
    assert len(outbox(site_dir)) == before

    edit(site_dir, "pt-summer", ANSWER.replace("stop", "do not stop"), answered_by="sen-data")
    plan, summary = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert summary is not None and summary.sent == 3
    got = follow_ups(site_dir, before)
    assert sorted(got) == ["ana@example.org", "cat@example.org", "fay@example.org"]  # fay had the old words
    assert str(got["fay@example.org"]["Subject"]) == "Test SENCO Forum: 1 updated answer"
    assert "Updated since we sent it" in got["fay@example.org"].get_body(("plain",)).get_content()
    assert len(plan.prepared) == 1  # one distinct set of answers: rendered once
    assert followup.send_follow_up(settings, FORUM, as_of=LATER)[1].sent == 0


def test_readers_are_grouped_by_the_answers_they_are_due(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    edit(site_dir, "pt-summer", ANSWER)
    edit(site_dir, "swale-salt", "Commissioners have agreed two more therapists for Swale from September.")
    plan, found = followup.dry_run(settings, FORUM, as_of=LATER)
    due = {
        it.email: {i.id for i in next(p for p in plan.prepared if p.edition.id == it.edition_id).edition.items}
        for it in found
    }
    swale = {"pt-summer", "swale-salt"}
    assert due == {
        "ana@example.org": swale,
        "cat@example.org": swale,
        "ben@example.org": {"pt-summer"},
        "dev@example.org": {"pt-summer"},
        "eve@example.org": {"pt-summer"},
    }
    assert len(plan.prepared) == 2 and plan.due_readers == 5
    assert {it.action for it in found} == {"send"}
    swale_edition = next(p.edition for p in plan.prepared if len(p.edition.items) == 2)
    assert (swale_edition.waited, swale_edition.changed) == (1, 1)
    assert "2025-07-test.answers-" in swale_edition.id
    assert outbox(site_dir) and len(outbox(site_dir)) == 5  # the dry run sent nothing


class LostReply(Transport):
    """Hands every message over; to `lost`, the server's answer never comes back."""

    name = "lost-reply"

    def __init__(self, lost: str) -> None:
        self.lost, self.delivered = lost, []

    def send(self, sender, recipients, message, handing_over=nothing) -> str:
        handing_over()
        self.delivered.append(recipients[0])
        if recipients[0] == self.lost:
            raise OutcomeUnknown("no reply after DATA")
        return "250 ok"


def test_an_answer_in_a_message_of_unknown_outcome_goes_again_with_the_next_answer(site_dir: Path) -> None:
    """An answer is told to a reader only by a message delivered: ana's follow-up of the first
    answer is of unknown outcome (held, not resent), so when a second answer makes a new
    follow-up she is sent both, as answers she was waiting for. A duplicate, never a loss."""
    path = site_dir / FORUM_FILE
    path.write_text(
        path.read_text().replace(
            "answer: In Term 6, so schools can plan.", "answer: To follow.\n        status: pending"
        )
    )
    add_readers(site_dir)
    settings = load_settings(site_dir, overrides={"delivery.hold_unknown": True})
    send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    edit(site_dir, "pt-summer", ANSWER)
    transport = LostReply("ana@example.org")
    _, first = followup.send_follow_up(settings, FORUM, as_of=LATER, transport=transport, policy=Policy(max_attempts=1))
    assert first is not None and (first.sent, first.unknown) == (4, 1) and "ana@example.org" in transport.delivered

    before = len(outbox(site_dir))
    edit(site_dir, "year-r-funding", "Decisions are made in the second week of Term 6.")
    plan, second = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert second is not None and second.ok and second.key != first.key
    got = follow_ups(site_dir, before)
    subjects = {to: str(msg["Subject"]) for to, msg in got.items()}
    assert subjects == {
        "ana@example.org": "Test SENCO Forum: 2 answers you were waiting for",  # both: the first may not have come
        "cat@example.org": "Test SENCO Forum: 1 answer you were waiting for",  # the second: she has the first
        "dev@example.org": "Test SENCO Forum: 1 answer you were waiting for",
    }
    text = got["ana@example.org"].get_body(("plain",)).get_content()
    assert "summer holidays" in text and "second week of Term 6" in text


def test_a_reader_sent_only_the_answer_gets_no_follow_up(site_dir: Path) -> None:
    edit(site_dir, "pt-summer", ANSWER)  # answered before anyone was sent the digest
    add_readers(site_dir)
    settings = load_settings(site_dir)
    send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    plan, summary = followup.send_follow_up(settings, FORUM, as_of=LATER)
    assert summary is None and plan.prepared == []


def test_the_command_dry_run_lists_who_gets_which_answers_and_how_many_in_all(site_dir: Path) -> None:
    digest_then_answer(site_dir)
    run = CliRunner().invoke(
        cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--follow-up", "--dry-run", "--as-of", "2025-08-01"]
    )
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    rows = [line.split("\t") for line in lines if "\t" in line]
    assert sorted((r[0], r[2], r[3]) for r in rows) == [
        ("ana@example.org", "send", "pt-summer"),
        ("cat@example.org", "send", "pt-summer"),
    ]
    assert "Dry run: 2 readers in all are due a follow-up (2 send):" in lines
    assert any(line.strip().endswith("1 answer for 2 readers: pt-summer") for line in lines)
    sent = CliRunner().invoke(
        cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--follow-up", "--as-of", "2025-08-01"]
    )
    assert sent.exit_code == 0 and ": 2 sent, 0 already sent" in sent.output, sent.output


def test_nobody_waiting_is_said_plainly_and_test_copies_are_refused(site_dir: Path) -> None:
    add_readers(site_dir)
    send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    run = CliRunner().invoke(cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--follow-up"])
    assert run.exit_code == 0 and "nobody is due a follow-up of 2025-07-test" in run.output
    assert "docs/follow-ups.md" in run.output
    refused = CliRunner().invoke(
        cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--follow-up", "--to", "me@example.org"]
    )
    assert refused.exit_code == 2 and "--dry-run" in refused.output and "Traceback" not in refused.output
    unknown = CliRunner().invoke(cli, ["--root", str(site_dir), "send", "--forum", "2025-07-tset", "--follow-up"])
    assert unknown.exit_code == 1 and "no forum '2025-07-tset'" in unknown.output and "2025-07-test" in unknown.output
    assert len(outbox(site_dir)) == len(READERS)


def test_a_follow_up_is_at_most_300_words_besides_the_answers_themselves() -> None:
    from support import REPO

    from digest.delivery.followup import CHANGED, WAITED, FollowUp, FollowUpPlan
    from digest.editions.measure import words

    settings = load_settings(REPO)
    site = load_or_fail(settings)
    forum = site.forums["2025-07-term6"]
    waiting = [i for i in forum.items if i.status != "answered" and not i.feedback]
    assert len(waiting) >= 10
    answered = [
        i.model_copy(update={"status": "answered", "answer": f"The answer to {i.id}, in full."}) for i in waiting
    ]
    plan = FollowUpPlan(settings, site, forum, LATER)
    for items, reasons in [
        (answered[:1], (WAITED,)),
        (answered, tuple(WAITED if n % 2 else CHANGED for n in range(len(answered)))),
    ]:
        edition = FollowUp(site, forum, LATER, tuple(items), reasons)
        rendered = plan.renderer.render(edition)
        ctx = plan.renderer.context(edition, rendered.subject) | {"people": {c.id: c for c in site.contacts}}
        block = plan.renderer.env.get_template("partials/answer.txt")
        answers = sum(words(block.render(ctx | {"item": i, "why": w})) for i, w in edition.answers)
        frame = words(rendered.text) - answers  # the footer included
        assert 50 < frame <= 300, (len(items), frame)
        for item in items:
            assert f"The answer to {item.id}, in full." in rendered.text and item.id in rendered.html
