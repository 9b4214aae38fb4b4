""" "Answered since the last forum" (issue 15): the next forum's digest lists the earlier
forums' answers each reader was still waiting for, once, as headlines linked to the archive;
readers are grouped by (profile, that list) and each distinct email is rendered once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from support import FIXTURE_DAY, REPO
from support.delivery import FORUM, add_readers, outbox, parse

from demo.answer import answer
from digest.content.load import load_or_fail
from digest.db import open_db
from digest.delivery import followup, since
from digest.delivery.compose import Plan
from digest.delivery.send import send_edition
from digest.delivery.sends import key_for
from digest.editions.render import Renderer
from digest.editions.select import day_after, editions
from digest.settings import load_settings

SPRING = "2025-03-test"
SPRING_FORUM = """\
id: 2025-03-test
title: Spring Test Forum
dates: [2025-03-12]
sections:
  - id: general
    title: General
    items:
      - id: spring-transport
        question: Who pays for transport to the new unit?
        answer: To be confirmed by the transport team.
        status: pending
        topics: [Transport]
      - id: spring-swale-hub
        question: When does the Swale hub open?
        status: pending
        topics: [Hubs]
        audience: {districts: [Swale]}
      - id: spring-forms
        question: Where are the new request forms?
        answer: On KELSI, under SEND.
        topics: [Forms]
"""


def texts(site_dir: Path, since_: int = 0) -> dict[str, str]:
    """Reader -> the text part of their message (from message number since_ on)."""
    out = {}
    for raw in outbox(site_dir)[since_:]:
        msg = parse(raw)
        out[msg["To"].addresses[0].addr_spec] = msg.get_body(("plain",)).get_content()
    return out


def spring_then_answered(site_dir: Path) -> None:
    """The spring forum's digest goes to five readers with two answers still to come; fay
    joins; then both are answered."""
    spring = site_dir / "content" / "forums" / f"{SPRING}.yaml"
    spring.write_text(SPRING_FORUM)
    add_readers(site_dir)
    settings = load_settings(site_dir)
    assert send_edition(settings, SPRING, as_of=date(2025, 3, 13)).sent == 5
    add_readers(site_dir, [("fay@example.org", "Fay Green", "Swale", "primary", "mainstream")])
    text = answer(spring.read_text(), "spring-transport", "The council pays, from the first day at the unit.")
    spring.write_text(answer(text, "spring-swale-hub", "It opens on 1 September 2025."))


def test_the_next_digest_lists_the_answers_each_reader_was_waiting_for(site_dir: Path) -> None:
    spring_then_answered(site_dir)
    settings = load_settings(site_dir)
    before = len(outbox(site_dir))
    assert send_edition(settings, FORUM, as_of=FIXTURE_DAY).sent == 6
    got = texts(site_dir, before)
    heading = "ANSWERED SINCE THE LAST FORUM"
    for reader in ("ana@example.org", "cat@example.org"):  # Swale: both
        part = got[reader].split(heading, 1)[1].split("\n\n\n", 1)[0]
        assert "Who pays for transport to the new unit?" in part and "When does the Swale hub open?" in part
        assert "https://digest.test.example/2025-03-test/#spring-swale-hub" in part
    for reader in ("ben@example.org", "dev@example.org", "eve@example.org"):
        part = got[reader].split(heading, 1)[1]
        assert "Who pays for transport" in part and "Swale hub" not in part
    assert heading not in got["fay@example.org"]  # joined after the spring digest: nothing was promised to her
    assert "Where are the new request forms?" not in got["ana@example.org"]  # answered all along: not listed

    html = next(parse(raw) for raw in outbox(site_dir)[before:] if "ana@" in str(parse(raw)["To"]))
    page = html.get_body(("html",)).get_content()
    assert '<a href="https://digest.test.example/2025-03-test/#spring-transport"' in page

    conn = open_db(settings)
    try:
        rows = dict(
            conn.execute(
                "SELECT s.email, d.edition_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
                " WHERE d.edition_key = ?",
                (key_for(FORUM, 1),),
            ).fetchall()
        )
    finally:
        conn.close()
    assert rows["ana@example.org"] == rows["cat@example.org"] != rows["fay@example.org"]  # same profile, other history
    browser = f"https://digest.test.example/{FORUM}/{rows['fay@example.org']}.html"
    assert browser in got["ana@example.org"]  # the browser copy is the profile's, without the list

    later = len(outbox(site_dir))
    again = send_edition(settings, FORUM, as_of=date(2025, 7, 12), again=True)  # another send of it: listed once only
    assert again.sent == 6
    assert all(heading not in text for text in texts(site_dir, later).values())
    plan, found = followup.dry_run(settings, SPRING, as_of=FIXTURE_DAY)
    assert found == []  # the digest told them it is answered, with the link: no follow-up on top


def test_each_distinct_email_is_rendered_once_and_a_rerun_sends_the_same(site_dir: Path) -> None:
    spring_then_answered(site_dir)
    settings = load_settings(site_dir)
    site = load_or_fail(settings)
    plan = Plan(settings, site, site.forum(FORUM), FIXTURE_DAY, key_for(FORUM, 1))
    conn = open_db(settings)
    try:
        plan.start(conn)
        ids = {sub.email: plan.for_reader(sub).edition.id for page in plan.pages(conn) for sub in page}
    finally:
        conn.close()
    profiles = {e.selection for e in (p.edition for p in plan.prepared)}
    assert len(profiles) == 4  # the four profiles of the six readers
    with_list = [p.edition for p in plan.prepared if p.edition.since]
    assert sorted(len(e.since) for e in with_list) == [1, 1, 1, 2]  # ana+cat share one; ben, dev, eve one each
    assert ids["ana@example.org"] == ids["cat@example.org"]
    assert len(set(ids.values())) == 5

    summary = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert summary.sent == 6
    rerun = send_edition(settings, FORUM, as_of=FIXTURE_DAY)  # its own rows do not count as history
    assert (rerun.sent, rerun.skipped) == (0, 6)


def test_the_list_keeps_every_email_within_the_word_budget() -> None:
    settings = load_settings(REPO)
    site = load_or_fail(settings)
    forum = site.forums["2025-07-term6"]
    renderer, budget = Renderer(settings), settings.render.words_budget
    measured = [renderer.render_text(e) for e in editions(site, forum, day_after(forum), site.taxonomy.profiles())]
    spring = site.forums["2024-03-countywide"]
    answered = tuple((spring, item) for item in spring.items if not item.feedback)[:20]

    near = max((r for r in measured if r.length.words <= budget - 60), key=lambda r: r.length.words)
    fitted = since.fit(renderer, near.edition, answered, budget)
    rendered = renderer.render(fitted)
    assert rendered.length.words <= budget
    assert 0 < len(fitted.since) < since.SHOWN_AT_MOST and len(fitted.since) + fitted.since_more == 20
    assert f"{fitted.since_more} more answers from earlier forums" in rendered.text

    longest = max(measured, key=lambda r: r.length.words)
    assert renderer.render_text(since.fit(renderer, longest.edition, answered, budget)).length.words <= budget

    short = min(measured, key=lambda r: r.length.words)
    full = short.length.words  # an edition with no room left: no list at all (it waits for the next digest)
    assert since.fit(renderer, short.edition, answered, full) is short.edition
    roomy = since.fit(renderer, short.edition, answered, budget)
    assert len(roomy.since) == since.SHOWN_AT_MOST and roomy.since_more == 10  # at most ten headlines
    assert renderer.render(roomy).length.words <= budget
