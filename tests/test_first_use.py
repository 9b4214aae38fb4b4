"""What a new user tripped on. Issue 16.11: the organisation written twice in every footer,
and counts such as "1 dates" on the build's pages. Issue 19: the preview without a signing
key, links in mail that lead away from a local server, `make serve PORT=`, a mistyped
DIGEST_DB, and the build's state file served; each through the real command (the browser
copy's styles and an old confirmation link are in tests/web/test_web_browser.py)."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import time
from datetime import date
from pathlib import Path

import httpx
from starlette.testclient import TestClient
from support import FIXTURE_DAY, REPO
from support.serving import DIGEST, environment, running

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.build import build
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.schedules.files import load_schedules
from digest.schedules.kinds import KINDS
from digest.settings import load_settings
from digest.web.app import create_app
from digest.web.listen import explicit_base_url

TWICE = re.compile(r"Kent SENCO Forum\W{1,4}Kent SENCO Forum")
BAD_COUNT = re.compile(
    r"\b1 (answers|dates|words|minutes|editions|readers|questions)\b|\b(0|[2-9]\d*) (answer|date|word|question)\b(?![-\w])"
)


def test_every_footer_names_the_organisation_once(tmp_path: Path) -> None:
    settings = load_settings(REPO)
    site = load_or_fail(settings)
    forum = site.forum("2025-07-term6")
    rendered = Renderer(settings).render(
        select(site, forum, date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    )
    texts = [rendered.html, rendered.text]
    schedules, _ = load_schedules(settings, site)
    reminder = next(s for s in schedules if s.name == "weekly-dates")
    # the week of the primary Mainstream Core Standards training (2 May 2024)
    plan = KINDS["upcoming-dates"].plan(settings, site, reminder, date(2024, 4, 29), "schedule:test")
    plan.add([Profile("Swale", ("primary",), "mainstream")])
    texts += [p.rendered.text for p in plan.prepared] + [p.rendered.html for p in plan.prepared]
    with TestClient(create_app(settings)) as client:
        texts.append(client.get("/subscribe").text)
    build(site, tmp_path / "site", as_of=date(2025, 7, 11))
    texts += [
        (tmp_path / "site" / page).read_text() for page in ("index.html", "2025-07-term6/index.html", "editions.html")
    ]
    assert len(texts) >= 8
    for text in texts:
        assert "Sessions House" in text
        assert not TWICE.search(text), TWICE.search(text)


def test_counts_agree_with_their_number_on_the_build_pages(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(load_or_fail(load_settings(site_dir)), out, as_of=FIXTURE_DAY)
    pages = [p.read_text() for p in out.rglob("*.html")]
    assert any(re.search(r"\b1 date\b", p) for p in pages)  # the fixture has editions with one date
    for page in pages:
        assert not BAD_COUNT.search(page), BAD_COUNT.search(page)


# -- issue 19: the real commands, as the README runs them ----------------------------------------
FORUM = "2025-07-test"
CELL = "district=Swale&phase=primary&setting=mainstream"


def unset_base_url(site: Path) -> Path:
    """The site as a new user has it: no public address set yet (as in the repository's digest.toml)."""
    toml = site / "digest.toml"
    toml.write_text("".join(line for line in toml.read_text().splitlines(True) if "base_url" not in line))
    return site


def mail(site: Path, count: int) -> list[email.message.EmailMessage]:
    """The outbox once it holds `count` messages (mail is sent after the page answers)."""
    folder = site / "var" / "outbox" / "new"
    deadline = time.monotonic() + 120  # only stops a test that would hang
    while True:
        files = sorted(folder.glob("*")) if folder.exists() else []
        if len(files) >= count or time.monotonic() > deadline:
            return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
        time.sleep(0.05)


def body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_preview_without_a_signing_key_shows_every_edition(site_dir: Path) -> None:
    """docs/preview.md's first example runs with no DIGEST_SECRET_KEY: every edition answered a
    bare "Internal Server Error"."""
    site = unset_base_url(site_dir)
    env = {k: v for k, v in environment().items() if k != "DIGEST_SECRET_KEY"}
    subprocess.run([str(DIGEST), "build", "--as-of", "2025-07-11"], cwd=site, env=env, check=True, capture_output=True)
    with running(site, "preview", "--as-of", "2025-07-11", env=env) as (url, printed):
        edition = httpx.get(f"{url}/f/{FORUM}/edition?{CELL}", timeout=30)
        assert edition.status_code == 200 and "Internal Server Error" not in edition.text
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in edition.text  # the MIME source
        source = httpx.get(f"{url}/f/{FORUM}/edition.eml?{CELL}", timeout=30).text
        # its links lead to the preview's own address, which serves the site as last built
        assert f"<{url}/unsubscribe/" in source
        assert httpx.get(f"{url}/{FORUM}/", timeout=30).status_code == 200
    assert "DIGEST_SECRET_KEY is not set" in printed[1] and "open no reader's page" in printed[1]


def test_the_subscribe_flow_can_be_followed_through_on_a_local_server(site_dir: Path) -> None:
    """Confirmation and welcome mails linked to https://digest.example.org; `digest serve`
    served build/.calendar-state.json."""
    site = unset_base_url(site_dir)
    env = environment()
    subprocess.run([str(DIGEST), "build", "--as-of", "2025-07-11"], cwd=site, env=env, check=True, capture_output=True)
    assert (site / "build" / ".calendar-state.json").is_file()
    with running(site, "serve", env=env) as (url, printed), httpx.Client(base_url=url, timeout=30) as browser:
        assert browser.get("/.calendar-state.json").status_code == 404
        assert browser.get("/index.html").status_code == 200
        form = browser.get("/subscribe").text
        token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        fields = {"email": "amy@oak.example", "district": "Swale", "phases": "primary", "setting": "mainstream"}
        assert browser.post("/subscribe", data=fields | {"csrf": token}).status_code == 200
        [confirm] = mail(site, 1)
        link = re.search(r"http://\S+/confirm/\S+", body(confirm)).group(0)
        assert link.startswith(f"{url}/confirm/")
        page = browser.get(link)
        assert page.status_code == 200 and "Confirm" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert "You are subscribed" in browser.post(link, data={"csrf": token}).text
        welcome = mail(site, 2)[-1]
        assert f"{url}/preferences/" in body(welcome) and f"{url}/{FORUM}/" in body(welcome)
        assert "digest.example.org" not in body(confirm) + body(welcome)
    assert printed[1].startswith(f"Links in mail lead here ({url}); set DIGEST_BASE_URL")
    assert printed[2].startswith("Made a new, empty database at var/digest.sqlite3")


def test_make_serve_and_make_preview_take_a_port() -> None:
    for target in ("serve", "preview"):
        planned = subprocess.run(
            ["make", "-n", target, "PORT=8080"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        assert f"digest {target} --port 8080" in planned
        plain = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=True).stdout
        assert re.search(rf"digest {target}\s*$", plain, re.M), plain


def test_make_demo_sends_as_of_the_day_after_the_latest_forum_and_says_so() -> None:
    """Issue 20: sent as of today, every example date was past (no dates, calendars or
    reminders to see). The day comes from the content, not from the clock."""
    from demo.as_of import demo_day

    site = load_or_fail(load_settings(REPO))
    latest = max(max(f.dates) for f in site.forums.values())
    assert date.fromisoformat(demo_day(REPO)) == date.fromordinal(latest.toordinal() + 1)
    planned = subprocess.run(["make", "-n", "demo"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "python -m demo.as_of" in planned
    assert (
        'digest build --as-of "$AS_OF"' in planned and '--as-of "$AS_OF" || exit 1' in planned
    )  # build and every send
    assert "the day after the latest forum" in planned  # and it says so


def test_the_example_settings_leave_the_public_address_unset() -> None:
    """So `make serve` and `make preview` put their own address in the links they mail."""
    settings = load_settings(REPO)
    assert not explicit_base_url(settings) and settings.site.base_url == "https://digest.example.org"


def test_a_mistyped_database_path_is_an_error_not_zero_sent(site_dir: Path) -> None:
    env = environment()
    added = subprocess.run(
        [str(DIGEST), "subscribers", "add", "amy@oak.example", "--district", "Swale", "--phase", "primary",
         "--setting", "mainstream"],
        cwd=site_dir, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert added.stdout.startswith("Added amy@oak.example")
    typo = environment(DIGEST_DB="var/digest.sqlite")
    for args in (["send", "--forum", FORUM], ["send", "--forum", FORUM, "--dry-run"], ["subscribers", "list"]):
        done = subprocess.run([str(DIGEST), *args], cwd=site_dir, env=typo, capture_output=True, text=True)
        assert done.returncode == 1, done.stdout + done.stderr
        assert done.stderr.startswith(
            "Error: the database var/digest.sqlite does not exist (from the environment variable "
            "DIGEST_DB=var/digest.sqlite). If that name is mistyped, correct it"
        ), done.stderr
        assert "sent" not in done.stdout
    assert not (site_dir / "var" / "digest.sqlite").exists()
    sent = subprocess.run(
        [str(DIGEST), "send", "--forum", FORUM], cwd=site_dir, env=env, capture_output=True, text=True
    )
    assert sent.returncode == 0 and "1 sent" in sent.stdout, sent.stdout + sent.stderr
