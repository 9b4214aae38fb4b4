"""The curation page: an imported July draft made ready in chromium, and what it never does
(write without the token, from another origin, over an edit made meanwhile)."""

from __future__ import annotations

import difflib
import re
import shutil
import threading
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from support import REPO, SOURCES
from support.browser import axe_violations

from digest.cli.main import cli
from digest.preview.app import bind, create_app, make_server
from digest.preview.live import LiveSite
from digest.settings import load_settings

TOKEN = "curate-token-for-the-tests-0123"
JULY = SOURCES / "2025-07-term6.txt"
FORUM = "2025-07-term-6-countywide-senco-forum"
SWALE = "district=Swale&phase=primary&setting=mainstream"


def imported_project(dest: Path) -> Path:
    """The example project with the July forum imported afresh from its document."""
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copyfile(REPO / "digest.toml", dest / "digest.toml")
    (dest / "content" / "forums" / "2025-07-term6.yaml").unlink()
    for other in (dest / "content" / "forums").glob("*.yaml"):  # `updates:` name the curated July ids
        lines = other.read_text(encoding="utf-8").splitlines(keepends=True)
        other.write_text("".join(x for x in lines if not x.lstrip().startswith("updates:")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(dest), "import", str(JULY)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return dest


def check(site: Path) -> int:
    return CliRunner().invoke(cli, ["--root", str(site), "check"], catch_exceptions=False).exit_code


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported_project(tmp_path_factory.mktemp("july"))


@pytest.fixture
def live(imported: Path, tmp_path: Path):
    """The real preview server on a free port, over a fresh copy of the imported project."""
    site = tmp_path / "site"
    shutil.copytree(imported, site)
    preview = LiveSite(lambda: load_settings(site), as_of=date(2025, 7, 11))
    server = make_server(create_app(preview, watch=False, token=TOKEN), log_config=None)
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="curate-server")
    thread.start()
    try:
        deadline = time.monotonic() + 60  # only stops a test that would hang
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the preview server did not start"
            time.sleep(0.02)
        yield SimpleNamespace(url=url, site=site, file=site / "content" / "forums" / f"{FORUM}.yaml")
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive(), "the preview server did not stop"


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines taken out and the lines put in, each sorted."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return sorted(x[2:] for x in diff if x.startswith("- ")), sorted(x[2:] for x in diff if x.startswith("+ "))


def item(page, item_id: str):
    return page.locator(f"article#{item_id}")


def save(page, item_id: str) -> None:
    with page.expect_navigation(url=re.compile(r"saved=1")):
        item(page, item_id).get_by_role("button", name="Save this item").click()
    expect(item(page, item_id).get_by_role("status")).to_have_text("Saved.")  # said where it was saved


HEADLINE = "Missing parent preference email? Contact SEN Data Coordination"
SUMMARY = "Write to SEN Data Coordination, SENDataCoordination@kent.gov.uk, about a missing parent preference email."


def test_an_imported_july_draft_curated_and_marked_ready_in_chromium(live: SimpleNamespace, browser) -> None:
    before = live.file.read_text(encoding="utf-8")
    assert "status: ready" not in before
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page, edition = context.new_page(), context.new_page()
    try:
        edition.goto(f"{live.url}/f/{FORUM}/edition?{SWALE}")
        email = edition.frame_locator('iframe[title="The email at desktop width"]')
        expect(email.get_by_text("Who do we contact if a parent has not received").first).to_be_visible()

        page.goto(f"{live.url}/?token={TOKEN}")  # the address the preview prints
        assert "token" not in page.url
        page.goto(f"{live.url}/f/{FORUM}/curate")
        expect(page.get_by_role("heading", level=1)).to_have_text("Curate Term 6 Countywide SENCO Forum")

        first = item(page, "pt-contact-parent-received-preference-email")
        first.get_by_label("Headline").fill(HEADLINE)
        first.get_by_label("Summary").fill(SUMMARY)
        expect(first.locator(".count").first).to_contain_text("8 words")
        save(page, "pt-contact-parent-received-preference-email")

        item(page, "pt-work-out-local-authority-areas").get_by_label("Confirm").check()
        save(page, "pt-work-out-local-authority-areas")
        item(page, "pt-confirm-moving-ks1-ks2-classed").get_by_label("Drop").check()
        save(page, "pt-confirm-moving-ks1-ks2-classed")
        item(page, "bs-hi-pins-school-able-get").get_by_label("Kind").select_option("feedback")
        save(page, "bs-hi-pins-school-able-get")
        item(page, "pt-term-6-annual-review-use").get_by_label("Status").select_option("pending")
        save(page, "pt-term-6-annual-review-use")

        with page.expect_navigation(url=re.compile(r"saved=1")):
            page.get_by_role("button", name="Mark ready").click()
        expect(page.get_by_text("Status: ready to send")).to_be_visible()
        expect(page.get_by_role("status").first).to_have_text("Saved.")

        # the open edition reloaded by itself, with the new headline
        expect(email.get_by_text(HEADLINE).first).to_be_visible()
    finally:
        context.close()

    after = live.file.read_text(encoding="utf-8")
    taken, put = changes(before, after)
    assert taken == sorted(
        [
            "        headline: Who do we contact if a parent has not received a parent preference email?",
            "        summary: SEN Data Coordination – CY SENDataCoordination@kent.gov.uk.",
            "        # Suggested audience, from the words quoted. Until you confirm it (delete the",
            "        # '# ' before 'audience:' and the lines under it) the item goes to everyone.",
            "        # audience:",
            '        #   districts: [Medway]  # "…Authority areas such as Medway, as we have…"',
            "        # Suggested audience, from the words quoted. Until you confirm it (delete the",
            "        # '# ' before 'audience:' and the lines under it) the item goes to everyone.",
            "        # audience:",
            '        #   phases: [primary]  # "…confirm if moving from KS1 TO ks2 is classed…"',
            "        status: answered",
            # a draft's own `status: draft` line, where the import writes one
            *[x for x in before.splitlines() if x.startswith("status:")],
        ]
    )
    assert put == sorted(
        [
            f"        headline: {HEADLINE}",
            f"        summary: {SUMMARY}",
            "        audience:",
            "          districts: [Medway]",
            "        kind: feedback",
            "        status: pending",
            "status: ready",
        ]
    )
    # every other line (the organiser's comments among them) is where it was
    assert len(after.splitlines()) == len(before.splitlines()) - len(taken) + len(put)
    assert after.index("status: ready") < after.index("sections:")
    assert check(live.site) == 0


def test_a_post_without_the_token_or_from_another_origin_changes_nothing(live: SimpleNamespace, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        article = item(page, "pt-contact-parent-received-preference-email")
        form = {
            "csrf": article.locator("input[name=csrf]").get_attribute("value"),
            "base": article.locator("input[name=base]").get_attribute("value"),
            "item": "pt-contact-parent-received-preference-email",
            "headline": "Written from elsewhere",
        }
        cookies = {c["name"]: c["value"] for c in context.cookies()}
    finally:
        context.close()
    before = live.file.read_bytes()
    url = f"{live.url}/f/{FORUM}/curate"
    name = f"digest_preview_token_{live.url.rsplit(':', 1)[1]}"  # this preview's, by its port
    assert name in cookies
    without_token = {k: v for k, v in cookies.items() if k != name}
    attempts = [
        (without_token, {"origin": live.url}),  # no token
        ({**cookies, name: "guessed"}, {"origin": live.url}),  # a wrong one
        (cookies, {"origin": "http://evil.example"}),  # another origin
        (cookies, {"origin": "null"}),
        (cookies, {}),  # no Origin at all: not a browser form of ours
    ]
    for jar, headers in attempts:
        response = httpx.post(url, data=form, cookies=jar, headers=headers)
        assert response.status_code == 403, (jar.keys(), headers)
        assert "Nothing was saved" in response.text
        assert live.file.read_bytes() == before
    ready = httpx.post(f"{url}/ready", data=form, cookies=without_token, headers={"origin": live.url})
    assert ready.status_code == 403
    assert live.file.read_bytes() == before
    # the same form with everything in place does write
    response = httpx.post(url, data=form, cookies=cookies, headers={"origin": live.url})
    assert response.status_code == 303
    assert b"headline: Written from elsewhere" in live.file.read_bytes()


def test_an_edit_made_in_a_text_editor_meanwhile_is_never_overwritten(live: SimpleNamespace, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        text = live.file.read_text(encoding="utf-8").replace("title: Term 6", "title: Summer term 6", 1)
        live.file.write_text(text, encoding="utf-8")  # the organiser saves in their editor meanwhile
        article = item(page, "pt-contact-parent-received-preference-email")
        article.get_by_label("Headline").fill(HEADLINE)
        article.get_by_role("button", name="Save this item").click()
        expect(page.get_by_role("alert")).to_contain_text("was changed in another editor since this page was drawn")
        expect(page.get_by_role("alert")).to_contain_text("your change was not saved")
        assert live.file.read_text(encoding="utf-8") == text
        # the page is drawn again from the file as it is now, and saves from there
        expect(page.get_by_role("heading", level=1)).to_have_text("Curate Summer term 6 Countywide SENCO Forum")
        save_again = item(page, "pt-contact-parent-received-preference-email")
        save_again.get_by_label("Headline").fill(HEADLINE)
        save(page, "pt-contact-parent-received-preference-email")
        saved = live.file.read_text(encoding="utf-8")
        assert "title: Summer term 6" in saved and f"headline: {HEADLINE}" in saved
    finally:
        context.close()


def test_a_change_digest_check_refuses_is_not_written(live: SimpleNamespace, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        before = live.file.read_bytes()
        article = item(page, "pt-contact-parent-received-preference-email")
        article.get_by_label("Districts (separated by commas)").fill("Swael")
        article.get_by_role("button", name="Save this item").click()
        expect(page.get_by_role("alert")).to_contain_text("Not saved: the change would make `digest check` fail")
        expect(page.get_by_role("alert")).to_contain_text("'Swael' is not a district (did you mean 'Swale'?)")
        assert live.file.read_bytes() == before
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_curation_page_passes_axe_core(live: SimpleNamespace, browser, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        violations = axe_violations(page)
        assert violations == [], violations
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    if width == 1280:  # and read-only, as a browser without the token sees it
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{live.url}/f/{FORUM}/curate?todo=1")
            expect(page.get_by_text("Read-only: saving needs the address")).to_be_visible()
            assert axe_violations(page) == []
        finally:
            context.close()


def tab_to(page, selector: str, most: int = 400) -> None:
    """Press Tab until the element selector names has the focus (as a keyboard user would)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_curating_by_keyboard_alone(live: SimpleNamespace, browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate?section=phase-transfer&todo=1")
        first = "article#pt-work-out-local-authority-areas"
        tab_to(page, f"{first} input[name=headline]")
        page.keyboard.type("Out-of-county schools and phase transfer")
        tab_to(page, f"{first} input[value=''][name='suggestion-0']")
        page.keyboard.press("ArrowRight")  # Decide later -> Confirm
        tab_to(page, f"{first} button")
        with page.expect_navigation(url=re.compile(r"saved=1")):
            page.keyboard.press("Enter")
        expect(page.locator(first).get_by_role("status")).to_have_text("Saved.")
        assert page.url.endswith(
            "?todo=1&section=phase-transfer&saved=1&at=pt-work-out-local-authority-areas#pt-work-out-local-authority-areas"
        )
    finally:
        context.close()
    saved = live.file.read_text(encoding="utf-8")
    assert "headline: Out-of-county schools and phase transfer" in saved
    assert "        audience:\n          districts: [Medway]\n" in saved


def test_the_preview_prints_the_address_that_lets_this_browser_save(imported: Path) -> None:
    from support.serving import environment, running

    with running(imported, "preview", "--as-of", "2025-07-11", env=environment()) as (url, printed):
        deadline = time.monotonic() + 60
        while not any("?token=" in line for line in printed):
            assert time.monotonic() < deadline, printed
            time.sleep(0.05)
        line = next(line for line in printed if "?token=" in line)
        assert line.startswith("To curate a forum (saving changes content/forums/), open once in your browser: ")
        address = line.rsplit(" ", 1)[1].strip()
        assert address.startswith(f"{url}/?token=")
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            opened = client.get(address)
            assert opened.status_code == 200 and "?token" not in str(opened.url)
            assert f"digest_preview_token_{url.rsplit(':', 1)[1]}" in client.cookies
            page = client.get(f"{url}/f/{FORUM}/curate").text
            assert "Read-only" not in page and "Save this item" in page
        anyone = httpx.get(f"{url}/f/{FORUM}/curate", timeout=30).text
        assert "Read-only: saving needs the address with" in anyone and "Save this item" not in anyone


def test_mark_ready_refuses_while_digest_check_finds_errors(live: SimpleNamespace, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        broken = live.file.read_text(encoding="utf-8").replace("        status: answered", "        status: maybe", 1)
        live.file.write_text(broken, encoding="utf-8")  # a slip made in a text editor
        page.get_by_role("button", name="Mark ready").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Not marked ready: fix these errors first")
        expect(alert).to_contain_text("sections[0].items[0].status")
        assert live.file.read_text(encoding="utf-8") == broken
    finally:
        context.close()


def test_the_watcher_does_not_load_again_what_a_save_has_loaded(preview: LiveSite, site_dir: Path) -> None:
    """A save loads the file at once; when the watcher then sees that same file, unchanged
    since, there is nothing to reload (a page being typed in would be told the content changed)."""
    from digest.content.edit import fingerprint, forum_path
    from digest.preview.curate import CuratePages
    from digest.preview.pages import PreviewPages

    curate = CuratePages(preview, PreviewPages(preview), TOKEN)
    path = forum_path(preview.settings, "2025-07-test")
    curate.written[path] = fingerprint(path.read_bytes())
    assert curate.loaded_already({path})
    assert not curate.loaded_already({path})  # once only: a later change is the organiser's
    curate.written[path] = fingerprint(path.read_bytes())
    path.write_text(path.read_text(encoding="utf-8") + "# edited since\n", encoding="utf-8")
    assert not curate.loaded_already({path})
    curate.written[path] = fingerprint(path.read_bytes())
    assert not curate.loaded_already({path, site_dir / "content" / "events.yaml"})


def test_the_forms_show_the_file_as_it_is_even_before_the_preview_has_loaded_it(live: SimpleNamespace, browser) -> None:
    """The preview loads a saved file a moment later (here: never, no watcher). A form drawn
    from the site as last loaded would carry the old headline, and saving its summary
    would have written that back over the headline just saved in the editor."""
    old = "        headline: Who do we contact if a parent has not received a parent preference email?"
    edited = live.file.read_text(encoding="utf-8").replace(old, f"        headline: {HEADLINE}", 1)
    live.file.write_text(edited, encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.url}/?token={TOKEN}")
        page.goto(f"{live.url}/f/{FORUM}/curate")
        article = item(page, "pt-contact-parent-received-preference-email")
        expect(article.get_by_label("Headline")).to_have_value(HEADLINE)
        article.get_by_label("Summary").fill(SUMMARY)
        save(page, "pt-contact-parent-received-preference-email")
    finally:
        context.close()
    saved = live.file.read_text(encoding="utf-8")
    assert f"        headline: {HEADLINE}\n" in saved and f"        summary: {SUMMARY}\n" in saved


def test_a_form_left_as_it_was_changes_nothing_even_a_topic_with_a_comma() -> None:
    from digest.content.model import Item
    from digest.preview.curation import changed, item_edit

    item = Item(
        id="salt",
        question="What is being done about SALT?",
        answer="We are working with commissioners.",
        topics=["Speech, language and communication", "Therapies"],
        audience={"phases": ["early years", "primary"]},
        highlight=True,
        summary="Two lines\nin the file.",
    )
    form = {
        "headline": "",
        "summary": "Two lines\r\nin the file.",
        "status": "answered",
        "kind": "question",
        "highlight": "yes",
        "highlight-shown": "1",
        "topics": "Speech, language and communication\r\nTherapies",
        "answered_by": "",
        "districts": "",
        "phases": "early years, primary",
        "settings": "",
        "suggestion-0": "",
    }
    assert not changed(item_edit(item, form, 1))
    edit = item_edit(item, {**form, "topics": "Therapies", "highlight": "", "phases": "primary"}, 1)
    assert edit.fields == {"topics": ["Therapies"], "highlight": None, "audience.phases": ["primary"]}


def test_every_preview_page_runs_under_a_policy_with_no_inline_script(client) -> None:
    """The preview's pages allow only their own script files: the live reload moved to one."""
    pages = ["/f/2025-07-test", "/f/2025-07-test/curate", "/f/2025-07-test/follow-ups", "/f/nope"]
    pages.append("/f/2025-07-test/edition?district=Swale&phase=primary&setting=mainstream")
    for url in pages:
        response = client.get(url)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0], url
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts and all(" src=" in s for s in scripts), (url, scripts)
        assert not re.search(r"\son[a-z]+=", response.text), url  # no inline handlers either
    reload_js = client.get("/_preview/reload.js")
    assert reload_js.headers["content-type"].startswith("text/javascript") and "EventSource" in reload_js.text
    assert client.get("/_preview/../digest.toml").status_code == 404
    assert client.get("/_preview/edition.html").status_code == 404  # only the files named


def test_a_near_duplicate_links_to_the_item_it_repeats_with_the_fix(site_dir: Path) -> None:
    from starlette.testclient import TestClient

    path = site_dir / "content" / "forums" / "2025-07-test.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "      - id: pt-medway\n",
        "      - id: pt-preference-email-again\n"
        "        question: Who do we contact if a parent has not received the parent preference email?\n"
        "        answer: SEN Data Coordination.\n"
        "      - id: pt-medway\n",
    )
    path.write_text(text, encoding="utf-8")
    preview = LiveSite(lambda: load_settings(site_dir), as_of=date(2025, 7, 11))
    with TestClient(create_app(preview, watch=False, token=TOKEN), base_url="http://127.0.0.1") as client:
        page = client.get("/f/2025-07-test/curate?finding=Near-duplicate+questions").text
    assert "Showing 1 of 6 items." in page
    article = page.split('<article class="item" id="pt-preference-email-again"', 1)[1].split("</article>")[0]
    assert "Near-duplicate questions: question repeats item &#39;pt-preference-email&#39;" in article
    assert "(fix: merge them into one item and set `asked: 2`)" in article
    assert '<a href="/f/2025-07-test/curate#pt-preference-email">Go to pt-preference-email</a>' in article
    # no headline or summary written: counted as the email makes them, from the document
    assert "14 words (about 15 at most), made from the document" in article
