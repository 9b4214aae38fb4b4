"""CSS inlined into the email HTML (premailer), so Gmail and Outlook keep the styling;
the responsive and dark-mode rules stay in a `<style data-premailer="ignore">` block."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

# premailer with no network access, links left alone, @media/dark rules kept (they sit in a
# <style data-premailer="ignore">) and cssutils' warnings silenced.
PREMAILER_OPTIONS = {
    "base_url": None,
    "disable_link_rewrites": True,
    "allow_network": False,
    "allow_loading_external_files": False,
    "keep_style_tags": False,
    "remove_classes": False,
    "strip_important": False,
    "cssutils_logging_level": logging.CRITICAL,
    "disable_validation": True,
}


def inline_css(html: str) -> str:
    """Inline the stylesheet into style attributes (premailer, see _inliner)."""
    return _inliner()(html, **PREMAILER_OPTIONS).transform()


@lru_cache(maxsize=1)
def _inliner() -> type:
    """premailer.Premailer, remembering what is the same for every edition.

    Every edition carries the same stylesheet, and premailer parses and re-serialises it
    through cssutils for each document, then works out the HTML attributes (bgcolor,
    width, align...) of each element's style anew: most of its time, for the same answer
    each time. Both are kept here for the life of the process, keyed by their text (so
    an organiser editing the CSS in `digest preview` gets fresh ones). The output is the
    same as premailer's own (tests/test_render.py compares them). premailer is imported
    here, not at the top, so `digest --help` does not pay for it."""
    import premailer

    rules_by_css: dict[tuple[str, int], tuple[list, list]] = {}
    attributes_by_style: dict[str, tuple[tuple[str, str], ...]] = {}

    class Probe:  # stands in for an lxml element: collects the attributes premailer would set
        def __init__(self) -> None:
            self.attrib: dict[str, str] = {}

    class Inliner(premailer.Premailer):
        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list, list]:
            key = (css_body, ruleset_index)
            parsed = rules_by_css.get(key)
            if parsed is None:
                parsed = super()._parse_style_rules(css_body, ruleset_index)
                if len(rules_by_css) >= 32:
                    rules_by_css.clear()
                rules_by_css[key] = parsed
            rules, leftover = parsed
            return list(rules), list(leftover)  # the caller may extend them

        def _style_to_basic_html_attributes(self, element: Any, style_content: str, force: bool = False) -> None:
            attributes = attributes_by_style.get(style_content)
            if attributes is None:
                probe = Probe()
                super()._style_to_basic_html_attributes(probe, style_content, force=True)
                attributes = tuple(probe.attrib.items())
                if len(attributes_by_style) >= 4096:
                    attributes_by_style.clear()
                attributes_by_style[style_content] = attributes
            for key, value in attributes:
                if force or key not in element.attrib:
                    element.attrib[key] = value

    return Inliner
