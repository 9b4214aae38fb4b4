"""digest preview: routes through Starlette's TestClient, live reload and accessibility in chromium."""

from __future__ import annotations

import email
import email.policy
import html
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from starlette.testclient import TestClient
from support import FIXTURE_DAY, REPO
from support.browser import axe_violations

from digest.cli.main import cli
from digest.content.load import load_site
from digest.editions.build import build
from digest.editions.render import builtin_templates
from digest.errors import DigestError
from digest.preview.app import bind, create_app, make_server
from digest.preview.live import LiveSite
from digest.preview.pages import send_test
from digest.preview.reload import Watched
from digest.settings import load_settings

FORUM = "2025-07-test"
FORUM_FILE = Path("content/forums/2025-07-test.yaml")
SWALE = {"district": "Swale", "phase": "primary", "setting": "mainstream"}


def edition_url(kind: str = "", **names: str) -> str:
    return f"/f/{FORUM}/edition{kind}?{urlencode(names or SWALE)}"


def text_of(page: str) -> str:
    """A page's text with tags dropped and entities decoded, for plain assertions."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def check_lines(site: Path) -> list[str]:
    """What `digest check` prints for the site, one problem a line."""
    result = CliRunner().invoke(cli, ["--root", str(site), "check"], catch_exceptions=False)
    lines = [line.removeprefix("Error: ") for line in result.stderr.splitlines()]
    return [line for line in lines if re.match(r"\S+:\d+:\d+:", line)]


def problem_lines(page: str) -> list[str]:
    """The problems a page lists, as text."""
    return [
        html.unescape(li)
        for li in re.findall(r"<li>(.*?)</li>", page.split('class="problems"', 1)[-1].split("</ul>")[0])
    ]


@pytest.fixture
def live(site_dir: Path):
    """The real server (uvicorn in a thread, watching files) on a free port."""
    preview = LiveSite(lambda: load_settings(site_dir), as_of=FIXTURE_DAY)
    server = make_server(create_app(preview), log_config=None)
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="preview-server")
    thread.start()
    try:
        deadline = time.monotonic() + 60  # only stops a test that would hang
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the preview server did not start"
            time.sleep(0.02)
        # The watcher starts with the server; wait until a saved file is seen (a stray file
        # in content/ is not read, so the site stays as it is).
        probe = site_dir / "content" / "probe.yaml"
        before = preview.generation
        while preview.generation == before:
            assert time.monotonic() < deadline, "the watcher never noticed a saved file"
            probe.write_text(f"# {time.monotonic()}\n")
            time.sleep(0.1)
        probe.unlink()
        # Removing the probe may be seen as one more change: let the watcher go quiet first,
        # so no late reload reaches the page a test opens next.
        settle(preview)
        yield SimpleNamespace(url=url, site=site_dir, preview=preview)
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive(), "the preview server did not stop"


def settle(preview: LiveSite, quiet: float = 0.8) -> None:
    """Wait until the watcher has seen no change for `quiet` seconds. A save can reach the
    watcher as more than one change (truncate, then write), later on a busy machine: a
    reload that lands on a page between its load and a form being filled in empties the
    form, so a test that fills one first lets the saves of the tests before it finish."""
    deadline = time.monotonic() + 30  # only stops a test that would hang
    settled, seen = time.monotonic(), preview.generation
    while time.monotonic() - settled < quiet and time.monotonic() < deadline:
        time.sleep(0.1)
        if preview.generation != seen:
            settled, seen = time.monotonic(), preview.generation


# -- pages -----------------------------------------------------------------------------------
def test_home_opens_the_most_recent_forum(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/f/{FORUM}"


def test_items_page_marks_what_a_summary_says_that_its_answer_does_not(site_dir: Path) -> None:
    forum = site_dir / FORUM_FILE
    forum.write_text(
        forum.read_text().replace(
            "        answer: OOC schools have a separate process.\n",
            "        answer: OOC schools have a separate process.\n"
            "        summary: From 27 October 2025 OOC schools have their own process.\n",
        )
    )
    preview = LiveSite(lambda: load_settings(site_dir), as_of=FIXTURE_DAY)
    with TestClient(create_app(preview, watch=False), base_url="http://127.0.0.1") as client:
        assert 'href="/f/2025-07-test/items"' in client.get(f"/f/{FORUM}").text  # linked from the matrix
        page = client.get(f"/f/{FORUM}/items").text
    row = page.split('<tr id="pt-medway"', 1)[1].split("</tr>", 1)[0]
    assert "From <mark>27</mark> <mark>October</mark> <mark>2025</mark> OOC schools have their own process." in row
    assert "OOC schools have a separate process." in row  # beside its answer
    assert "The summary holds “27”, “2025”, “October”, which the answer does not." in text_of(row)
    assert "1 item says more than its answer; 0 answers tell readers" in text_of(page)
    other = page.split('<tr id="pt-preference-email"', 1)[1].split("</tr>", 1)[0]
    assert "<mark>" not in other and 'class="differs"' not in other


def test_matrix_is_the_build_index_table_with_links_to_preview_pages(client: TestClient, site_dir: Path) -> None:
    page = client.get(f"/f/{FORUM}").text
    assert [m for m in re.findall(r"<h2>([^<]+) schools</h2>", page)] == [
        "Mainstream",
        "Special",
        "Independent",
        "Alternative provision",
    ]
    site = load_site(load_settings(site_dir))
    build(site, site_dir / "build", as_of=FIXTURE_DAY)
    built = (site_dir / "build" / FORUM / "editions.html").read_text()
    cell = re.compile(r'<a href="[^"]*">(\d+ answers?, \d+ dates?)</a><br><span class="muted">([^<]+ KB)')
    cells = cell.findall(page)
    assert len(cells) == 13 * 4 * 4  # districts x phases x settings
    assert cells == cell.findall(built)  # same editions, same sizes: same rendering as digest build
    assert f'href="/f/{FORUM}/edition?district=Swale&amp;phase=primary&amp;setting=mainstream"' in page


def test_edition_html_is_exactly_what_digest_build_writes(client: TestClient, site_dir: Path) -> None:
    site = load_site(load_settings(site_dir))
    [forum_build] = build(site, site_dir / "build", as_of=FIXTURE_DAY)
    edition_id = forum_build.cell("Swale", "primary", "mainstream").edition.id
    served = client.get(edition_url(".html"))
    assert served.headers["content-type"].startswith("text/html")
    assert served.text == (site_dir / "build" / FORUM / f"{edition_id}.html").read_text()
    text = client.get(edition_url(".txt")).text
    assert text == (site_dir / "build" / FORUM / f"{edition_id}.txt").read_text()


def test_edition_page_shows_size_contents_reasons_and_readers(client: TestClient) -> None:
    page = client.get(edition_url()).text
    shown = text_of(page)
    assert "The edition for a primary mainstream school in Swale" in shown
    assert re.search(r"HTML size\s+[\d.]+ KB\s+[\d.]+ KB of 102\.0 KB \(\d+%\)", shown)
    assert "4 items" in shown
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td><code>(.*?)</code></td></tr>", page
    )
    assert [(html.unescape(q).split()[-1], status, why, where) for q, _, status, why, where in rows] == [
        ("email?", "answered", "everyone", "content/forums/2025-07-test.yaml:10"),
        ("timescale?", "pending", "everyone", "content/forums/2025-07-test.yaml:20"),
        ("done?", "answered", "Swale", "content/forums/2025-07-test.yaml:28"),
        (
            "made?",
            "answered",
            "early years, primary; not open to independent schools",
            "content/forums/2025-07-test.yaml:37",
        ),
    ]
    assert re.findall(r"<li>(A primary [^<]+)</li>", page) == [
        "A primary mainstream school in Swale",
        "A primary special school in Swale",
        "A primary alternative provision school in Swale",
    ]
    assert 'title="The email at desktop width"' in page and 'width="620"' in page
    assert 'title="The email at phone width"' in page and 'width="375"' in page
    assert "WHO TO CONTACT" in shown  # the text part


def test_mime_source_is_multipart_alternative_text_first(client: TestClient) -> None:
    raw = client.get(edition_url(".eml")).content
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    # exactly what `digest send` builds: the alternative part, then the edition's calendar
    assert msg.get_content_type() == "multipart/mixed"
    alternative, calendar = msg.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert calendar.get_content_type() == "text/calendar"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Subject"] == "Test SENCO Forum: 4 answers for you, 2 upcoming dates"
    assert "Hello," in msg.get_body(("plain",)).get_content()
    assert "MIME-Version: 1.0" in text_of(client.get(edition_url()).text)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/f/2099-nope", "No forum '2099-nope'."),
        (
            edition_url(district="Atlantis", phase="primary", setting="mainstream"),
            "No reader 'Atlantis, primary, mainstream': choose a cell in the matrix.",
        ),
        (edition_url(".html", district="Swale"), "No reader 'Swale, ?, ?': choose a cell in the matrix."),
    ],
)
def test_unknown_forums_and_readers_are_clear_404_pages(client: TestClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert message in text_of(response.text)


def test_names_in_the_address_match_without_regard_to_case(client: TestClient) -> None:
    page = client.get(edition_url(district="swale", phase="PRIMARY", setting="Mainstream")).text
    assert "The edition for a primary mainstream school in Swale" in text_of(page)


def test_requests_for_another_host_name_are_refused(client: TestClient) -> None:
    """A page elsewhere cannot read drafts through a name that resolves to 127.0.0.1."""
    assert client.get(f"/f/{FORUM}", headers={"host": "attacker.example"}).status_code == 400
    assert client.get(f"/f/{FORUM}", headers={"host": "localhost:8000"}).status_code == 200


# -- mistakes show on the page -----------------------------------------------------------------
def test_content_errors_show_as_digest_check_words_them_and_clear_when_fixed(
    client: TestClient, preview: LiveSite, site_dir: Path
) -> None:
    forum = site_dir / FORUM_FILE
    good = forum.read_text()
    forum.write_text(
        good.replace("status: pending", "status: waiting").replace(
            "topics: [Year R funding]", "topic: [Year R funding]"
        )
    )
    preview.reload()
    expected = check_lines(site_dir)
    assert len(expected) == 2
    for url in (f"/f/{FORUM}", edition_url(), edition_url(".html"), "/"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 200
        assert problem_lines(response.text) == expected
        assert "2 errors in content: fix and save." in text_of(response.text)
    forum.write_text(good)
    preview.reload()
    assert "The edition for a primary" in text_of(client.get(edition_url()).text)


def test_a_broken_taxonomy_or_settings_file_shows_instead_of_stopping(
    client: TestClient, preview: LiveSite, site_dir: Path
) -> None:
    taxonomy = site_dir / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("phases:", "phase:"))
    settings = site_dir / "digest.toml"
    preview.reload()
    page = client.get(f"/f/{FORUM}").text
    assert "Cannot continue without a valid taxonomy." in text_of(page)
    assert problem_lines(page) == check_lines(site_dir)
    assert "content/taxonomy.yaml:8:1: phase: unknown key 'phase' (did you mean 'phases'?)" in problem_lines(page)
    taxonomy.write_text(taxonomy.read_text().replace("phase:", "phases:"))
    settings.write_text(settings.read_text() + "[render]\nmax_html_bytes = 5\n")
    preview.reload()
    page = client.get(f"/f/{FORUM}").text
    [problem] = problem_lines(page)
    assert problem == check_lines(site_dir)[0]
    assert re.fullmatch(
        r"digest\.toml:\d+:1: render\.max_html_bytes: Input should be greater than or equal to 10000", problem
    )
    settings.write_text(settings.read_text().replace("max_html_bytes = 5", "max_html_bytes = 20000"))
    preview.reload()
    assert "of 20.0 KB" in text_of(client.get(edition_url()).text)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("<p>{{ personal.greeting }\n", "site-templates/partials/footer.html:1:1: template: unexpected '}'"),
        (
            "<p>fine</p>\n<p>{{ no_such_thing }}</p>\n",
            "site-templates/partials/footer.html:2:1: template: 'no_such_thing' is undefined",
        ),
    ],
)
def test_a_template_mistake_shows_its_file_and_line(
    client: TestClient, preview: LiveSite, site_dir: Path, override: str, expected: str
) -> None:
    footer = site_dir / "site-templates" / "partials" / "footer.html"
    footer.parent.mkdir(parents=True)
    footer.write_text(override)
    preview.reload()
    page = text_of(client.get(edition_url()).text)
    assert f"{expected} (fix the template and save)" in page
    footer.write_text("<p>Our own footer, {{ personal.profile }}.</p>\n")
    preview.reload()
    assert "Our own footer, a primary mainstream school in Swale." in client.get(edition_url(".html")).text


# -- coverage --------------------------------------------------------------------------------
EXTRA_ITEMS = """
      - id: swale-salt-again
        question: Swale schools lack access to SALT and OT. What is being done??
        answer: See above.
        audience: {districts: [Swale]}
      - id: named
        question: "Ref: annual review, SENCO, Jane Smith. Please reply to jane@school.example"
        answer: Noted.
      - id: nobody
        question: Is anyone left?
        answer: No.
        audience: {districts: [Medway], exclude: {districts: [Medway]}}
"""
NARROW_FORUM = """id: 2025-09-swale
title: Swale district forum
dates: [2025-09-01]
sections:
  - id: local
    title: Local questions
    items:
      - id: swale-only
        question: When is the Swale cluster meeting?
        answer: In October.
        audience: {districts: [Swale]}
"""


def test_coverage_panel_holds_the_findings_of_digest_check(
    client: TestClient, preview: LiveSite, site_dir: Path
) -> None:
    forum = site_dir / FORUM_FILE
    forum.write_text(forum.read_text().rstrip("\n") + "\n" + EXTRA_ITEMS)
    (site_dir / "content" / "forums" / "2025-09-swale.yaml").write_text(NARROW_FORUM)
    preview.reload()
    warnings = [line for line in check_lines(site_dir) if ": warning:" in line]
    assert len(warnings) == 4
    page = client.get(f"/f/{FORUM}").text
    panel = page.split('<h2 id="coverage">')[1].split("<h2>")[0]
    sections = dict(re.findall(r"<h3>([^<(]+) \(\d+\)</h3>\s*(.*?)(?=<h3>|$)", panel, re.S))
    found = {
        title: [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", body)] for title, body in sections.items()
    }
    assert found["Reach no reader"] == [w for w in warnings if "reaches no reader" in w]
    assert found["Near-duplicate questions"] == [w for w in warnings if "repeats item" in w]
    assert found["Personal data in questions"] == [w for w in warnings if "question contains" in w or "may name" in w]
    assert sorted(sum(found.values(), [])) == sorted(warnings)
    assert "None: every reader gets at least one answer." in panel
    narrow = client.get("/", follow_redirects=True).text  # the most recent forum opens first
    assert "<h1>Swale district forum</h1>" in narrow
    assert "<h3>Editions with no answers (2)</h3>" in narrow
    empty = re.findall(
        r"<li><a href=\"(/f/2025-09-swale/edition[^\"]+)\">([^<]+)</a> and (\d+) other readers</li>", narrow
    )
    # Outside Swale nobody gets an answer; primary readers still get the primary training date.
    assert [(who, int(n) + 1) for _, who, n in empty] == [
        ("An early years mainstream school in Dartford", 12 * 3 * 4),
        ("A primary mainstream school in Dartford", 12 * 1 * 4),
    ]
    for url, _, _ in empty:
        assert re.search(r"<dt>Answers</dt><dd>0 items</dd>", client.get(html.unescape(url)).text)


# -- send me a test --------------------------------------------------------------------------
def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_send_me_a_test_writes_a_test_message_to_the_maildir_outbox(client: TestClient, site_dir: Path) -> None:
    token = csrf(client.get(edition_url()).text)
    response = client.post(
        edition_url(), data={"csrf": token, "address": "organiser@example.org"}, follow_redirects=False
    )
    assert response.status_code == 303
    outbox = site_dir / "var" / "outbox"
    [written] = list((outbox / "new").iterdir())
    assert list((outbox / "tmp").iterdir()) == []
    msg = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "organiser@example.org"
    assert msg["Subject"] == "[TEST] Test SENCO Forum: 4 answers for you, 2 upcoming dates"
    assert msg.get_content_type() == "multipart/mixed"
    assert "Swale schools lack access to SALT and OT" in msg.get_body(("html",)).get_content()
    page = client.get(response.headers["location"]).text
    assert f"Test message written to var/outbox/new/{written.name}." in text_of(page)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("organiser@example.org\r\nBcc: everyone@example.org", "is not an email address"),
        ("organiser@example.org\nX: y", "is not an email address"),
        ("organiser.example.org", "test address: 'organiser.example.org' is not an email address"),
        ("a@b@example.org", "test address: 'a@b@example.org' is not an email address"),
        ("a@example.org, b@example.org", "test address: 'a@example.org, b@example.org' is not an email address"),
        ("", "test address: '' is not an email address"),
    ],
)
def test_send_me_a_test_refuses_anything_but_one_address(
    client: TestClient, site_dir: Path, address: str, message: str
) -> None:
    token = csrf(client.get(edition_url()).text)
    response = client.post(edition_url(), data={"csrf": token, "address": address})
    assert response.status_code == 400
    assert "Not sent: test address: " in text_of(response.text) and message in text_of(response.text)
    assert not (site_dir / "var" / "outbox" / "new").exists() or not list(
        (site_dir / "var" / "outbox" / "new").iterdir()
    )


@pytest.mark.parametrize("token", ["", "forged", None])
def test_send_me_a_test_needs_this_processs_form_token(client: TestClient, site_dir: Path, token: str | None) -> None:
    form = {"address": "organiser@example.org"} | ({"csrf": token} if token is not None else {})
    response = client.post(edition_url(), data=form)
    assert response.status_code == 403
    assert "This form has expired" in text_of(response.text)
    assert not (site_dir / "var" / "outbox").exists()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_send_me_a_test_from_another_origin_is_refused_with_a_good_token(
    client: TestClient, site_dir: Path, origin: str
) -> None:
    token = csrf(client.get(edition_url()).text)
    form = {"csrf": token, "address": "organiser@example.org"}
    response = client.post(edition_url(), data=form, headers={"origin": origin})
    assert response.status_code == 403
    assert not (site_dir / "var" / "outbox").exists()
    sent = client.post(edition_url(), data=form, headers={"origin": "http://127.0.0.1"}, follow_redirects=False)
    assert sent.status_code == 303


def test_an_oversized_form_is_refused_unread(client: TestClient) -> None:
    response = client.post(
        edition_url(),
        content=b"address=" + b"a" * 10_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_send_test_goes_through_digest_send_and_refuses_header_injection(site_dir: Path) -> None:
    site = load_site(load_settings(site_dir))
    [forum_build] = build(site, site_dir / "build", as_of=FIXTURE_DAY)
    rendered = forum_build.cell("Swale", "primary", "mainstream")
    with pytest.raises(DigestError, match="not an email address"):
        send_test(rendered, "a@example.org\rBcc: b@example.org")
    receipt = send_test(rendered, " organiser@example.org ")
    raw = (site_dir / "var" / "outbox" / "new" / receipt).read_bytes()
    assert b"To: organiser@example.org\r\n" in raw
    assert b"Subject: [TEST] " in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


# -- watching -------------------------------------------------------------------------------
def test_watched_files_are_content_settings_and_both_template_folders(site_dir: Path) -> None:
    root = site_dir.resolve()
    watched = LiveSite(lambda: load_settings(site_dir), as_of=FIXTURE_DAY).watched()
    folders = watched.folders()
    assert root in folders  # digest.toml, and site-templates/ appearing
    assert root / "content" in folders and root / "content" / "forums" in folders
    assert builtin_templates().resolve() / "partials" in folders
    assert root / "site-templates" not in folders  # not there yet
    relevant = {
        "content/forums/2025-07-test.yaml": True,
        "digest.toml": True,
        "site-templates": True,
        "site-templates/edition.html": True,
        "content/forums/.2025-07-test.yaml.swp": False,
        "content/forums/2025-07-test.yaml~": False,
        "var/outbox/new/1.eml": False,
        "build/index.html": False,
        "notes.txt": False,
    }
    assert {p: watched.relevant(None, str(root / p)) for p in relevant} == relevant
    assert Watched.of([root / "a" / "b"], root / "x.toml").folders() == [root]


def test_saving_a_template_override_pushes_a_reload_over_server_sent_events(live: SimpleNamespace) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as http, http.stream("GET", "/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        assert first == f"data: {live.preview.generation}"
        footer = live.site / "site-templates" / "partials" / "footer.html"
        footer.parent.mkdir(parents=True)  # a folder that did not exist when watching began
        footer.write_text("<p>Overridden footer.</p>\n")
        second = next(line for line in lines if line.startswith("data: "))
        assert second != first
        assert "Overridden footer." in http.get(edition_url(".html")).text


# -- in chromium ----------------------------------------------------------------------------
def test_organiser_previews_edits_breaks_and_fixes_content_in_chromium(live: SimpleNamespace, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live.url + "/")
        expect(page.get_by_role("heading", name="Test SENCO Forum", level=1)).to_be_visible()
        mainstream = page.locator("table").first
        swale = mainstream.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Swale (East)"))
        swale.get_by_role("cell").nth(1).get_by_role("link").click()  # early years, PRIMARY, ...
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "The edition for a primary mainstream school in Swale"
        )
        desktop = page.locator("iframe[title='The email at desktop width']")
        phone = page.locator("iframe[title='The email at phone width']")
        expect(desktop).to_be_visible()
        expect(phone).to_be_visible()
        assert (
            page.frame_locator("iframe[title='The email at desktop width']")
            .locator("table.main")
            .evaluate("t => t.offsetWidth")
            == 600
        )

        page.get_by_role("radio", name="Phone", exact=True).check()
        expect(desktop).to_be_hidden()
        expect(phone).to_be_visible()
        assert phone.bounding_box()["width"] <= 380
        phone_email = page.frame_locator("iframe[title='The email at phone width']")
        assert phone_email.locator("table.main").evaluate("t => t.offsetWidth") <= 375  # the responsive rules apply

        # Live reload: save an edit; the open page shows it without being asked.
        forum = live.site / FORUM_FILE
        good = forum.read_text()
        forum.write_text(
            good.replace("Swale schools lack access to SALT and OT.", "Swale schools still lack SALT and OT.")
        )
        expect(
            page.get_by_role("cell", name="Swale schools still lack SALT and OT. What is being done?")
        ).to_be_visible()  # how soon is a figure of `make bench`, never asserted here (the machine is shared)
        expect(
            phone_email.get_by_role("heading", name="Swale schools still lack SALT and OT. What is being done?")
        ).to_be_visible()

        # A mistake shows on the page, worded as digest check words it.
        forum.write_text(good.replace("        topics: [Year R funding]\n", "        topics: [Year R funding\n"))
        problems = page.locator("ul.problems li")
        expect(problems.first).to_contain_text("content/forums/2025-07-test.yaml:")
        expect(problems).to_have_text(check_lines(live.site))

        # Fixing it brings the edition back (the page drawn after the fix: no problems listed).
        forum.write_text(good)
        expect(problems).to_have_count(0)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "The edition for a primary mainstream school in Swale"
        )
        expect(
            page.get_by_role("cell", name="Swale schools lack access to SALT and OT. What is being done?")
        ).to_be_visible()

    finally:
        context.close()


def test_send_me_a_test_from_the_browser(live: SimpleNamespace, browser) -> None:
    """Its own page: a page that has live-reloaded many times can have the browser's
    connections to the preview tied up in event streams it is still closing."""
    settle(live.preview)  # the live-reload test's last save may not have reached the watcher yet
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live.url + edition_url())
        expect(page.locator("script[data-generation]")).to_have_attribute("data-generation", live.preview.generation)
        page.get_by_label("Email address").fill("organiser@example.org")
        with page.expect_navigation(url=re.compile(r"sent=")):
            page.get_by_role("button", name="Send a test").click()
        expect(page.get_by_role("status")).to_contain_text("Test message written to var/outbox/new/")
        assert len(list((live.site / "var" / "outbox" / "new").iterdir())) == 1
    finally:
        context.close()


@pytest.mark.parametrize("width", [1024, 375])
def test_edition_html_passes_axe_core(live: SimpleNamespace, browser, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for names in (SWALE, {"district": "Medway", "phase": "post-16", "setting": "independent"}):
            page.goto(live.url + edition_url(".html", **names))
            violations = axe_violations(page)
            assert violations == [], violations
    finally:
        context.close()


def test_at_phone_width_no_preview_page_is_wider_than_the_screen(live: SimpleNamespace, browser) -> None:
    """At 375 px the index was 426 px wide and an edition page 646 px: the matrix and the
    desktop-width frame now scroll inside themselves, and the page never sideways."""
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        for url in ("/", f"/f/{FORUM}", edition_url(), f"/f/{FORUM}/items"):
            page.goto(live.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (url, width)
    finally:
        context.close()


def test_preview_pages_pass_axe_core(live: SimpleNamespace, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for url in (f"/f/{FORUM}", edition_url(), f"/f/{FORUM}/items"):
            page.goto(live.url + url)
            violations = axe_violations(page)
            assert violations == [], violations
    finally:
        context.close()


# -- the command -----------------------------------------------------------------------------
def test_help_does_not_import_the_server() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digest.cli.main import cli\n"
        "out = CliRunner().invoke(cli, ['--help']).output\n"
        "assert 'preview' in out, out\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'watchfiles', 'jinja2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def test_preview_help_names_every_option() -> None:
    result = CliRunner().invoke(cli, ["preview", "--help"])
    assert result.exit_code == 0
    for option in ("--forum", "--as-of", "--port", "--host"):
        assert option in result.output


def test_unknown_forum_stops_the_command_before_serving(site_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "preview", "--forum", "2025-07-tset", "--port", "0"])
    assert result.exit_code == 1
    assert result.output == "Error: no forum '2025-07-tset'; did you mean '2025-07-test'?\n"


def test_a_port_in_use_is_a_clear_error(site_dir: Path) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["--root", str(site_dir), "preview", "--port", str(port), "--as-of", "2025-07-11"]
        )
    finally:
        taken.close()
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "Traceback" not in result.output


def test_digest_preview_serves_until_ctrl_c(site_dir: Path) -> None:
    digest = Path(sys.executable).parent / "digest"
    proc = subprocess.Popen(
        [str(digest), "--root", str(site_dir), "preview", "--port", "0", "--as-of", "2025-07-01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        url = re.match(r"Previewing at (http://127\.0\.0\.1:\d+)/ ", first).group(1)
        # then the address that lets this browser save on the curation page (read here:
        # communicate() below reads the pipe itself, past what readline() has buffered)
        token = proc.stdout.readline().rstrip("\n")
        page = httpx.get(f"{url}/f/{FORUM}", timeout=10).text
        assert "distinct editions as of Tue 1 July 2025" in page
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert re.fullmatch(
        rf"To curate a forum \(saving changes content/forums/\), open once in your browser: {url}/\?token=[\w-]{{32}}",
        token,
    )
    assert out == "Preview stopped.\n"
    assert err == ""


def test_without_a_signing_key_a_page_says_what_is_missing(client: TestClient, monkeypatch) -> None:
    """Issue 19: every edition answered a bare "Internal Server Error". The command signs
    with a key of its own (next test); the pages, used without it, say what is missing."""
    monkeypatch.delenv("DIGEST_SECRET_KEY")
    for url in (edition_url(), edition_url(".eml")):
        page = client.get(url)
        assert page.status_code == 200 and "DIGEST_SECRET_KEY is not set" in text_of(page.text), url
    assert client.get(edition_url(".html")).status_code == 200  # the email itself carries no signed link


def test_the_command_signs_with_a_key_of_its_own_while_none_is_set(monkeypatch) -> None:
    from digest.preview.app import signing_key
    from digest.readers.tokens import secret_key

    assert signing_key() == ""  # the key from the environment is used as it is
    monkeypatch.delenv("DIGEST_SECRET_KEY")
    note = signing_key()
    assert "open no reader's page" in note and len(secret_key()) >= 32
    first = secret_key()
    monkeypatch.setenv("DIGEST_SECRET_KEY", "short")  # too short: a key of its own too
    assert signing_key() and secret_key() not in (first, b"short")
