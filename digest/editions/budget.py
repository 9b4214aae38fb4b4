"""The length budget: `digest check` (and the preview) warn about an edition whose text
part is over `render.words_budget` words, naming its largest part, so an organiser knows
what to shorten before anyone gets a long email. Measured as of today, like a send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from digest import fmt
from digest.content.load import Site
from digest.editions.select import Edition, editions, today
from digest.errors import WARNING, Problem

if TYPE_CHECKING:
    from digest.editions.kept import Kept
    from digest.editions.render import Rendered, Renderer


def over_budget(
    site: Site,
    as_of: date | None = None,
    measure: Callable[[Edition], Rendered] | None = None,
    kept: Kept | None = None,
) -> list[Problem]:
    """One warning per forum with editions over the budget: the longest of them. measure
    gives an edition's text part (by default the text part alone is rendered, or taken from
    the kept renders when its content is the same: editions/kept.py); the preview passes the
    editions it renders anyway, so no text part is rendered twice."""
    budget = site.settings.render.words_budget
    as_of = as_of or today()
    if measure is None:
        renderer: list[Renderer] = []  # made on the first edition that is not kept: Jinja only then

        def render_text(edition: Edition) -> Rendered:
            if not renderer:
                from digest.editions.render import Renderer

                renderer.append(Renderer(site.settings, kept.templates if kept else None))
            return renderer[0].render_text(edition)

        measure = render_text if kept is None else (lambda e: kept.get(e, render_text, html=False))
    out = []
    for forum in site.forums.values():
        rendered = [measure(e) for e in editions(site, forum, as_of, site.taxonomy.profiles())]
        over = [r for r in rendered if r.length.words > budget]
        if not over:
            continue
        longest = max(over, key=lambda r: r.length.words)
        part, words = longest.length.largest
        src, path = site.origins[f"forum:{forum.id}"]
        reader = longest.edition.profiles[0].describe()
        more = len(longest.edition.profiles) - 1
        others = f" (and {fmt.plural(more, 'other reader')})" if more else ""
        also = f"; {fmt.plural(len(over) - 1, 'other edition')} too" if len(over) > 1 else ""
        out.append(
            src.problem(
                path + ("id",),
                f"the edition for {reader}{others} is {longest.length.words:,} words, over the budget of {budget:,}"
                f"{also}; its largest part is {part} ({fmt.plural(words, 'word')})",
                "shorten its headlines and summaries, or raise render.words_budget in digest.toml",
                WARNING,
            )
        )
    return out
