"""The record of what each reader was sent: one snapshot per distinct edition, tied to each
reader through their ledger row; what counts as a material change; old ledgers still work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import FIXTURE_DAY
from support.delivery import FORUM, KEY, add_readers, add_readers_before_0007, outbox

from digest import db
from digest.content.model import Item
from digest.db import open_db
from digest.delivery import ledger, record
from digest.delivery.followup import dry_run
from digest.delivery.send import send_edition
from digest.settings import load_settings


def item(answer: str, links: list[dict] | None = None, status: str = "answered") -> Item:
    return Item(id="x", question="Why?", answer=answer, status=status, links=links or [])


BASE = "Contact the **SEN Data** team at sen@example.org. See [the guide](https://example.org/guide/)."


@pytest.mark.parametrize(
    "edited",
    [
        BASE,
        "Contact the SEN Data team at sen@example.org.  See [the guide](https://example.org/guide/).",  # spacing, bold
        "Contact the SEN Data team at sen@example.org; see [the guide](https://EXAMPLE.org/guide).",  # punctuation, case
        "contact the  sen data team\nat sen@example.org - see [the guide](https://example.org/guide/)",  # line break
        "Contact the “SEN Data” team at sen@example.org. See [the guide](https://example.org/guide/).",  # quotes
    ],
)
def test_spacing_punctuation_case_and_markup_are_not_a_material_change(edited: str) -> None:
    assert record.fingerprint(item(edited)) == record.fingerprint(item(BASE))


@pytest.mark.parametrize(
    "edited",
    [
        BASE.replace("SEN Data", "SEN Assessment"),  # a word
        BASE + " Replies take 5 days.",  # a sentence
        BASE.replace("example.org/guide/", "example.org/guide-2025/"),  # a link
    ],
)
def test_a_word_a_number_or_a_link_is(edited: str) -> None:
    assert record.fingerprint(item(edited)) != record.fingerprint(item(BASE))


def test_a_link_listed_under_the_answer_is_part_of_it() -> None:
    listed = item(BASE, [{"title": "Form", "url": "https://example.org/form"}])
    assert record.fingerprint(listed) != record.fingerprint(item(BASE))
    assert record.version(item(BASE, status="follow-up")) == ("follow-up", record.fingerprint(item(BASE)))


def test_a_snapshot_is_named_by_its_contents() -> None:
    a = record.Snapshot.of("digest", [("f", item(BASE))])
    assert a.id == record.Snapshot.of("digest", [("f", item(BASE))]).id
    assert a.id != record.Snapshot.of("digest", [("f", item(BASE + " More."))]).id  # a later change: a new one
    assert a.id != record.Snapshot.of("follow-up", [("f", item(BASE))]).id
    with pytest.raises(ValueError):
        record.Snapshot.of("reminder", [("f", item(BASE))])


def test_a_send_records_each_edition_once_and_each_reader_through_their_ledger_row(site_dir: Path) -> None:
    add_readers(site_dir)  # five readers, four distinct editions
    settings = load_settings(site_dir)
    summary = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert summary.sent == 5
    conn = open_db(settings)
    try:
        rows = conn.execute("SELECT edition_id, snapshot FROM deliveries WHERE edition_key = ?", (KEY,)).fetchall()
        assert len(rows) == 5 and all(r["snapshot"] for r in rows)
        editions = {r["edition_id"]: r["snapshot"] for r in rows}
        assert len(editions) == 4 and len(set(editions.values())) == 4  # one snapshot per edition
        assert record.counts(conn)[0] == 4  # not one per reader
        statuses = dict(conn.execute("SELECT item, status FROM snapshot_items WHERE forum = ?", (FORUM,)).fetchall())
        assert statuses["pt-summer"] == "pending" and statuses["pt-preference-email"] == "answered"
        swale = next(r["snapshot"] for r in rows if r["edition_id"] == rows[0]["edition_id"])
        items = {r[0] for r in conn.execute("SELECT item FROM snapshot_items WHERE snapshot = ?", (swale,))}
        assert "swale-salt" in items and "pt-medway" not in items  # ana (Swale) was not sent the Medway answer
    finally:
        conn.close()
    again = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert again.sent == 0
    conn = open_db(settings)
    assert record.counts(conn)[0] == 4  # nothing recorded twice
    conn.close()


OLD_KEY = f"forum:{FORUM}@2025-07-11"  # a send's key as releases before 0006_sends named it


def test_a_ledger_from_before_the_record_keeps_working(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(site_dir)
    path = settings.path("db")
    with monkeypatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:3])  # the database as the last release left it
        ids = add_readers_before_0007(site_dir)
        conn = open_db(settings)  # and its ledger: everyone sent the digest, rows as that release wrote them
        rows = [(sid, f"{FORUM}-0000000{n}", f"<m{sid}@example.org>") for n, sid in enumerate(ids)]
        ledger.add_pending(conn, OLD_KEY, rows)
        for sid in ids:
            ledger.mark(conn, OLD_KEY, sid, "sent", "250 ok")
        conn.close()

    conn = open_db(settings)  # migrated on open
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert {"0004_sent_items", "0005_delivery_handed", "0006_sends"} <= set(names)
        rows = conn.execute("SELECT state, snapshot FROM deliveries").fetchall()
        assert [(r["state"], r["snapshot"]) for r in rows] == [("sent", None)] * 5  # kept as they were
    finally:
        conn.close()
    assert send_edition(settings, FORUM, as_of=FIXTURE_DAY).skipped == 5  # the ledger still knows who has it
    plan, found = dry_run(settings, FORUM, as_of=FIXTURE_DAY)
    assert found == [] and plan.prepared == []  # nothing is known of what they were sent: no follow-up
    later = send_edition(settings, FORUM, as_of=FIXTURE_DAY.replace(day=12), again=True)
    assert later.sent == 5 and len(outbox(site_dir)) == 5
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM deliveries WHERE snapshot IS NOT NULL").fetchone()[0] == 5
