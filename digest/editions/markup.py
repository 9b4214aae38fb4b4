"""Markdown in answers: to sanitised HTML, to plain text, and the links it mentions.

markdown-it-py parses (CommonMark, with bare URLs and addresses linkified); nh3 (the
Ammonia sanitiser) keeps only the tags and link schemes an email may carry, so an
organiser's typo can never inject markup into a digest.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a", "code", "blockquote", "h3", "h4"}
_ATTRS = {"a": {"href"}}


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True, "html": False, "typographer": True})
    md.enable(["linkify", "replacements", "smartquotes"])
    md.disable("image")
    md.validateLink = lambda url: url.lower().startswith(("https://", "mailto:"))  # type: ignore[method-assign]
    return md


@lru_cache(maxsize=4096)
def _parsed(source: str) -> tuple[tuple[Token, ...], dict]:
    """The Markdown parsed once per text, with the env its parse filled: to_html, to_text
    and links each read the same answer (and only read it)."""
    env: dict = {}
    return tuple(_md().parse(source or "", env)), env


def _tokens(source: str) -> tuple[Token, ...]:
    return _parsed(source)[0]


@lru_cache(maxsize=4096)
def to_html(source: str) -> str:
    md, (tokens, env) = _md(), _parsed(source)
    html = md.renderer.render(list(tokens), md.options, dict(env))  # as md.render(source) does
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"https", "mailto"},
        link_rel="noopener",
    )


def links(source: str) -> list[tuple[str, str]]:
    """(text, url) of each link in the Markdown, in order."""
    return list(_links(source))


@lru_cache(maxsize=4096)
def _links(source: str) -> tuple[tuple[str, str], ...]:
    """Parsed once per answer, not once per edition that holds it."""
    out = []
    for token in _tokens(source):
        children = token.children or []
        for i, child in enumerate(children):
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                text = ""
                for nxt in children[i + 1 :]:
                    if nxt.type == "link_close":
                        break
                    text += nxt.content
                out.append((text.strip() or href, href))
    return tuple(out)


def _inline(tokens: list[Token]) -> str:
    out, href = [], None
    for t in tokens:
        if t.type in ("text", "code_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif t.type == "link_open":
            href = str(t.attrGet("href") or "")
        elif t.type == "link_close" and href:
            shown = href.removeprefix("mailto:")
            text = "".join(out)
            if not text.endswith(shown):
                out.append(f" <{shown}>")
            href = None
    return "".join(out)


@lru_cache(maxsize=4096)
def to_text(source: str, width: int = 72, indent: str = "") -> str:
    """Markdown as readable plain text: wrapped paragraphs, '- ' lists, links as <url>."""
    blocks: list[tuple[str, bool]] = []
    prefix: list[str] = []
    for t in _tokens(source):
        if t.type in ("bullet_list_open", "ordered_list_open"):
            prefix.append("- ")
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            prefix.pop()
        elif t.type == "inline":
            lead = "  " * (len(prefix) - 1) + prefix[-1] if prefix else ""
            text = textwrap.fill(
                _inline(t.children or []),
                width=width,
                initial_indent=indent + lead,
                subsequent_indent=indent + " " * len(lead),
                break_long_words=False,
                break_on_hyphens=False,
            )
            blocks.append((text, bool(prefix)))
    out = ""
    for i, (text, in_list) in enumerate(blocks):
        if i:
            out += "\n" if in_list and blocks[i - 1][1] else "\n\n"
        out += text
    return out
