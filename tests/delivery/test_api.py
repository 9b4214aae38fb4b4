"""The Microsoft Graph transport against a local server speaking Graph's documented contract."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

import httpx
import pytest
from support import FIXTURE_DAY
from support.delivery import FORUM, READERS, add_readers, parse

from digest.db import open_db
from digest.delivery.pacing import Policy
from digest.delivery.send import send_edition
from digest.delivery.transports.api import GraphTransport, retry_after
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError
from digest.delivery.transports.registry import open_transport
from digest.errors import DigestError
from digest.settings import load_settings

TENANT, CLIENT_ID, SECRET, MAILBOX = (
    "contoso.onmicrosoft.com",
    "11111111-2222-3333-4444-555555555555",
    "s3cret~value",
    "digest@example.org",
)


class FakeGraph:
    """Token endpoint, sendMail and the mailbox's inbox (list unread, MIME of one, mark it read), validating
    each request as Graph documents it."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], dict | None] | str] = []  # answers to sendMail, in order; then 202
        self.token_requests: list[dict[str, list[str]]] = []
        self.valid: set[str] = set()
        self.sent: list[bytes] = []
        self.problems: list[str] = []
        self.inbox: dict[str, list] = {}  # message id -> [MIME bytes, isRead]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def reply(self, status: int, body: dict | None = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == f"/{TENANT}/oauth2/v2.0/token":
                    fake.token(self, body)
                elif self.path == f"/v1.0/users/{MAILBOX}/sendMail":
                    fake.send_mail(self, body)
                else:
                    fake.problems.append(f"unexpected path {self.path}")
                    self.reply(404, {"error": {"code": "NotFound", "message": self.path}})

            def do_GET(self) -> None:
                fake.mailbox(self, "GET", b"")

            def do_PATCH(self) -> None:
                fake.mailbox(self, "PATCH", self.rfile.read(int(self.headers.get("Content-Length", 0))))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def token(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        form = parse_qs(body.decode())
        self.token_requests.append(form)
        if h.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            self.problems.append(f"token Content-Type {h.headers.get('Content-Type')}")
        expected = {
            "grant_type": ["client_credentials"],
            "scope": ["https://graph.microsoft.com/.default"],
            "client_id": [CLIENT_ID],
        }
        if any(form.get(k) != v for k, v in expected.items()):
            self.problems.append(f"token form {form}")
        if form.get("client_secret") != [SECRET]:
            h.reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
                },
            )  # type: ignore[attr-defined]
            return
        token = f"token-{len(self.token_requests)}"
        self.valid.add(token)
        h.reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})  # type: ignore[attr-defined]

    def send_mail(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.valid:
            h.reply(
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token has expired or is not yet valid.",
                    }
                },
            )  # type: ignore[attr-defined]
            return
        if h.headers.get("Content-Type") != "text/plain":
            self.problems.append(f"sendMail Content-Type {h.headers.get('Content-Type')}")
        try:
            mime = base64.b64decode(body, validate=True)
        except ValueError:
            self.problems.append("sendMail body is not base64")
            h.reply(
                400,
                {
                    "error": {
                        "code": "ErrorMimeContentInvalidBase64String",
                        "message": "Invalid base64 string for MIME content.",
                    }
                },
            )  # type: ignore[attr-defined]
            return
        answer = self.script.pop(0) if self.script else (202, {}, None)
        if answer == "drop":  # the request arrived and was processed; the answer never leaves
            self.sent.append(mime)
            h.close_connection = True
            h.wfile.flush()
            h.connection.shutdown(2)
            return
        status, headers, error = answer  # type: ignore[misc]
        if status == 202:
            self.sent.append(mime)
        h.reply(status, error, {"request-id": f"req-{len(self.sent)}", **headers})  # type: ignore[attr-defined]

    def mailbox(self, h: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        """GET .../mailFolders/inbox/messages ($filter isRead eq false, $select, $top, @odata.nextLink),
        GET .../messages/{id}/$value (the MIME), PATCH .../messages/{id} {"isRead": true}."""
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.valid:
            h.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "no token"}})  # type: ignore[attr-defined]
            return
        path, _, query = h.path.partition("?")
        base = f"/v1.0/users/{MAILBOX}"
        if method == "GET" and path == f"{base}/mailFolders/inbox/messages":
            q = {k: v[0] for k, v in parse_qs(query).items()}
            if q.get("$filter") != "isRead eq false" or q.get("$select") != "id":
                self.problems.append(f"inbox query {q}")
            skip, top = int(q.get("$skip", "0")), int(q.get("$top", "10"))
            unread = [i for i, (_, read) in self.inbox.items() if not read]
            page = {"value": [{"id": i} for i in unread[skip : skip + top]]}
            if skip + top < len(unread):
                page["@odata.nextLink"] = (
                    f"{self.url}{path}?%24filter=isRead+eq+false&%24select=id&%24top={top}&%24skip={skip + top}"
                )
            h.reply(200, page)  # type: ignore[attr-defined]
            return
        ident = unquote(path[len(f"{base}/messages/") :].removesuffix("/$value"))
        if not path.startswith(f"{base}/messages/") or ident not in self.inbox:
            self.problems.append(f"unexpected {method} {h.path}")
            h.reply(404, {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found."}})  # type: ignore[attr-defined]
            return
        if method == "GET" and path.endswith("/$value"):
            data = self.inbox[ident][0]
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        elif method == "PATCH" and json.loads(body) == {"isRead": True}:
            self.inbox[ident][1] = True
            h.reply(200, {"id": ident, "isRead": True})  # type: ignore[attr-defined]
        else:
            self.problems.append(f"unexpected {method} {h.path} {body[:100]!r}")
            h.reply(400, {"error": {"code": "ErrorInvalidRequest", "message": "bad request"}})  # type: ignore[attr-defined]

    def __enter__(self) -> FakeGraph:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake
    assert fake.problems == []  # every request matched the documented contract


def transport(graph: FakeGraph, secret: str = SECRET, timeout: float = 5) -> GraphTransport:
    return GraphTransport(
        tenant=TENANT,
        client_id=CLIENT_ID,
        client_secret=secret,
        mailbox=MAILBOX,
        graph_url=graph.url,
        login_url=graph.url,
        timeout=timeout,
    )


@pytest.fixture
def api_env(graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DIGEST_TRANSPORT": "api",
        "DIGEST_API_TENANT": TENANT,
        "DIGEST_API_CLIENT_ID": CLIENT_ID,
        "DIGEST_API_CLIENT_SECRET": SECRET,
        "DIGEST_API_GRAPH_URL": graph.url,
        "DIGEST_API_LOGIN_URL": graph.url,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)


class Clock:
    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s

    def __call__(self) -> float:
        return self.now


def test_send_through_graph_with_the_providers_pace(site_dir: Path, graph: FakeGraph, api_env: None) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    clock = Clock()
    policy = Policy.from_settings(settings, "api", sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    summary = send_edition(settings, FORUM, as_of=FIXTURE_DAY, policy=policy)
    assert summary.sent == 5 and summary.ok
    assert clock.slept == [2.0] * 4  # 30 messages a minute: one every two seconds
    assert len(graph.token_requests) == 1  # one token, reused
    messages = [parse(m) for m in graph.sent]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(r[0] for r in READERS)
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in messages)
    # the text and HTML alternatives, with the edition's calendar attached where it has dates
    assert all(m.get_body(("plain",)) and m.get_body(("html",)) for m in messages)
    assert {m.get_content_type() for m in messages} == {"multipart/alternative", "multipart/mixed"}


def test_429_with_retry_after_and_5xx_are_retried(site_dir: Path, graph: FakeGraph, api_env: None) -> None:
    add_readers(site_dir)
    graph.script = [
        (
            429,
            {"Retry-After": "7"},
            {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}},
        ),
        (503, {}, {"error": {"code": "ServiceUnavailable", "message": "try later"}}),
    ]
    clock = Clock()
    settings = load_settings(site_dir)
    summary = send_edition(
        settings, FORUM, as_of=FIXTURE_DAY, policy=Policy(sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    )
    assert summary.sent == 5 and summary.ok
    assert clock.slept[:2] == [7.0, 3.0]  # Retry-After honoured, then exponential backoff with jitter
    assert len(graph.sent) == 5


def test_other_4xx_is_permanent_with_graphs_reason(site_dir: Path, graph: FakeGraph, api_env: None) -> None:
    add_readers(site_dir)
    graph.script = [
        (400, {}, {"error": {"code": "ErrorInvalidRecipients", "message": "At least one recipient is not valid."}})
    ]
    summary = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, policy=Policy(sleep=lambda s: None))
    assert (summary.sent, summary.failed) == (4, 1)
    assert "400 ErrorInvalidRecipients: At least one recipient is not valid." in summary.problems[0][2]


def test_an_expired_token_is_renewed_once(graph: FakeGraph) -> None:
    t = transport(graph)
    assert t.send(MAILBOX, ["a@example.org"], b"Subject: 1\r\n\r\nx\r\n").startswith("202 Accepted")
    graph.valid.clear()  # revoked or expired early
    assert t.send(MAILBOX, ["a@example.org"], b"Subject: 2\r\n\r\nx\r\n").startswith("202")
    assert len(graph.token_requests) == 2
    t.close()


def test_wrong_credentials_stop_before_anything_is_sent(
    site_dir: Path, graph: FakeGraph, api_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_readers(site_dir)
    monkeypatch.setenv("DIGEST_API_CLIENT_SECRET", "wrong")
    with pytest.raises(
        DigestError,
        match=r"refused the app's credentials \(401 invalid_client: AADSTS7000215: Invalid client secret provided.\); check .*DIGEST_API_CLIENT_SECRET",
    ):
        send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, policy=Policy(sleep=lambda s: None))
    assert graph.sent == []


def test_missing_permission_is_a_setting_problem(graph: FakeGraph) -> None:
    graph.script = [(403, {}, {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}})]
    with transport(graph) as t, pytest.raises(DigestError, match="Mail.Send"):
        t.send(MAILBOX, ["a@example.org"], b"x\r\n")


def test_a_lost_answer_is_outcome_unknown(graph: FakeGraph) -> None:
    graph.script = ["drop"]
    with transport(graph) as t, pytest.raises(OutcomeUnknown):
        t.send(MAILBOX, ["a@example.org"], b"Subject: x\r\n\r\nx\r\n")
    assert len(graph.sent) == 1  # it did arrive: exactly why it must not be resent blindly


def test_transient_and_permanent_classification(graph: FakeGraph) -> None:
    graph.script = [
        (429, {"Retry-After": "30"}, {"error": {"code": "TooManyRequests", "message": "slow down"}}),
        (404, {}, {"error": {"code": "ErrorItemNotFound", "message": "no"}}),
    ]
    with transport(graph) as t:
        with pytest.raises(TransientError) as info:
            t.send(MAILBOX, ["a@example.org"], b"x\r\n")
        assert info.value.retry_after == 30
        with pytest.raises(PermanentError, match="404 ErrorItemNotFound"):
            t.send(MAILBOX, ["a@example.org"], b"x\r\n")
    down = GraphTransport(
        tenant=TENANT,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        mailbox=MAILBOX,
        graph_url="http://127.0.0.1:9",
        login_url="http://127.0.0.1:9",
        timeout=1,
    )
    with down, pytest.raises(TransientError, match="cannot reach the token endpoint"):
        down.send(MAILBOX, ["a@example.org"], b"x\r\n")


def test_retry_after_as_seconds_or_http_date() -> None:
    def response(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(response("120")) == 120
    later = datetime(2025, 7, 11, 7, 0, 30, tzinfo=UTC)
    now = (later - timedelta(seconds=30)).timestamp()
    assert retry_after(response(format_datetime(later, usegmt=True)), now=lambda: now) == 30
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(response("soon")) is None


def test_open_transport_needs_the_app_registration(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_API_TENANT", TENANT)
    with pytest.raises(DigestError, match="needs DIGEST_API_CLIENT_ID, DIGEST_API_CLIENT_SECRET"):
        open_transport(load_settings(site_dir), "api")


def test_bounces_are_read_from_the_graph_mailbox_and_marked_read(
    site_dir: Path, graph: FakeGraph, api_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Exchange Online NDR in the sending mailbox names the message by its Message-ID (Graph
    sends from the mailbox: no VERP); a message that is not a bounce stays unread."""
    from click.testing import CliRunner
    from support.bounces import report

    from digest.cli.main import cli
    from digest.readers import store

    monkeypatch.setenv("DIGEST_RATE_LIMIT", "1000")  # the pace is not what this test is about
    add_readers(site_dir)
    sent = CliRunner().invoke(cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--as-of", "2025-07-11"])
    assert sent.exit_code == 0, sent.output
    by_reader = {parse(m)["To"].addresses[0].addr_spec: m for m in graph.sent}
    for n in range(60):  # more than one page of unread mail: the nextLink is followed
        graph.inbox[f"AAMkAGI2-{n}=="] = [b"From: someone@example.net\r\nSubject: Thanks\r\n\r\nThanks!\r\n", n >= 55]
    ndr = report("exchange-5.1.10.eml", by_reader["dev@example.org"], MAILBOX)
    graph.inbox["AAMkAGI2-ndr/x+y=="] = [ndr, False]
    out = CliRunner().invoke(cli, ["--root", str(site_dir), "bounces", "--source", "api"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("56 messages read from the api: 1 suppressed,")
    assert "55 messages kept in the mailbox for a person to read:" in out.output
    assert "  AAMkAGI2-54==: not a bounce or a complaint that digest can read" in out.output
    assert graph.inbox["AAMkAGI2-ndr/x+y=="][1] is True and graph.inbox["AAMkAGI2-0=="][1] is False
    conn = open_db(load_settings(site_dir))
    assert store.find(conn, "dev@example.org").status == "bounced"
    conn.close()
