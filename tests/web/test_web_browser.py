"""A reader's whole journey in a real browser (Debian's chromium through Playwright).

`digest serve`'s app runs under uvicorn in a thread, on a free port, on a copy of the
test site with the Maildir outbox; the confirmation link is read from the outbox.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from support import FIXTURE_DAY

from digest.content.load import load_or_fail
from digest.db import connect
from digest.delivery.send import send_edition
from digest.editions.build import build
from digest.readers import store as store
from digest.readers.tokens import Signer
from digest.settings import load_settings
from digest.web.app import create_app

FORUM = "2025-07-test"


@pytest.fixture
def server(site_dir: Path):
    """The base URL of a live server; stopped (and its thread joined) after the test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(site_dir, overrides={"site.base_url": url})
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # only stops a test that would hang
    while not live.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield url
    live.should_exit = True
    thread.join(timeout=10)
    sock.close()
    assert not thread.is_alive(), "the server thread did not stop"


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def wait_for_mail(outbox: Path, count: int) -> list[email.message.EmailMessage]:
    """The outbox's messages once there are `count` (the confirmation is sent after the page answers)."""
    deadline = time.monotonic() + 60  # only stops a test that would hang
    while True:
        files = sorted((outbox / "new").glob("*")) if outbox.exists() else []
        if len(files) >= count or time.monotonic() > deadline:
            return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
        time.sleep(0.05)


def test_subscribe_confirm_change_pause_and_unsubscribe(server: str, page, site_dir: Path) -> None:
    conn = connect(site_dir / "var" / "digest.sqlite3")
    address = "amy.lee@oakfield.example"

    def reader() -> store.Subscriber:
        return store.find(conn, address)

    def next_send() -> list[str]:
        return [s.email for s in store.confirmed(conn)]  # exactly what delivery reads

    # A mistake first: the error summary is focused and links to the field.
    page.goto(f"{server}/subscribe")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Subscribe").click()
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    assert summary.get_by_role("link", name="Choose your school's district").get_attribute("href") == "#district"

    # Subscribe.
    page.get_by_label("Your name (optional)").fill("Amy Lee")
    page.get_by_label("School (optional)").fill("Oakfield Primary")
    page.get_by_label("District").select_option("Swale")
    page.get_by_role("group", name="Phases").get_by_label("Primary").check()
    page.get_by_role("group", name="Setting").get_by_label("Mainstream").check()
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"

    # Confirm from the email in the outbox. The work is done after the page is sent (the
    # same answer whoever the address is): the mail is its last step, so wait for that.
    [message] = wait_for_mail(site_dir / "var" / "outbox", 1)
    assert reader().status == "pending" and next_send() == []
    assert message["To"] == address
    body = message.get_body(("plain",)).get_content()
    confirm = re.search(rf"{re.escape(server)}/confirm/\S+", body).group(0)
    page.goto(confirm)
    assert reader().status == "pending"  # opening the link alone confirms nothing
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You are subscribed"
    assert reader().status == "confirmed" and next_send() == [address]
    welcome = wait_for_mail(site_dir / "var" / "outbox", 2)[-1]  # sent after the page
    assert welcome["Subject"] == "Welcome to the SENCO Forum digest"
    assert f"{server}/2025-07-test/" in welcome.get_body(("plain",)).get_content()

    # Preferences, from the link every digest carries.
    page.goto(f"{server}/preferences/{Signer().sign('manage', reader().id)}")
    phases = page.get_by_role("group", name="Phases")
    phases.get_by_label("Primary").uncheck()
    phases.get_by_label("Secondary").check()
    page.get_by_label("District").select_option("Thanet")
    page.get_by_role("button", name="Save preferences").click()
    assert "Your preferences are saved" in page.get_by_role("status").inner_text()
    assert reader().profile == store.Profile("Thanet", ("secondary",), "mainstream")
    # the form shows what was saved, so saving again (or after another change) keeps it
    assert page.get_by_label("District").input_value() == "Thanet"
    assert phases.get_by_label("Secondary").is_checked() and not phases.get_by_label("Primary").is_checked()
    page.get_by_role("button", name="Save preferences").click()
    assert "Your preferences are saved" in page.get_by_role("status").inner_text()
    assert reader().profile == store.Profile("Thanet", ("secondary",), "mainstream")
    setting = page.get_by_role("group", name="Setting")
    setting.get_by_label("Mainstream").uncheck()
    setting.get_by_label("Special").check()
    page.get_by_role("button", name="Save preferences").click()
    assert reader().profile == store.Profile("Thanet", ("secondary",), "special")

    page.get_by_role("button", name="Pause digests").click()
    assert reader().paused and next_send() == []
    page.get_by_role("button", name="Resume digests").click()
    assert not reader().paused and next_send() == [address]

    # Unsubscribe: the link itself changes nothing; the button does.
    page.goto(f"{server}/unsubscribe/{Signer().sign('manage', reader().id)}")
    assert reader().status == "confirmed"
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    assert reader().status == "unsubscribed"
    assert next_send() == []  # the next send leaves them out

    # The confirmation link, followed again after unsubscribing, subscribes nobody (issue 19).
    page.goto(confirm)
    assert page.get_by_role("heading", level=1).inner_text() == "This link is out of date"
    assert page.get_by_role("button", name="Confirm").count() == 0
    assert reader().status == "unsubscribed" and next_send() == []
    assert len(wait_for_mail(site_dir / "var" / "outbox", 2)) == 2  # and nothing else was mailed
    conn.close()


def test_an_editions_browser_copy_keeps_its_styles_under_the_servers_policy(
    server: str, browser, site_dir: Path
) -> None:
    """Issue 19: "View in your browser" under `digest serve` showed the email unstyled (the
    site's CSP blocked its inline styles), 608 px wide on a phone, its hidden preheader shown."""
    out = site_dir / "build"
    build(load_or_fail(load_settings(site_dir)), out, as_of=FIXTURE_DAY)
    copy = sorted((out / FORUM).glob(f"{FORUM}-*.html"))[0].relative_to(out).as_posix()
    refused: list[str] = []  # what the browser refused under the policy, as it says on its console
    for width in (375, 1024):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        response = page.goto(f"{server}/{copy}")
        header = "getComputedStyle(document.querySelector('td.header'))"
        assert page.evaluate(f"{header}.backgroundColor") == "rgb(18, 67, 109)"  # the digest's blue band
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Arial")
        assert page.locator(".preheader").is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        main = page.evaluate("document.querySelector('table.main').getBoundingClientRect().width")
        assert main == (width if width < 620 else 600)  # the phone rules (the <style> element) apply
        assert refused == []
        policy = response.headers["content-security-policy"]  # styles allowed, and still no script
        assert "style-src-attr 'unsafe-inline'" in policy and "script" not in policy and "default-src 'none'" in policy
        context.close()
    # the archive's own pages keep the site's policy: no inline style at all
    index = browser.new_page()
    assert "style-src 'self';" in index.goto(f"{server}/index.html").headers["content-security-policy"]
    assert "style-src-attr" not in index.goto(f"{server}/{FORUM}/index.html").headers["content-security-policy"]
    index.close()


def test_one_click_over_http_as_a_mail_provider_sends_it(server: str, site_dir: Path) -> None:
    """RFC 8058 through the real server: scanners GET the link, the provider POSTs it."""
    import httpx

    conn = connect(site_dir / "var" / "digest.sqlite3")
    sid = store.add(conn, "ben@elm.example", store.Profile("Dover", ("primary",), "special"))
    url = f"{server}/unsubscribe/{Signer().sign('manage', sid)}"
    scanned = httpx.get(url)
    assert scanned.status_code == 200 and store.get(conn, sid).status == "confirmed"
    response = httpx.post(url, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)  # no cookie
    assert response.status_code == 200 and "location" not in response.headers
    assert store.get(conn, sid).status == "unsubscribed"
    conn.close()


SPECIAL_ITEM = """      - id: special-outreach
        question: Is there outreach support for special schools?
        answer: Yes, the special school outreach team visits each term.
        topics: [Outreach]
        audience: {settings: [special]}
"""


def test_an_independent_special_school_subscribes_as_one_and_gets_what_is_for_it(
    server: str, page, site_dir: Path
) -> None:
    """Issue 20: the school ticks both settings; its digest holds the special-school item and
    none of the funding that is not open to independent schools."""
    forum = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    forum.write_text(forum.read_text() + SPECIAL_ITEM)
    address = "head@rowanbank.example"
    page.goto(f"{server}/subscribe")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("District").select_option("Dover")
    phases = page.get_by_role("group", name="Phases")
    for phase in ("Early years", "Primary", "Secondary", "Post-16"):
        phases.get_by_label(phase).check()
    setting = page.get_by_role("group", name="Setting")
    setting.get_by_label("Independent").check()
    setting.get_by_label("Special").check()
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    [message] = wait_for_mail(site_dir / "var" / "outbox", 1)
    page.goto(re.search(rf"{re.escape(server)}/confirm/\S+", message.get_body(("plain",)).get_content()).group(0))
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You are subscribed"
    wait_for_mail(site_dir / "var" / "outbox", 2)  # the welcome, sent after the page

    conn = connect(site_dir / "var" / "digest.sqlite3")
    want = store.Profile("Dover", ("early years", "primary", "secondary", "post-16"), ("special", "independent"))
    assert store.find(conn, address).profile == want
    conn.close()
    settings = load_settings(site_dir, overrides={"site.base_url": server})
    assert send_edition(settings, FORUM, as_of=FIXTURE_DAY).ok
    digest = wait_for_mail(site_dir / "var" / "outbox", 3)[-1]
    text = digest.get_body(("plain",)).get_content()
    assert "Is there outreach support for special schools?" in text.split("FOR YOUR SCHOOL")[1]
    assert "For special schools" in text
    assert "Year R funding" not in text  # not open to independent schools, so not to this one
    assert "as the SENCO of an all-age independent special school in Dover." in text
