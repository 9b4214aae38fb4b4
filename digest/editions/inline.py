"""CSS inlined into the email HTML (premailer), so Gmail and Outlook keep the styling;
the responsive and dark-mode rules stay in a `<style data-premailer="ignore">` block."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from digest.editions.styles import kept_styles

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
    """Inline the stylesheet into style attributes: premailer's result, worked out once per
    distinct place in a document (see _fast), or premailer itself (see _inliner)."""
    fast = _fast(html)
    return fast if fast is not None else premailer_css(html)


def premailer_css(html: str) -> str:
    """premailer's own transform (with the parsed stylesheet remembered)."""
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


# The fast path. premailer matches every rule against the whole document and merges each
# element's styles, for every edition; yet an element's style depends only on where it
# sits (its own and its ancestors' tag, id and class) and its own style attribute, and
# editions share nearly all of those places. So for a stylesheet of plain selectors
# (tags, classes and ids, joined by ' ' or '>'), premailer's own parsing, merging and
# HTML attributes are worked out once per distinct place and remembered; each edition
# only pays for lxml reading and writing it. Anything else (pseudo-classes, attribute
# selectors, a document without <head>) goes to premailer itself. The output is
# byte-identical (tests/editions/test_inline.py).

_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*)?(?P<rest>(?:[.#][\w-]+)*)$")
_PART = re.compile(r"([.#])([\w-]+)")
Node = tuple[str, str | None, frozenset[str]]  # tag, id, classes
Compound = tuple[str | None, str | None, frozenset[str]]


def _compound(text: str) -> Compound | None:
    m = _COMPOUND.match(text)
    if not m or not text:
        return None
    ids = [name for kind, name in _PART.findall(m["rest"]) if kind == "#"]
    classes = frozenset(name for kind, name in _PART.findall(m["rest"]) if kind == ".")
    if len(ids) > 1:
        return None
    return m["tag"], ids[0] if ids else None, classes


def compile_selector(selector: str) -> tuple[tuple[Compound, str], ...] | None:
    """A plain selector as (compound, combinator before it) from right to left, or None."""
    tokens = selector.replace(">", " > ").split()
    out: list[tuple[Compound, str]] = []
    combinator = " "
    for token in reversed(tokens):
        if token == ">":
            if combinator == ">" or not out:
                return None
            combinator = ">"
            continue
        compound = _compound(token)
        if compound is None:
            return None
        if out:
            out[-1] = (out[-1][0], combinator)
        out.append((compound, " "))
        combinator = " "
    return tuple(out) if out and combinator == " " else None


def _fits(compound: Compound, node: Node) -> bool:
    tag, id_, classes = compound
    return (tag is None or tag == node[0]) and (id_ is None or id_ == node[1]) and classes <= node[2]


def matches(selector: tuple[tuple[Compound, str], ...], chain: tuple[Node, ...]) -> bool:
    """Whether the last node of chain (root first) matches, as cssselect would."""
    if not _fits(selector[0][0], chain[-1]):
        return False

    def rest(i: int, end: int) -> bool:  # selector[i:] against an ancestor in chain[:end]
        if i == len(selector):
            return True
        combinator, compound = selector[i - 1][1], selector[i][0]
        candidates = [end - 1] if combinator == ">" else range(end - 1, -1, -1)
        return any(_fits(compound, chain[j]) and rest(i + 1, j) for j in candidates if j >= 0)

    return rest(1, len(chain) - 1)


class _Sheet:
    """One stylesheet's rules and what they give each place in a document."""

    def __init__(self, rules: list, key: str = "") -> None:
        self.key = key  # the stylesheet's hash, for the styles kept between runs
        self.rules = sorted(rules, key=lambda r: r[0])
        self.compiled = [compile_selector(selector) for _, selector, _ in self.rules]
        self.plain = all(c is not None for c in self.compiled)
        self.by_chain: dict[tuple[Node, ...], tuple[int, ...]] = {}
        self.by_style: dict[tuple[tuple[int, ...], str], tuple[str, tuple[tuple[str, str], ...]]] = {}

    def styled(self, chain: tuple[Node, ...], inline: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        hits = self.by_chain.get(chain)
        if hits is None:
            hits = self.by_chain[chain] = tuple(i for i, c in enumerate(self.compiled) if matches(c, chain))
        if not hits:
            return None
        done = self.by_style.get((hits, inline))
        if done is None:
            done = self.by_style[(hits, inline)] = kept_styles.get(
                ("style", self.key, hits, inline), lambda: self._merged(hits, inline)
            )
        return done

    def _merged(self, hits: tuple[int, ...], inline: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        from premailer.merge_style import csstext_to_pairs, merge_styles

        styles = [csstext_to_pairs(self.rules[i][2], validate=False) for i in hits]
        final = merge_styles(inline, styles, [""] * len(hits), remove_unset_properties=True)
        return final, _attributes(final)


@lru_cache(maxsize=32)
def _sheet(bodies: tuple[str, ...]) -> _Sheet:
    def parse() -> list:
        inliner = _inliner()(None, **PREMAILER_OPTIONS)
        rules: list = []
        for index, body in enumerate(bodies):
            rules += inliner._parse_style_rules(body, index)[0]
        return rules

    key = _hash(*bodies)
    return _Sheet(kept_styles.get(("rules", key), parse), key)


@lru_cache(maxsize=32)
def _leftover(body: str, index: int) -> str | None:
    """What of a stylesheet stays in its <style> (@media rules), or None to remove it."""

    def parse() -> str | None:
        inliner = _inliner()(None, **PREMAILER_OPTIONS)
        leftover = inliner._parse_style_rules(body, index)[1]
        return inliner._css_rules_to_string(leftover) if leftover else None

    return kept_styles.get(("leftover", _hash(body), index), parse)


def _hash(*texts: str) -> str:
    import hashlib

    return hashlib.sha256("\0".join(texts).encode()).hexdigest()


def _attributes(style: str) -> tuple[tuple[str, str], ...]:
    probe = _Probe()
    _inliner()(None, **PREMAILER_OPTIONS)._style_to_basic_html_attributes(probe, style, force=True)
    return tuple(probe.attrib.items())


class _Probe:  # stands in for an lxml element: collects the attributes premailer would set
    def __init__(self) -> None:
        self.attrib: dict[str, str] = {}


def _fast(html: str) -> str | None:
    """premailer's transform for a document of plain selectors, or None to ask premailer."""
    from lxml import etree

    stripped = html.strip()
    tree = etree.fromstring(stripped, etree.HTMLParser()).getroottree()
    page = tree.getroot()
    if page is None or page.find(".//head") is None or page.find(".//img") is not None:
        return None
    root = tree if stripped.startswith(tree.docinfo.doctype) else page
    styles = [e for e in page.iter("style")]
    bodies, index = [], 0
    for element in styles:
        media = element.get("media")
        if media and media not in ("all", "screen"):
            continue
        marker = element.get("data-premailer")
        if marker:
            if marker != "ignore":
                return None
            del element.attrib["data-premailer"]
            continue
        bodies.append(element.text or "")
        leftover = _leftover(element.text, index) if element.text else None
        index += 1
        if leftover is None:
            element.getparent().remove(element)
        else:
            element.text = leftover
    sheet = _sheet(tuple(bodies))
    if not sheet.plain:
        return None

    def walk(element: Any, chain: tuple[Node, ...]) -> None:
        node = (element.tag, element.get("id"), frozenset((element.get("class") or "").split()))
        chain += (node,)
        found = sheet.styled(chain, element.get("style", ""))
        if found is not None:
            style, attributes = found
            if style:
                element.set("style", style)
            for key, value in attributes:
                element.set(key, value)
        for child in element:
            if isinstance(child.tag, str):
                walk(child, chain)

    walk(page, ())
    return etree.tostring(root, method="html", pretty_print=True, encoding="utf-8").decode("utf-8")
