"""The archive and its search as a reader uses them (issue 13), in Debian's chromium through
Playwright, under `digest serve` with its real Content-Security-Policy.

Once for the module: a copy of the example content is built, its example readers are
imported, both forums are sent to the outbox with DIGEST_BASE_URL set to the served
address (as of today, and as of the day after each forum, when its dates are still
ahead: editions the build did not write, whose browser copies the sends write), and
`digest serve`'s app runs under uvicorn on that address.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import socket
import threading
import time
from types import SimpleNamespace
from urllib.parse import urldefrag

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from playwright.sync_api import expect
from support import REPO
from support.browser import axe_violations

from digest.cli.main import cli
from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.select import day_after, select, today
from digest.settings import load_settings
from digest.web.app import create_app

KEY = "test-secret-key-0123456789abcdef"  # the same as conftest's, so the sent links verify


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("example")
    shutil.copy(REPO / "digest.toml", root / "digest.toml")
    shutil.copytree(REPO / "content", root / "content")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {"DIGEST_SECRET_KEY": KEY, "DIGEST_BASE_URL": url}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)

        def digest(*args: str) -> str:
            result = CliRunner().invoke(cli, ["--root", str(root), *args], env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output

        settings = load_settings(root)
        forums = list(load_or_fail(settings).forums.values())
        digest("build")
        built = {p.relative_to(root / "build").as_posix() for p in (root / "build").glob("*/*-*.html")}
        digest("subscribers", "import", "content/subscribers.example.csv")
        for forum in forums:
            digest("send", "--forum", forum.id)  # as of today: every date is past
            digest("send", "--forum", forum.id, "--again", "--as-of", day_after(forum).isoformat())  # the dates ahead
        assert settings.site.base_url == url
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60  # only stops a test that would hang
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield SimpleNamespace(url=url, root=root, site=load_or_fail(settings), built=built)
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the server thread did not stop"


@pytest.fixture
def page(browser, served):
    """A page under the served site's own CSP that fails on any request elsewhere or any
    script error (a CSP violation is one)."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("request", lambda r: r.url.startswith(served.url) or problems.append(f"request to {r.url}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on(
        "console",  # a failed load is told by its response, with its address
        lambda m: (
            m.type in ("error", "warning")
            and not m.text.startswith("Failed to load resource")
            and problems.append(f"console {m.type}: {m.text}")
        ),
    )
    page.on(  # the browser asks any page for /favicon.ico; the readers' pages have none
        "response",
        lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico") and problems.append(f"{r.status} {r.url}"),
    )
    yield page
    context.close()
    assert problems == []


def ids(page) -> list[str]:
    """The items the results link to, in order, after showing every result."""
    more = page.locator("#more")
    while more.is_visible():
        count = page.locator("#results > li").count()
        more.click()
        expect(page.locator("#results > li")).not_to_have_count(count)
    return [urldefrag(a.get_attribute("href"))[1] for a in page.locator("#results > li h2 a").all()]


def search(page, served, query: str = "", **filters: str) -> list[str]:
    params = httpx.QueryParams({"q": query, **filters} if query else filters)
    page.goto(f"{served.url}/search.html?{params}")
    expect(page.get_by_role("status")).to_contain_text("answer")
    return ids(page)


def choices(page) -> None:
    """Unfold the school choices (folded on a phone, open on a wider screen), by keyboard."""
    if page.locator("#choose").get_attribute("open") is None:
        page.locator("#choose > summary").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_label("District")).to_be_visible()


def expected_for(served, profile: Profile) -> set[str]:
    """What the school's editions select, over both forums."""
    site = served.site
    return {i.id for f in site.forums.values() for i in select(site, f, today(), profile).items}


# -- finding ---------------------------------------------------------------------------------
def test_senia_surgery_and_phase_transfer_deadline_by_keyboard_alone(page, served) -> None:
    page.goto(f"{served.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to main content"
    for _ in range(6):  # the site's title, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "searchbox-q":
            break
    assert page.evaluate("() => document.activeElement.id") == "searchbox-q"
    page.keyboard.type("SENIA surgery")
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    expect(status).to_have_text("2 answers for “SENIA surgery”, best match first.")
    assert set(ids(page)) == {"senia-hard-to-contact", "senia-capacity-for-meetings"}
    first = page.locator("#results > li").first
    expect(first.get_by_role("heading")).to_contain_text("SEN Inclusion Advisers")
    expect(first).to_contain_text("Answered Countywide SENCO Forum, 20 and 21 March 2024 · SEN Inclusion Advisers")
    expect(first).to_contain_text("Weekly SEN IA surgeries for SENCOs start after Easter")

    page.locator("#q").focus()  # typing searches as you go
    page.keyboard.press("Control+A")
    page.keyboard.type("phase transfer deadline")
    expect(status).to_have_text("1 answer for “phase transfer deadline”, best match first.")
    assert ids(page) == ["pt-completion-deadline"]
    assert "q=phase+transfer+deadline" in page.url  # the address holds the search, to share or reload
    for _ in range(10):  # past the search button and the filters to the result
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('#results') !== null"):
            break
    assert (
        page.evaluate("() => document.activeElement.textContent")
        == "Phase transfer: forms are due by the end of Term 6"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/2025-07-term6/index.html#pt-completion-deadline")
    answer = page.locator("#pt-completion-deadline")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("asked by KCC to complete these by 18 July 2025")
    expect(answer).to_contain_text("end of Term 6")


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("SENIA", "SEN Inclusion Adviser"),
        ("EHCP", "EHC plan"),
        ("EHCNA", "EHC needs assessment"),
        ("SALT", "speech and language therapy"),
        ("AR", "annual review"),
        ("PT", "phase transfer"),
        ("CoS", "Communities of Schools"),
        ("YR", "Year R"),
        ("OOC", "out of county"),
        ("STLS", "Specialist Teaching and Learning Service"),
        ("MCS", "Mainstream Core Standards"),
    ],
)
def test_an_abbreviation_and_what_it_stands_for_find_the_same_answers(page, served, short: str, long: str) -> None:
    found = search(page, served, short)
    assert found and set(found) == set(search(page, served, long)) == set(search(page, served, short.lower()))


def test_a_term_and_an_abbreviation_find_answers_of_both_forums(page, served) -> None:
    forums = {f.id: {i.id for i in f.items} for f in served.site.forums.values()}
    found = set(search(page, served, "SALT"))
    assert "bs-rollout-rest-of-county" in found  # March 2024 says "speech and language therapy" only
    assert "bs-swale-salt-ot-access" in found  # July 2025 says "SALT"
    assert all(found & items for items in forums.values())
    assessment = set(search(page, served, "EHCNA"))  # July says EHCNA, March only "EHC needs assessment"
    assert all(assessment & items for items in forums.values())


def test_a_changed_answer_says_so_in_the_results(page, served) -> None:
    search(page, served, "Balanced System rollout link therapists")
    result = page.locator("#results > li", has=page.locator('a[href$="#bs-rollout-rest-of-county"]'))
    expect(result.locator(".badge.changed")).to_have_text("Changed later")


def test_nothing_found_says_what_to_try(page, served) -> None:
    assert search(page, served, "xqzv wibble") == []
    expect(page.get_by_role("status")).to_have_text("No answers for “xqzv wibble”.")
    expect(page.locator("#none")).to_contain_text("Try another word for the same thing, or fewer words")


# -- filters ---------------------------------------------------------------------------------
def test_the_search_filters_narrow_to_what_a_swale_primary_school_gets(page, served) -> None:
    page.goto(f"{served.url}/search.html")
    choices(page)
    page.get_by_label("District").select_option("Swale")
    page.get_by_label("Phase").select_option("primary")
    page.get_by_label("Setting").select_option("mainstream")
    expect(page.get_by_role("status")).to_contain_text("for a primary mainstream school in Swale, newest first.")
    swale = expected_for(served, Profile("Swale", ("primary",), "mainstream"))
    listed = ids(page)
    assert len(listed) == len(swale) and set(listed) == swale
    assert listed[0] in {i.id for i in served.site.forums["2025-07-term6"].items}  # newest forum first
    dover = expected_for(served, Profile("Dover", ("secondary",), "independent"))
    assert swale - dover and dover - swale  # the filters do tell schools apart

    page.locator("#q").fill("funding")
    expect(page.get_by_role("status")).to_contain_text("for “funding”, for a primary mainstream school in Swale")
    narrowed = set(ids(page))
    everyone = set(search(page, served, "funding"))
    assert narrowed == everyone & swale and narrowed < everyone


def test_a_topic_page_shows_what_applies_to_the_chosen_school(page, served) -> None:
    page.goto(f"{served.url}/topics/communities-of-schools.html")
    items = page.locator("article.item")
    total = items.count()
    choices(page)
    page.get_by_label("District").focus()
    page.keyboard.type("Medway")  # a closed select chooses by typing, as a keyboard user would
    expect(page.get_by_role("status")).to_contain_text(f"of {total} answers: those for a school in Medway.")
    visible = {a.get_attribute("id") for a in page.locator("article.item:visible").all()}
    medway = {
        i
        for p in served.site.taxonomy.phases
        for s in served.site.taxonomy.settings
        for i in expected_for(served, Profile("Medway", (p,), s))
    }
    on_page = {a.get_attribute("id") for a in items.all()}
    assert visible == on_page & medway and "npi-medway-schools-included" in visible and len(visible) < total
    assert "district=Medway" in page.url
    forum_link = page.get_by_role("link", name="Every forum").first  # the choice goes with the reader
    assert "district=Medway" in forum_link.get_attribute("href")
    page.get_by_role("button", name="Show everything").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Showing all {total} answers.")


# -- links in -------------------------------------------------------------------------------
def test_every_link_in_a_sent_email_resolves_under_digest_serve(served) -> None:
    outbox = sorted((served.root / "var" / "outbox" / "new").iterdir())
    assert len(outbox) >= 120  # the example readers, both forums, twice
    links: set[str] = set()
    for path in outbox:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert (
            f'<a href="{served.url}/search.html"' in html and f"Search every answer: {served.url}/search.html" in text
        )
        found = set(re.findall(r'href="([^"]+)"', html)) | set(re.findall(r"https?://\S+", text))
        links |= {link.replace("&amp;", "&") for link in found if link.startswith(served.url)}
    assert len(links) > 100
    pages: dict[str, str] = {}
    with httpx.Client(timeout=10) as client:
        for link in sorted(links):
            address, anchor = urldefrag(link)
            if address not in pages:
                response = client.get(address)
                assert response.status_code == 200, (link, response.status_code)
                pages[address] = response.text
            if anchor:
                assert f'id="{anchor}"' in pages[address], link
    paths = {a.removeprefix(served.url) for a in pages}
    assert {"/search.html", "/contacts.html", "/2024-03-countywide/", "/2025-07-term6/"} <= paths
    for kind in ("/calendar/", "/preferences/", "/unsubscribe/", "/2025-07-term6/2025-07-term6-"):
        assert any(p.startswith(kind) for p in paths), kind
    copies = {p.removeprefix("/") for p in paths if re.fullmatch(r"/[\w-]+/[\w-]+-[0-9a-f]{8}\.html", p)}
    assert copies - served.built  # schools of several phases, and the day-after sends: copies the sends wrote


def test_the_subscribe_page_links_to_the_archive_and_its_search(page, served) -> None:
    page.goto(f"{served.url}/subscribe")
    page.get_by_role("link", name="Search every answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search every answer")
    page.goto(f"{served.url}/subscribe")
    page.get_by_role("link", name="Every forum's questions and answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Every forum's questions and answers")


def test_the_built_site_has_its_own_csp_and_the_readers_pages_keep_theirs(served) -> None:
    site = httpx.get(f"{served.url}/search.html").headers["content-security-policy"]
    assert "script-src 'self';" in site and "connect-src 'self'" in site and "wasm" not in site
    assert "default-src 'none'" in site and "http" not in site  # nothing from elsewhere
    home = httpx.get(f"{served.url}/").headers["content-security-policy"]
    assert home == site
    readers = httpx.get(f"{served.url}/subscribe").headers["content-security-policy"]
    assert "script-src" not in readers and "default-src 'none'" in readers


# -- accessibility and phones --------------------------------------------------------------
PAGES = {
    "home": "/",
    "topic": "/topics/phase-transfer.html",
    "forum": "/2025-07-term6/",
    "search": "/search.html?q=SENIA+surgery&district=Swale",
}


@pytest.mark.parametrize("width", [1024, 375])
def test_home_topic_forum_and_search_pages_pass_axe_core_and_fit_a_phone(browser, served, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)  # to add axe
    page = context.new_page()
    try:
        for name, path in PAGES.items():
            page.goto(served.url + path)
            if name == "search":
                expect(page.get_by_role("status")).to_contain_text("answers")
            violations = axe_violations(page)
            assert violations == [], (name, violations)
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, (name, wide)  # nothing to scroll sideways on a 375 px phone
    finally:
        context.close()


def test_show_more_moves_focus_to_the_first_new_answer(page, served) -> None:
    page.goto(f"{served.url}/search.html?district=Swale")
    expect(page.get_by_role("status")).to_contain_text("answers, for a school in Swale")
    assert page.locator("#results > li").count() == 20
    page.locator("#more").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#results > li")).to_have_count(40)
    focused = page.evaluate(
        "() => document.activeElement.closest('li') === document.querySelectorAll('#results > li')[20]"
    )
    assert focused
