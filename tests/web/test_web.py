"""The web pages through Starlette's test client: double opt-in, preferences, one-click
unsubscribe, and the security checks (tokens, CSRF, enumeration, header injection)."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import re
import threading
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from digest.content.load import load_or_fail
from digest.db import connect
from digest.editions.build import build
from digest.readers import store as store
from digest.readers.tokens import BadToken, Signer
from digest.settings import load_settings
from digest.web.app import SECURITY_HEADERS, create_app
from digest.web.site import EDITION_COPY

BASE = "https://digest.test.example"
FORM = {
    "email": "amy@oak.example",
    "name": "Amy Lee",
    "school": "Oak Primary",
    "district": "Swale",
    "phases": ["primary"],
    "setting": "mainstream",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(site_dir: Path, clock: Clock):
    with TestClient(create_app(load_settings(site_dir), clock)) as c:
        yield c


@pytest.fixture
def db(site_dir: Path):
    conn = connect(site_dir / "var" / "digest.sqlite3")
    yield conn
    conn.close()


def outbox(site_dir: Path) -> list[email.message.EmailMessage]:
    files = sorted((site_dir / "var" / "outbox" / "new").glob("*")) if (site_dir / "var" / "outbox").exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def link(message: email.message.EmailMessage, kind: str) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(BASE)}(/{kind}/\S+)", body).group(1)


def csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def subscribe(client: TestClient, **changes: object):
    response = client.post("/subscribe", data={**FORM, **changes, "csrf": csrf(client, "/subscribe")})
    client.app.state.pages.settle()  # what the form causes is done after the answer
    return response


def confirmed_emails(conn) -> list[str]:
    return [s.email for s in store.confirmed(conn)]


def add_reader(conn, address: str = "ben@elm.example", status: str = "confirmed") -> int:
    return store.add(conn, address, store.Profile("Thanet", ("secondary",), "special"), name="Ben", status=status)


def confirm_link(conn, subscriber_id: int, ttl: int = 60) -> str:
    """A confirmation link as the mail carries it: bound to the reader's request."""
    return (
        f"/confirm/{Signer().sign('confirm', subscriber_id, ttl=ttl, bound=store.confirm_bound(conn, subscriber_id))}"
    )


# -- the journey ----------------------------------------------------------------------------
def test_subscribe_form_is_accessible_and_sets_a_strict_cookie(client: TestClient) -> None:
    page = client.get("/subscribe")
    assert page.status_code == 200
    html = page.text
    for field in ("email", "name", "school", "district"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "<legend>Phases</legend>" in html and '<label for="phases-0">Early years</label>' in html
    assert "<legend>Setting</legend>" in html
    assert '<optgroup label="East Kent">' in html and '<optgroup label="Outside Kent">' in html
    assert "<script" not in html
    cookie = page.headers["set-cookie"].lower()
    assert "digest_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/", follow_redirects=False).headers["location"] == "/subscribe"
    css = client.get("/static/web.css")
    assert css.headers["content-type"].startswith("text/css") and "#12436d" in css.text


def test_double_opt_in(client: TestClient, db, site_dir: Path) -> None:
    page = subscribe(client)
    assert page.status_code == 200 and "Check your email" in page.text
    amy = store.find(db, "amy@oak.example")
    assert (amy.status, amy.name, amy.school) == ("pending", "Amy Lee", "Oak Primary")
    assert store.consent(db, amy.id)["consent_method"] == "web"
    assert store.consent(db, amy.id)["consent_ip"] == "testclient"
    assert confirmed_emails(db) == []  # nothing goes to the address until it is confirmed

    [message] = outbox(site_dir)
    assert message["To"] == "amy@oak.example"
    assert message["Subject"] == "Confirm your subscription to the SENCO Forum digest"
    confirm = link(message, "confirm")
    ask = client.get(confirm)  # a mail scanner following the link confirms nothing
    assert ask.status_code == 200 and "a primary mainstream school in Swale" in ask.text
    assert store.get(db, amy.id).status == "pending"

    token = csrf(client, confirm)
    done = client.post(confirm, data={"csrf": token})
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert confirmed_emails(db) == ["amy@oak.example"]
    client.app.state.pages.settle()
    # a welcome: what comes next, the latest digest in the archive, and their own preferences link
    _, welcome = outbox(site_dir)
    assert (welcome["To"], welcome["Subject"]) == ("amy@oak.example", "Welcome to the SENCO Forum digest")
    text = welcome.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"The latest digest, Test SENCO Forum, is in the archive:\n\n{BASE}/2025-07-test/\n" in text
    assert "for a primary mainstream school in Swale" in text.replace("\n", " ")
    assert Signer().verify("manage", link(welcome, "preferences").rsplit("/", 1)[1]) == amy.id
    client.post(confirm, data={"csrf": token})  # pressed again: no second welcome
    client.app.state.pages.settle()
    assert len(outbox(site_dir)) == 2
    record = store.consent(db, amy.id)
    assert record["confirmed_at"] and record["confirmed_ip"] == "testclient"
    manage = re.search(r'href="(/preferences/[^"]+)"', done.text).group(1)
    assert Signer().verify("manage", manage.rsplit("/", 1)[1]) == amy.id
    assert "You are subscribed" in client.get(confirm).text  # following it again is harmless


def test_preferences_change_pause_and_unsubscribe(client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    other = add_reader(db, "zed@yew.example")
    url = f"/preferences/{Signer().sign('manage', amy)}"
    page = client.get(url)
    assert "amy@oak.example" in page.text and "zed@yew.example" not in page.text  # only their own data
    assert '<option value="Thanet" selected>' in page.text and 'value="secondary" checked' in page.text

    token = csrf(client, url)
    saved = client.post(
        url,
        data={
            "csrf": token,
            "action": "save",
            "district": "dover",
            "phases": ["primary", "secondary"],
            "setting": "Mainstream",
        },
    )
    assert saved.status_code == 200 and "Your preferences are saved" in saved.text
    assert store.get(db, amy).profile == store.Profile("Dover", ("primary", "secondary"), "mainstream")

    wrong = client.post(url, data={"csrf": token, "action": "save", "district": "Atlantis", "setting": "mainstream"})
    assert wrong.status_code == 400
    assert '<a href="#district">Choose your school&#39;s district</a>' in wrong.text
    assert '<a href="#phases-0">Choose at least one phase your school covers</a>' in wrong.text
    assert store.get(db, amy).profile.district == "Dover"

    client.post(url, data={"csrf": token, "action": "pause"})
    assert confirmed_emails(db) == ["zed@yew.example"]
    client.post(url, data={"csrf": token, "action": "resume"})
    assert confirmed_emails(db) == ["amy@oak.example", "zed@yew.example"]
    gone = client.post(url, data={"csrf": token, "action": "unsubscribe"})
    assert "You are unsubscribed" in gone.text and store.get(db, amy).status == "unsubscribed"
    assert confirmed_emails(db) == ["zed@yew.example"]
    back = client.post(url, data={"csrf": token, "action": "resubscribe"})
    assert "You are subscribed again" in back.text and store.get(db, amy).status == "confirmed"
    assert store.get(db, other).profile.district == "Thanet"


# -- one-click unsubscribe (RFC 8058) ---------------------------------------------------------
def test_one_click_post_unsubscribes_without_cookie_or_redirect(site_dir: Path, client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    url = f"/unsubscribe/{Signer().sign('manage', amy)}"
    with TestClient(client.app) as provider:  # a mail provider: no cookie, no page fetched first
        response = provider.post(url, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert response.status_code == 200 and "location" not in response.headers
    assert store.get(db, amy).status == "unsubscribed"
    assert confirmed_emails(db) == []
    again = TestClient(client.app).post(url, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert again.status_code == 200  # a retry is fine


def test_one_click_post_as_multipart(client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    body = b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    response = TestClient(client.app).post(
        f"/unsubscribe/{Signer().sign('manage', amy)}",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 200 and store.get(db, amy).status == "unsubscribed"


def test_get_of_the_unsubscribe_link_never_unsubscribes(client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    url = f"/unsubscribe/{Signer().sign('manage', amy)}"
    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200 and '<button type="submit" class="warning">Unsubscribe</button>' in page.text
    assert store.get(db, amy).status == "confirmed"
    assert client.post(url, data={}).status_code == 403  # neither one-click nor our form: refused
    assert store.get(db, amy).status == "confirmed"
    done = client.post(url, data={"csrf": csrf(client, url)})  # the button on the page
    assert done.status_code == 200 and store.get(db, amy).status == "unsubscribed"


def test_a_head_request_changes_nothing_whatever_its_body(client: TestClient, db, site_dir: Path) -> None:
    """HEAD is GET without the body of the answer: never a state change, not even with
    a One-Click body or a valid form (Starlette routes HEAD wherever GET goes)."""
    amy = add_reader(db, "amy@oak.example")
    pend = add_reader(db, "pen@oak.example", "pending")
    unsubscribe = f"/unsubscribe/{Signer().sign('manage', amy)}"
    prefs = f"/preferences/{Signer().sign('manage', amy)}"
    confirm = confirm_link(db, pend)
    form = "application/x-www-form-urlencoded"
    one_click = TestClient(client.app).request(
        "HEAD", unsubscribe, content=b"List-Unsubscribe=One-Click", headers={"content-type": form}
    )
    assert one_click.status_code == 200 and one_click.content == b""
    for path, data in (
        (unsubscribe, {"csrf": csrf(client, unsubscribe)}),
        (prefs, {"csrf": csrf(client, prefs), "action": "unsubscribe"}),
        (confirm, {"csrf": csrf(client, confirm)}),
        ("/subscribe", {**FORM, "csrf": csrf(client, "/subscribe")}),
    ):
        response = client.request("HEAD", path, data=data)
        assert response.status_code == 200, path
    client.app.state.pages.settle()
    assert store.get(db, amy).status == "confirmed" and store.get(db, pend).status == "pending"
    assert store.find(db, "amy@oak.example").paused is False and outbox(site_dir) == []


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "https://digest.test.example.evil.example", "http://digest.test.example"]
)
def test_a_form_posted_from_another_origin_is_refused_even_with_the_cookie_and_field(
    client: TestClient, db, site_dir: Path, origin: str
) -> None:
    """The Origin check is a second guard behind the SameSite cookie and the signed field:
    a browser that sent both (an extension, a bug) still says where the form came from."""
    amy = add_reader(db, "amy@oak.example")
    prefs = f"/preferences/{Signer().sign('manage', amy)}"
    for path, data in (
        ("/subscribe", {**FORM, "csrf": csrf(client, "/subscribe")}),
        (prefs, {"csrf": csrf(client, prefs), "action": "unsubscribe"}),
    ):
        refused = client.post(path, data=data, headers={"origin": origin})
        assert refused.status_code == 403 and "Your form could not be accepted" in refused.text
    client.app.state.pages.settle()
    assert store.find(db, "amy@oak.example").status == "confirmed" and outbox(site_dir) == []
    ours = client.post(prefs, data={"csrf": csrf(client, prefs), "action": "pause"}, headers={"origin": BASE})
    assert ours.status_code == 200 and store.get(db, amy).paused
    # what the client itself talks to is ours too (a proxy in front keeps the Host)
    local = client.post(
        prefs, data={"csrf": csrf(client, prefs), "action": "resume"}, headers={"origin": "http://testserver"}
    )
    assert local.status_code == 200 and not store.get(db, amy).paused
    # the RFC 8058 POST comes from a mail provider with no Origin and no cookie: it still works
    one_click = TestClient(client.app).post(
        f"/unsubscribe/{Signer().sign('manage', amy)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200 and store.get(db, amy).status == "unsubscribed"


@pytest.mark.parametrize(
    "spell",
    [
        lambda sid, exp: f"0{sid}.{exp}",
        lambda sid, exp: f"+{sid}.{exp}",
        lambda sid, exp: f"{sid}.+{exp}",
        lambda sid, exp: f"{sid}.0{exp}",
        lambda sid, exp: f" {sid}.{exp}",
        lambda sid, exp: f"{sid}_0.{exp}" if sid >= 10 else f"{sid}.0_0",
        lambda sid, exp: "".join(chr(0x0660 + int(c)) for c in str(sid)) + f".{exp}",  # Arabic-Indic digits
        lambda sid, exp: "".join(chr(0xFF10 + int(c)) for c in str(sid)) + f".{exp}",  # full-width digits
    ],
)
def test_tokens_accept_only_canonical_ascii_numbers(db, spell) -> None:
    """int() reads '01', '+1', ' 1', '1_0' and '١' as numbers: each would be another
    spelling of a valid token for the same reader (a second link, a second log line)."""
    amy = add_reader(db, "amy@oak.example")
    signer = Signer()
    for ttl in (None, 3600):
        good = signer.sign("manage", amy, ttl=ttl)
        _, exp, mac = good.split(".")
        assert signer.verify("manage", good) == amy
        variant = f"{spell(amy, exp)}.{mac}"
        assert variant != good
        with pytest.raises(BadToken):
            signer.verify("manage", variant)


# -- security ---------------------------------------------------------------------------------
def test_tampered_and_expired_tokens_are_refused(client: TestClient, db) -> None:
    amy, ben = add_reader(db, "amy@oak.example", "pending"), add_reader(db, "ben@elm.example")
    good = Signer().sign("manage", amy)
    sid, expires, mac = good.split(".")
    for token in (
        f"{ben}.{expires}.{mac}",
        f"{sid}.{expires}.{mac[:-1]}A",
        "garbage",
        f"{sid}.{expires}.é{mac[1:]}",
        Signer(b"another-key-0123456789").sign("manage", amy),
    ):
        for path in (f"/preferences/{token}", f"/unsubscribe/{token}"):
            response = client.get(path)
            assert response.status_code == 400 and "This link does not work" in response.text, (path, token)
        assert (
            TestClient(client.app).post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
            == 400
        )
    # a confirm token is not a manage token, nor the other way round
    assert client.get(f"/preferences/{Signer().sign('confirm', amy, ttl=60)}").status_code == 400
    assert client.get(f"/confirm/{good}").status_code == 400
    expired = client.get(confirm_link(db, amy, ttl=-1))
    assert expired.status_code == 400 and "This link has expired" in expired.text
    assert store.get(db, amy).status == "pending" and store.get(db, ben).status == "confirmed"


def test_forms_without_a_matching_csrf_token_are_refused(client: TestClient, db, site_dir: Path) -> None:
    amy = add_reader(db, "amy@oak.example")
    prefs = f"/preferences/{Signer().sign('manage', amy)}"
    other_form = csrf(client, "/subscribe")  # valid, but for another form
    for path, data in (
        ("/subscribe", FORM),
        (prefs, {"action": "unsubscribe"}),
        (prefs, {"action": "unsubscribe", "csrf": other_form}),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 403 and "Your form could not be accepted" in response.text
    stranger = TestClient(client.app)  # a field copied from our page, but another browser's cookie
    assert stranger.post("/subscribe", data={**FORM, "csrf": other_form}).status_code == 403
    assert store.find(db, "amy@oak.example").status == "confirmed" and outbox(site_dir) == []


def test_subscribe_does_not_tell_who_subscribes(client: TestClient, db, site_dir: Path) -> None:
    add_reader(db, "known@elm.example")
    add_reader(db, "pend@elm.example", "pending")
    add_reader(db, "left@elm.example", "unsubscribed")
    store.erase(db, add_reader(db, "erased@elm.example") and "erased@elm.example")
    pages = {}
    for address in (
        "new@elm.example",
        "known@elm.example",
        "pend@elm.example",
        "left@elm.example",
        "erased@elm.example",
    ):
        response = subscribe(client, email=address, district="Dover")
        body = response.text.replace(address, "ADDRESS")
        pages[address] = (response.status_code, body, sorted(k for k in response.headers if k != "content-length"))
    assert len(set(map(repr, pages.values()))) == 1
    sent = {m["To"]: m["Subject"] for m in outbox(site_dir)}
    assert sent == {
        "new@elm.example": "Confirm your subscription to the SENCO Forum digest",
        "pend@elm.example": "Confirm your subscription to the SENCO Forum digest",  # sent again
        "left@elm.example": "Confirm your subscription to the SENCO Forum digest",
        "known@elm.example": "You already receive the SENCO Forum digest",  # with their preferences link
    }
    assert store.find(db, "known@elm.example").profile.district == "Thanet"  # a stranger changed nothing
    assert store.find(db, "left@elm.example").status == "pending"
    assert store.find(db, "erased@elm.example") is None


def test_subscribing_does_the_same_work_before_answering_whoever_the_address_is(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not timed (the machine is shared): every statement the database runs before the
    page is answered is recorded, and it is the same list for a new, a pending, an
    unsubscribed, a confirmed and an erased address. Looking the address up and writing
    happen after the answer, in the order the forms came."""
    import digest.web.pages as web_pages

    statements: list[str] = []
    real_connect = web_pages.connect

    def traced(path: Path, **kw: object):
        conn = real_connect(path, **kw)
        if not threading.current_thread().name.startswith("digest-web-after"):  # the work after the answer
            conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(web_pages, "connect", traced)
    app = create_app(load_settings(site_dir))
    settle = getattr(app.state.pages, "settle", lambda: None)
    conn = connect(site_dir / "var" / "digest.sqlite3")
    add_reader(conn, "known@elm.example")
    add_reader(conn, "pend@elm.example", "pending")
    add_reader(conn, "left@elm.example", "unsubscribed")
    store.erase(conn, add_reader(conn, "erased@elm.example") and "erased@elm.example")
    work = {}
    with TestClient(app) as client:
        for address in (
            "new@elm.example",
            "known@elm.example",
            "pend@elm.example",
            "left@elm.example",
            "erased@elm.example",
        ):
            token = csrf(client, "/subscribe")
            settle()  # what earlier forms left to do is done, so that only this request is seen
            statements.clear()
            response = client.post("/subscribe", data={**FORM, "email": address, "csrf": token})
            assert response.status_code == 200
            work[address] = list(statements)
            settle()
    assert len({tuple(w) for w in work.values()}) == 1, work
    assert not any(re.match(r"\s*(INSERT|UPDATE|DELETE)", sql, re.I) for sql in work["new@elm.example"])
    assert store.find(conn, "new@elm.example").status == "pending"  # ... and the work was done after
    assert store.find(conn, "left@elm.example").status == "pending"
    assert {m["To"] for m in outbox(site_dir)} == {
        "new@elm.example", "pend@elm.example", "left@elm.example", "known@elm.example",
    }  # fmt: skip
    conn.close()


def test_line_breaks_in_the_name_are_refused(client: TestClient, db, site_dir: Path) -> None:
    for field, value in (
        ("name", "Amy\r\nBcc: victim@example.org"),
        ("school", "Oak\nX"),
        ("email", "amy@oak.example\r\nBcc: victim@example.org"),
    ):
        response = subscribe(client, **{field: value})
        assert response.status_code == 400
        assert f'<a href="#{field}">' in response.text and 'aria-invalid="true"' in response.text
        assert response.text.count("There is a problem") == 1
    assert store.find(db, "amy@oak.example") is None and outbox(site_dir) == []


def test_every_mistake_is_listed_and_linked(client: TestClient) -> None:
    response = client.post("/subscribe", data={"csrf": csrf(client, "/subscribe")})
    assert response.status_code == 400
    assert response.text.count('<li><a href="#') == 4
    for anchor in ("#email", "#district", "#phases-0", "#setting-0"):
        assert f'href="{anchor}"' in response.text
    assert "<title>Error: Subscribe" in response.text and "autofocus" in response.text


def test_subscribe_is_limited_per_address_never_per_connection(client: TestClient, clock: Clock, db) -> None:
    """A room of readers on one Wi-Fi (one connection here) never holds each other up:
    tries are counted per address the form names, its mistakes included."""
    for n in range(12):  # more than five readers, one after another, from one connection
        assert subscribe(client, email=f"r{n}@elm.example").status_code == 200
    # one address: five tries, mistakes included, then it waits
    assert subscribe(client, email="amy@oak.example", district="").status_code == 400
    assert subscribe(client, email="AMY@oak.example ", setting="").status_code == 400  # the same address
    for _ in range(3):
        assert subscribe(client, email="amy@oak.example").status_code == 200
    refused = subscribe(client, email="Amy@Oak.example")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 121
    assert "Try again in 2 minutes." in refused.text and "This address has been sent" in refused.text
    assert subscribe(client, email="ben@elm.example").status_code == 200  # nobody else waits for it
    for _ in range(8):  # a form naming no address stores and mails nothing, and is not counted
        assert subscribe(client, email="").status_code == 400
    clock.now += 120  # one try back every 120 seconds (5 per 600)
    assert subscribe(client, email="amy@oak.example").status_code == 200
    assert subscribe(client, email="amy@oak.example").status_code == 429
    assert store.find(db, "r11@elm.example").status == "pending"


def test_a_confirmation_link_works_only_for_the_request_it_answers(client: TestClient, db, site_dir: Path) -> None:
    """Issue 19: an old confirmation link subscribed again a reader who had unsubscribed since."""
    subscribe(client)
    first = link(outbox(site_dir)[-1], "confirm")
    subscribe(client, name="Amy L.")  # asked again while pending: the first link still answers it
    assert len(outbox(site_dir)) == 2
    token = csrf(client, first)  # the Confirm button's form, as the reader's browser holds it
    assert client.post(first, data={"csrf": token}).status_code == 200
    amy = store.find(db, "amy@oak.example")
    assert (amy.status, amy.name) == ("confirmed", "Amy L.")
    again = client.post(first, data={"csrf": token})
    assert again.status_code == 200 and "You are subscribed" in again.text  # pressed twice: harmless

    prefs = f"/preferences/{Signer().sign('manage', amy.id)}"
    client.post(prefs, data={"csrf": csrf(client, prefs), "action": "unsubscribe"})
    assert store.get(db, amy.id).status == "unsubscribed"
    for method in ("GET", "POST"):
        stale = client.request(method, first, data={"csrf": token} if method == "POST" else None)
        assert stale.status_code == 400 and "This link is out of date" in stale.text, method
        assert "Confirm</button>" not in stale.text
    assert store.get(db, amy.id).status == "unsubscribed"
    bounced = add_reader(db, "bob@elm.example", "pending")
    old = confirm_link(db, bounced)
    token = csrf(client, old)
    store.set_status(db, bounced, "bounced")
    assert client.post(old, data={"csrf": token}).status_code == 400
    assert store.get(db, bounced).status == "bounced"

    subscribe(client)  # a new request: a new link; the old one no longer works at all
    client.app.state.pages.settle()
    new = link(outbox(site_dir)[-1], "confirm")
    assert store.get(db, amy.id).status == "pending"
    gone = client.get(first)
    assert gone.status_code == 400 and "This link does not work" in gone.text
    assert client.post(new, data={"csrf": csrf(client, new)}).status_code == 200
    assert store.get(db, amy.id).status == "confirmed"


def test_security_headers_on_every_response(client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    for response in (
        client.get("/subscribe"),
        client.get(f"/preferences/{Signer().sign('manage', amy)}"),
        client.get("/no-such-page"),
        client.put("/subscribe"),
        client.post("/subscribe", data={}),
    ):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert "script-src" not in SECURITY_HEADERS["content-security-policy"]  # default-src 'none': no script at all
    assert client.get("/no-such-page").status_code == 404
    assert client.put("/subscribe").status_code == 405


def test_erased_reader_links_stop_working(client: TestClient, db) -> None:
    amy = add_reader(db, "amy@oak.example")
    token = Signer().sign("manage", amy)
    store.erase(db, "amy@oak.example")
    assert client.get(f"/preferences/{token}").status_code == 404
    assert client.get(f"/unsubscribe/{token}").status_code == 404
    assert (
        TestClient(client.app).post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    )


# -- web probes (issue 19) ---------------------------------------------------------------------
TOKEN_PAGES = ("confirm", "preferences", "unsubscribe")


def probe_token(client: TestClient, provider: TestClient, token: str) -> set[int]:
    """The statuses of every page a token opens: GET of each, and the one-click POST. A
    one-click POST with a good signature for no reader (erased) answers 200 and changes
    nothing: a provider's retry is not an error (test_erased_reader_links_stop_working)."""
    path = quote(token, safe="")
    codes = {client.get(f"/{page}/{path}").status_code for page in TOKEN_PAGES}
    one_click = provider.post(f"/unsubscribe/{path}", data={"List-Unsubscribe": "One-Click"}).status_code
    try:
        signed = Signer().verify("manage", token) >= 0
    except BadToken:
        signed = False
    return codes | ({one_click} - {200} if signed else {one_click})


def test_a_malformed_token_of_any_length_or_value_is_a_400_or_404(site_dir: Path, db) -> None:
    """An overlong body, or a validly signed id of 10**30, answered 500. Every string a
    token could be (and every id a valid signature could carry) is a 400 or a 404."""
    signer = Signer()
    amy = add_reader(db, "amy@oak.example")
    with TestClient(create_app(load_settings(site_dir))) as client, TestClient(client.app) as provider:
        for token in (
            signer.sign("manage", 10**30),
            signer.sign("confirm", 10**30, ttl=60),
            signer.sign("manage", 2**63),
            signer.sign("manage", 2**63 - 1),  # SQLite's largest id: no such reader
            f"{amy}." + "1" * 5000 + f".{signer.sign('manage', amy).rsplit('.', 1)[1]}",
            "9" * 5000 + ".0.AAAAAAAAAAAAAAAAAAAAAAAA",
            f"{amy}.0.{'A' * 10_000}",
            "." * 3000,
            f"{amy}.0.{signer.sign('manage', amy).rsplit('.', 1)[1]}\n",
        ):
            assert probe_token(client, provider, token) <= {400, 404}, token[:80]

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            st.one_of(
                # any text a path segment can hold (a '/' ends the segment: another route)
                st.text(st.characters(exclude_characters="/"), min_size=1, max_size=300),
                st.text(alphabet="0123456789.", min_size=1, max_size=80),
                st.builds(
                    lambda sid, exp, mac: f"{sid}.{exp}.{mac}",
                    st.integers(min_value=0, max_value=10**40),
                    st.integers(min_value=0, max_value=10**20),
                    st.text(alphabet="ABCxyz019_-", min_size=0, max_size=40),
                ),
                st.integers(min_value=amy + 1, max_value=10**40).map(lambda sid: signer.sign("manage", sid)),
            )
        )
        def every_token(token: str) -> None:
            assume(token not in (".", ".."))  # a URL's dot segments: the client resolves them away
            assert probe_token(client, provider, token) <= {400, 404}, token[:80]

        every_token()
    assert store.get(db, amy).status == "confirmed"


def test_one_click_unsubscribe_needs_no_origin_of_ours_but_every_form_does(client: TestClient, db) -> None:
    """RFC 8058: a mail provider POSTs List-Unsubscribe=One-Click from its own servers; its
    request may carry the provider's Origin. The signed token authorises it. Any other POST
    (our forms) with a foreign Origin is refused, as docs/subscribers.md says."""
    amy, ben = add_reader(db, "amy@oak.example"), add_reader(db, "ben@elm.example")
    for sid, origin in ((amy, "https://mail.provider.example"), (ben, "null")):
        url = f"/unsubscribe/{Signer().sign('manage', sid)}"
        form = client.post(url, data={"csrf": csrf(client, url)}, headers={"origin": "https://evil.example"})
        assert form.status_code == 403 and store.get(db, sid).status == "confirmed"
        with TestClient(client.app) as provider:
            done = provider.post(url, data={"List-Unsubscribe": "One-Click"}, headers={"origin": origin})
        assert done.status_code == 200 and store.get(db, sid).status == "unsubscribed"


def test_dotfiles_and_dot_folders_are_never_served(site_dir: Path, client: TestClient) -> None:
    out = site_dir / "build"
    build(load_or_fail(load_settings(site_dir)), out, as_of=date(2025, 7, 11))
    assert (out / ".calendar-state.json").is_file()  # the build's own state, beside the site
    (out / ".git").mkdir()
    (out / ".git" / "config").write_text("[remote]\n")
    (out / "calendar" / ".notes").write_text("private\n")
    assert client.get("/index.html").status_code == 200
    for path in (
        "/.calendar-state.json",
        "/%2Ecalendar-state.json",
        "/calendar/../.calendar-state.json",
        "/.git/config",
        "/.git/",
        "/calendar/.notes",
    ):
        for method in ("GET", "HEAD"):
            assert client.request(method, path).status_code == 404, (method, path)


def test_edition_copies_and_only_they_get_the_copy_policy(site_dir: Path, client: TestClient) -> None:
    out = site_dir / "build"
    build(load_or_fail(load_settings(site_dir)), out, as_of=date(2025, 7, 11))
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    copies = [p for p in pages if EDITION_COPY.fullmatch(p)]
    assert len(copies) >= 10 and all((out / p).with_suffix(".txt").is_file() for p in copies)  # each with its text
    assert {p for p in pages if p.endswith(("index.html", "editions.html")) or "/" not in p}.isdisjoint(copies)
    for page in pages:
        policy = client.get(f"/{page}").headers["content-security-policy"]
        assert ("style-src-attr 'unsafe-inline'" in policy) == (page in copies), page
        assert "'unsafe-inline'" not in policy.split("style-src-attr")[0]  # never for scripts or <style>
    html = (out / copies[0]).read_text()
    pin = base64.b64encode(hashlib.sha256(re.search(r"<style>(.*?)</style>", html, re.S)[1].encode()).digest())
    assert f"'sha256-{pin.decode()}'" in client.get(f"/{copies[0]}").headers["content-security-policy"]
