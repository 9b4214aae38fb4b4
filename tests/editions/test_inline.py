"""The inliner against premailer, its reference (issue 24): for every edition of the example
content, each element gets the same styles and HTML attributes, and the page the same
bytes; selectors the fast path does not know go to premailer itself."""

from __future__ import annotations

import pytest
from lxml import etree
from support import REPO

from digest.content.load import load_or_fail
from digest.editions import inline
from digest.editions.inline import PREMAILER_OPTIONS, compile_selector, inline_css, matches
from digest.editions.render import Renderer
from digest.editions.select import day_after, editions
from digest.settings import load_settings


def premailer_alone(html: str) -> str:
    import premailer

    return premailer.Premailer(html, **PREMAILER_OPTIONS).transform()


def styles(html: str) -> list[tuple[str, dict[str, str]]]:
    """Each element in document order: its tag and every attribute premailer may set."""
    page = etree.fromstring(html, etree.HTMLParser())
    keep = ("style", "align", "valign", "bgcolor", "width", "height")
    return [(e.tag, {k: v for k, v in e.attrib.items() if k in keep}) for e in page.iter() if isinstance(e.tag, str)]


@pytest.fixture(scope="module")
def pages() -> list[str]:
    """The HTML of every edition of both example forums, before inlining."""
    site = load_or_fail(load_settings(REPO))
    renderer = Renderer(site.settings)
    template = renderer.env.get_template("edition.html")
    out = []
    for forum in site.forums.values():
        for edition in editions(site, forum, day_after(forum), site.taxonomy.profiles()):
            out.append(template.render(renderer.context(edition, "S")))
    return out


def test_every_example_edition_gets_premailers_styles_on_every_element(pages: list[str]) -> None:
    assert len(pages) >= 20  # every distinct edition of both forums (33 today)
    for page in pages:
        ours, reference = inline_css(page), premailer_alone(page)
        assert styles(ours) == styles(reference)
        assert ours == reference
    assert 'style="' in inline_css(pages[0])


def test_the_fast_path_is_the_one_taken_for_the_shipped_stylesheet(pages: list[str]) -> None:
    assert inline._fast(pages[0]) is not None


@pytest.mark.parametrize(
    ("selector", "chain", "expected"),
    [
        (".brief p", [("div", None, {"brief"}), ("div", None, {"answer"}), ("p", None, set())], True),
        (".brief > p", [("div", None, {"brief"}), ("div", None, {"answer"}), ("p", None, set())], False),
        ("div > .answer p", [("div", None, {"brief"}), ("div", None, {"answer"}), ("p", None, set())], True),
        ("td.footer a", [("td", None, {"footer", "x"}), ("a", None, set())], True),
        ("td.footer a", [("th", None, {"footer"}), ("a", None, set())], False),
        ("#top h1", [("div", "top", set()), ("h1", None, set())], True),
        ("h1", [("h2", None, set())], False),
    ],
)
def test_selectors_match_as_cssselect_does(selector: str, chain: list, expected: bool) -> None:
    compiled = compile_selector(selector)
    assert compiled is not None
    assert matches(compiled, tuple((t, i, frozenset(c)) for t, i, c in chain)) is expected


def test_other_selectors_go_to_premailer_with_the_same_result() -> None:
    for selector in ("li:first-child", "a[href]", "p + p", "p ~ p"):
        assert compile_selector(selector) is None
    page = (
        "<!DOCTYPE html><html><head><style>p { color: red } li:first-child { font-weight: bold }"
        " .x > p { text-align: center }</style></head><body><div class='x'><p>a</p><ul><li>1</li><li>2</li></ul>"
        "</div><p style='color: blue'>b</p></body></html>"
    )
    assert inline._fast(page) is None
    assert inline_css(page) == premailer_alone(page)
    plain = page.replace("li:first-child", "li")
    assert inline._fast(plain) is not None
    assert inline_css(plain) == premailer_alone(plain)
    assert 'align="center"' in inline_css(plain) and "color:blue" in inline_css(plain)
