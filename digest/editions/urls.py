"""Where things are on the built site: the archive, each forum's full Q&A with an anchor
per item, a page per topic, the search page, each edition's browser copy, the contacts
and the calendars.

Emails link with absolute URLs under `site.base_url`; the site's own pages link with
`relative` paths, so the archive also opens from the build folder on disk.
"""

from __future__ import annotations

from digest.content.model import slug


class SiteUrls:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def __call__(self, path: str) -> str:
        """The absolute URL of a site path ('' is the home page)."""
        return f"{self.base}/{path}"

    @property
    def home(self) -> str:
        return self("")

    @property
    def contacts(self) -> str:
        return self(CONTACTS)

    @property
    def search(self) -> str:
        return self(SEARCH)

    def forum(self, forum_id: str) -> str:
        return self(f"{forum_id}/")

    def item(self, forum_id: str, item_id: str) -> str:
        return self(f"{forum_id}/#{item_id}")

    def edition(self, forum_id: str, edition_id: str) -> str:
        return self(edition_path(forum_id, edition_id))


CONTACTS = "contacts.html"
SEARCH = "search.html"
SEARCH_INDEX = "search/index.json"  # every item, for the search page: editions/search.py writes it


def forum_page(forum_id: str) -> str:
    return f"{forum_id}/index.html"


def edition_path(forum_id: str, edition_id: str) -> str:
    return f"{forum_id}/{edition_id}.html"


def topic_page(topic: str) -> str:
    return f"topics/{slug(topic)}.html"
