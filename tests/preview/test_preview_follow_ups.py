"""The preview's follow-ups page: answer an item, save, and see who would get it, as
`digest send --follow-up` would send it; nothing is sent."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient
from support import FIXTURE_DAY
from support.browser import axe_violations
from support.delivery import FORUM, add_readers, outbox

from demo.answer import answer
from digest.delivery import followup
from digest.delivery.followup import dry_run
from digest.delivery.send import send_edition
from digest.preview.live import LiveSite
from digest.settings import load_settings

PAGE = f"/f/{FORUM}/follow-ups"


def test_before_any_send_the_page_says_nobody_is_waiting(client: TestClient, site_dir: Path) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "No digest has been sent from this folder yet (var/digest.sqlite3 does not exist)" in page.text
    assert not (site_dir / "var" / "digest.sqlite3").exists()  # looking does not create the database
    assert f'href="{PAGE}"' in client.get(f"/f/{FORUM}").text  # the forum's page links here


def test_answer_an_item_save_and_the_page_shows_who_would_get_it(
    client: TestClient, preview: LiveSite, site_dir: Path
) -> None:
    add_readers(site_dir)
    send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    assert "Nobody is due a follow-up" in client.get(PAGE).text

    forum = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    forum.write_text(answer(forum.read_text(), "pt-summer", "Yes: the six weeks stop over the summer holidays."))
    preview.reload()  # what saving the file does while the preview runs
    page = client.get(PAGE).text
    assert "5 readers in all would get a follow-up, in 1 distinct email." in page
    assert "Test SENCO Forum: 1 answer you were waiting for" in page
    for reader in ("ana@example.org", "ben@example.org", "eve@example.org"):
        assert f"<li>{reader}</li>" in page
    assert "it was still to come when they were sent it" in page
    assert "Yes: the six weeks stop over the summer holidays." in page  # the text part

    edition = re.search(r"follow-up\.html\?edition=([\w.-]+)", page)[1]
    plan, found = dry_run(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    assert {it.edition_id for it in found} == {edition}  # the very follow-up the command would send
    email = client.get(f"/f/{FORUM}/follow-up.html?edition={edition}")
    assert email.status_code == 200 and "Answers you were waiting for" in email.text
    assert "six weeks stop over the summer holidays" in client.get(f"/f/{FORUM}/follow-up.txt?edition={edition}").text
    source = client.get(f"/f/{FORUM}/follow-up.eml?edition={edition}").text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in source
    assert len(outbox(site_dir)) == 5  # the digest only: the preview sends nothing

    followup.send_follow_up(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    sent = client.get(PAGE).text
    assert "Nobody is due a follow-up" in sent and "but for the 5 readers who already have theirs" in sent

    gone = client.get(f"/f/{FORUM}/follow-up.html?edition={FORUM}.answers-00000000")
    assert gone.status_code == 404 and "go back to the list" in gone.text


def test_the_page_and_the_email_pass_axe_core(client: TestClient, preview: LiveSite, site_dir: Path, browser) -> None:
    add_readers(site_dir)
    send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    forum = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    forum.write_text(answer(forum.read_text(), "pt-summer", "Yes: the six weeks stop over the summer holidays."))
    preview.reload()
    page = client.get(PAGE).text
    edition = re.search(r"follow-up\.html\?edition=([\w.-]+)", page)[1]
    email = client.get(f"/f/{FORUM}/follow-up.html?edition={edition}").text
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    try:
        for html in (page, email):
            tab.set_content(html)
            violations = axe_violations(tab)
            assert violations == [], violations
    finally:
        context.close()
