"""Rendering: golden files, email-client rules, size budget, escaping, overrides."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from support.golden import golden

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.editions.inline import inline_css
from digest.editions.render import PERSONAL, Renderer, placeholder
from digest.editions.select import select
from digest.settings import load_settings

PERSON = {
    "greeting": "Dear Sam <Test> & Co,",
    "profile": "a primary mainstream school in Swale",
    "unsubscribe_url": "https://digest.test.example/unsubscribe/1.0.abc",
    "preferences_url": "https://digest.test.example/preferences/1.0.abc",
}


@pytest.fixture
def site(site_dir: Path):
    return load_or_fail(load_settings(site_dir))


def render(site, profile: Profile, as_of: date = date(2025, 7, 11)):
    return Renderer(site.settings).render(select(site, site.forum("2025-07-test"), as_of, profile))


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("swale-primary-mainstream", Profile("Swale", ("primary",), "mainstream")),
        ("medway-secondary-independent", Profile("Medway", ("secondary",), "independent")),
    ],
)
def test_golden_editions(site, name: str, profile: Profile) -> None:
    html, text = render(site, profile).personalise(PERSON)
    golden(f"{name}.html", html)
    golden(f"{name}.txt", text)


def test_html_follows_email_client_rules(site) -> None:
    r = render(site, Profile("Swale", ("primary",), "mainstream"))
    html = r.html
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB"' in html
    assert f"<title>{r.subject}</title>" in html
    assert 'role="presentation"' in html and 'width="600"' in html
    assert '<div class="preheader"' in html
    assert re.search(r"<h1[^>]*>Test SENCO Forum</h1>", html)
    # CSS inlined, responsive and dark-mode rules kept in <style>
    assert 'style="' in html
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and "@media only screen and (max-width: 620px)" in styles[0]
    assert "prefers-color-scheme: dark" in styles[0]
    assert "<img" not in html  # no tracking pixels, no images at all
    assert r.html_bytes < 102_000


def test_personal_parts_are_placeholders_until_personalised_and_escaped(site) -> None:
    r = render(site, Profile("Swale", ("primary",), "mainstream"))
    for name in PERSONAL:
        assert placeholder(name) in r.html and placeholder(name) in r.text
    html, text = r.personalise(PERSON)
    assert "%%digest:" not in html and "%%digest:" not in text
    assert "Dear Sam &lt;Test&gt; &amp; Co," in html
    assert "Dear Sam <Test> & Co," in text
    assert 'href="https://digest.test.example/unsubscribe/1.0.abc"' in html


def test_pending_answers_and_audiences_are_flagged_in_both_parts(site) -> None:
    html, text = render(site, Profile("Swale", ("primary",), "mainstream")).personalise(PERSON)
    pending = "Will the holidays count in the 0-6 week timescale?"
    assert pending in html.split('id="to-come"')[1] and pending in text.split("STILL TO COME")[1]
    yours = text.split("FOR YOUR SCHOOL")[1].split("DATES FOR YOUR DIARY")[0]
    assert "\nFor Swale schools\n* Swale schools lack" in yours and "\nFor early years and primary schools\n" in yours
    assert re.search(r'<span class="badge aud"[^>]*>For Swale schools</span>', html)


def test_every_link_is_gathered_in_one_place(site) -> None:
    html, text = render(site, Profile("Swale", ("primary",), "mainstream")).personalise(PERSON)
    section = text.split("LINKS FROM THE ANSWERS")[1].split("WHO TO CONTACT")[0]
    for url in ("SENDataCoordination@kent.gov.uk", "https://example.org/therapy-plan"):
        assert url in section
    dates = text.split("DATES FOR YOUR DIARY")[1].split("EVERYTHING ELSE")[0]
    for url in ("https://meet.example.org/swale-surgery", "https://events.example.org/mcs-primary"):
        assert url in dates and url not in section  # a date's links stand with the date


def test_markdown_is_sanitised(site_dir: Path) -> None:
    forum = site_dir / "content/forums/2025-07-test.yaml"
    forum.write_text(
        forum.read_text().replace(
            "answer: OOC schools have a separate process.",
            "answer: 'OOC <script>alert(1)</script> [x](javascript:alert(1)) <img src=https://t.example/p.gif>'",
        )
    )
    site = load_or_fail(load_settings(site_dir))
    html, _ = render(site, Profile("Medway", ("primary",), "mainstream")).personalise(PERSON)
    assert "<script" not in html and 'href="javascript' not in html and "<img" not in html


def test_an_organiser_overrides_one_template(site_dir: Path) -> None:
    override = site_dir / "site-templates/partials"
    override.mkdir(parents=True)
    (override / "footer.html").write_text(
        '<p>Custom footer for {{ personal.profile }}</p><p><a href="{{ personal.unsubscribe_url }}">Leave</a></p>'
    )
    site = load_or_fail(load_settings(site_dir))
    html, _ = render(site, Profile("Swale", ("primary",), "mainstream")).personalise(PERSON)
    assert "Custom footer for a primary mainstream school in Swale" in html
    assert "Change your district" not in html


def test_an_override_can_extend_the_builtin_template(site_dir: Path) -> None:
    (site_dir / "site-templates").mkdir()
    (site_dir / "site-templates/edition.html").write_text(
        '{% extends "builtin/edition.html" %}{% block preheader %}<div class="preheader">Custom preheader</div>{% endblock %}'
    )
    site = load_or_fail(load_settings(site_dir))
    html, _ = render(site, Profile("Swale", ("primary",), "mainstream")).personalise(PERSON)
    assert "Custom preheader" in html and "Test SENCO Forum" in html


def premailer_alone(html: str) -> str:
    """premailer itself, without digest's remembered stylesheet rules and attributes."""
    import premailer

    from digest.editions.inline import PREMAILER_OPTIONS

    return premailer.Premailer(html, **PREMAILER_OPTIONS).transform()


def test_inlining_is_premailers_own_for_every_edition_and_a_changed_stylesheet(site_dir: Path) -> None:
    settings = load_settings(site_dir)
    site = load_or_fail(settings)
    renderer = Renderer(settings)
    forum = site.forum("2025-07-test")
    profiles = [Profile("Swale", ("primary",), "mainstream"), Profile("Medway", ("secondary",), "independent")]
    template = renderer.env.get_template("edition.html")
    pages = [template.render(renderer.context(select(site, forum, date(2025, 7, 11), p), "S")) for p in profiles]
    for page in pages + pages:  # the second time from what was remembered
        assert inline_css(page) == premailer_alone(page)
    (site_dir / "site-templates").mkdir()
    (site_dir / "site-templates/email.css").write_text("p { color: #123; text-align: center; width: 10px }\n")
    renderer = Renderer(load_settings(site_dir))
    edition = select(site, forum, date(2025, 7, 11), profiles[0])
    page = renderer.env.get_template("edition.html").render(renderer.context(edition, "S"))
    inlined = inline_css(page)
    assert inlined == premailer_alone(page)
    assert 'align="center"' in inlined and "color:#123" in inlined


def test_the_text_part_carries_the_badges_the_html_shows(site_dir: Path) -> None:
    """Issue 20: "More to follow" was missing from the text part."""
    path = site_dir / "content" / "forums" / "2025-07-test.yaml"
    text = path.read_text()
    old = "        topics: [Speech and language]\n"
    assert old in text
    path.write_text(text.replace(old, old + "        status: follow-up\n"))
    site = load_or_fail(load_settings(site_dir))
    r = render(site, Profile("Swale", ("primary",), "mainstream"))
    assert "More to follow</span>" in r.html
    assert "* Swale schools lack access to SALT and OT. What is being done? [more to follow]" in r.text
