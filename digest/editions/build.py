"""Stage 4 (files): `digest build` writes the site: the archive, each edition's browser
copy (HTML and text), and for organisers the matrix of editions by district and phase,
one table per setting, with each edition's answers, dates, length and size, so an
organiser sees at a glance what every reader gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from digest.content.load import Site
from digest.editions.archive import entries, write_archive
from digest.editions.calendar import write_calendars
from digest.editions.kept import Kept
from digest.editions.manifest import Manifest, Outputs, digest_of
from digest.editions.public import public
from digest.editions.render import Rendered, Renderer
from digest.editions.search import Index, write_index
from digest.editions.select import Edition, editions, today
from digest.editions.styles import kept_styles
from digest.editions.urls import SEARCH_INDEX, SiteUrls, edition_path
from digest.errors import DigestError
from digest.files import write_atomic


@dataclass
class ForumBuild:
    forum_id: str
    as_of: date
    editions: list[Edition] = field(default_factory=list)
    rendered: dict[str, Rendered] = field(default_factory=dict)  # edition id -> rendered

    def cell(self, district: str, phase: str, setting: str) -> Rendered:
        """The edition a single-phase reader of this district and setting gets."""
        if not hasattr(self, "_cells"):
            self._cells = {(p.district, p.phases[0], p.settings[0]): e.id for e in self.editions for p in e.profiles}
        return self.rendered[self._cells[(district, phase, setting)]]

    def oversize(self, limit: int) -> list[Rendered]:
        return [r for r in self.rendered.values() if r.html_bytes > limit]


def sample_personal(edition: Edition) -> dict[str, str]:
    """The personal parts of an edition's browser copy, which is for no reader in particular."""
    subscribe = SiteUrls(edition.site.settings.site.base_url)("subscribe")
    return {
        "greeting": "Hello,",
        "profile": edition.profiles[0].describe() if edition.profiles else "a school",
        "unsubscribe_url": subscribe,
        "preferences_url": subscribe,
    }


def write_copy(out: Path, rendered: Rendered, write: Callable[[Path, str], None] = write_atomic) -> None:
    """An edition's browser copy, HTML and text, where its emails' "View in your browser"
    points: written by the build for every single-phase profile, and by each send for the
    editions it sends (a school of several phases has its own)."""
    path = out / edition_path(rendered.edition.forum.id, rendered.edition.id)
    html, text = rendered.personalise(sample_personal(rendered.edition))
    site = rendered.edition.site
    write(path, public(html, site))  # a public page: officers' addresses as digest.toml says
    write(path.with_suffix(".txt"), public(text, site))


def render_forum(
    site: Site, forum_id: str, as_of: date | None, renderer: Renderer, kept: Kept | None = None
) -> ForumBuild:
    """Every edition of the forum, rendered (or taken from the kept renders)."""
    forum = site.forum(forum_id)
    as_of = as_of or today()
    result = ForumBuild(forum.id, as_of, editions(site, forum, as_of, site.taxonomy.profiles()))
    for edition in result.editions:
        result.rendered[edition.id] = kept.get(edition, renderer.render) if kept else renderer.render(edition)
    return result


class Built(list[ForumBuild]):
    """Each forum's build, as a list, and the search index written beside them."""

    def __init__(self, forums: list[ForumBuild], index: Index, outputs: Outputs) -> None:
        super().__init__(forums)
        self.index, self.outputs = index, outputs


def build(
    site: Site,
    out: Path,
    forum_ids: list[str] | None = None,
    as_of: date | None = None,
    kept: Kept | None = None,
    last: Manifest | None = None,
    content: str = "",
) -> Built:
    """Render every edition first; write only when all are within the size budget.

    Then the site: each edition's browser copy (OUT/<forum>/<edition>.html, and .txt),
    each forum's editions page for organisers, the archive (editions/archive.py) with its
    search index (editions/search.py), and the calendars under OUT/calendar, where the
    emails' links point. Each file is written only when its bytes changed.

    kept: the renders kept from earlier runs (editions/kept.py); last: the last build's
    manifest, whose search index is kept when `content` (manifest.stamp of the content) is
    the same as then and the index file is as that build wrote it. The caller saves the
    new manifest (Built.outputs) once it has printed its report.
    """
    renderer = Renderer(site.settings, kept.templates if kept else None)
    as_of = as_of or today()
    render = site.settings.render
    if kept is not None:
        kept_styles.load(kept.styles)
    try:
        builds = [render_forum(site, fid, as_of, renderer, kept) for fid in (forum_ids or list(site.forums))]
    finally:
        kept_styles.save()
    over = [(b, r) for b in builds for r in b.oversize(render.max_html_bytes)]
    if over:
        limit = render.max_html_bytes
        lines = [f"{b.forum_id}/{r.edition.id}: HTML is {r.html_bytes:,} bytes, over {limit:,}" for b, r in over]
        raise DigestError(
            "\n".join(lines)
            + "\nGmail clips HTML beyond about 102 KB: shorten answers or split the forum; nothing was written"
        )
    if kept is not None:
        kept.save()
    Manifest.forget(out)
    write = Outputs(out)
    try:
        index = write_site(site, out, as_of, renderer, builds, write, last, content)
    finally:
        write.close()
    return Built(builds, index, write)


def write_site(
    site: Site,
    out: Path,
    as_of: date,
    renderer: Renderer,
    builds: list[ForumBuild],
    write: Outputs,
    last: Manifest | None,
    content: str,
) -> Index:
    """Every file of the site but the manifest; returns the search index's figures."""
    render = site.settings.render
    feeds = write_calendars(site, out, write)
    pages = {"site": site.settings.site, "settings": site.settings, "content": site, "taxonomy": site.taxonomy}
    limits = {"limit": render.max_html_bytes, "budget": render.words_budget}
    for b in builds:
        for r in b.rendered.values():
            write_copy(out, r, write)
        index = renderer.env.get_template("build/forum_index.html")
        write(out / b.forum_id / "editions.html", index.render(**pages, **limits, root="../", build=b))
    found = entries(site, as_of, renderer)
    write_archive(site, out, as_of, renderer, feeds, found, write)
    if last is not None and content and last.content == content and same(out, SEARCH_INDEX, last):
        write.keep(out / SEARCH_INDEX)  # the content is the same: so is its index
        index = Index(len(found), (out / SEARCH_INDEX).stat().st_size, None)
    else:
        index = write_index(site, out, found, write)
    overview = renderer.env.get_template("build/index.html")
    write(out / "editions.html", overview.render(**pages, **limits, root="", builds=builds))
    return index


def same(out: Path, name: str, last: Manifest) -> bool:
    """True when OUT/name is as the last build wrote it."""
    try:
        return name in last.outputs and digest_of((out / name).read_bytes()) == last.outputs[name]
    except OSError:
        return False
