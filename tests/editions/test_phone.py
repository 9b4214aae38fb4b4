"""On a 375 px phone the longest editions of the example content are at most 10 screens
tall in Debian's chromium, and the estimate `digest build` and the preview show is close."""

from __future__ import annotations

import pytest
from support import REPO

from digest.content.load import load_or_fail
from digest.editions.build import sample_personal
from digest.editions.measure import SCREEN_PX
from digest.editions.render import Renderer
from digest.editions.select import day_after, editions, today
from digest.settings import load_settings


@pytest.fixture(scope="module")
def longest() -> list:
    site = load_or_fail(load_settings(REPO))
    renderer, found = Renderer(site.settings), []
    for forum in site.forums.values():
        for as_of in (today(), day_after(forum)):
            found += [renderer.render(e) for e in editions(site, forum, as_of, site.taxonomy.profiles())]
    found.sort(key=lambda r: r.length.screens, reverse=True)
    return found[:6] + found[-1:]  # the six tallest by the estimate, and the shortest


def test_no_email_is_over_ten_phone_screens_and_the_estimate_holds(browser, longest) -> None:
    page = browser.new_page(viewport={"width": 375, "height": SCREEN_PX})
    try:
        for r in longest:
            html, _ = r.personalise(sample_personal(r.edition))
            page.set_content(html)
            screens = page.evaluate("document.documentElement.scrollHeight") / SCREEN_PX
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, r.edition.id  # nothing wider
            assert screens <= 10, (r.edition.id, screens)
            assert abs(r.length.screens - screens) / screens < 0.1, (r.edition.id, r.length.screens, screens)
    finally:
        page.close()


def test_to_do_then_for_your_school_are_the_first_things_on_the_first_screen(browser, longest) -> None:
    page = browser.new_page(viewport={"width": 375, "height": SCREEN_PX})
    try:
        r = next(r for r in longest if r.edition.parts.yours)
        page.set_content(r.personalise(sample_personal(r.edition))[0])
        headings = page.locator("td[role=main] h2").all_inner_texts()
        expected = (["To do"] if r.edition.actions else []) + ["For your school"]
        assert headings[: len(expected)] == expected
        top = page.locator("#yours").bounding_box()["y"]
        assert top < SCREEN_PX  # on the first screen
    finally:
        page.close()
