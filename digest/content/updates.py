"""Answers that a later one changed: an item's `updates:` names the earlier item whose
answer it changes (a later forum's, or a later item of the same forum's).

The link is written, not guessed: two answers on the same topic may both stand, and
only an organiser knows that the July answer replaces the March one. `digest check`
refuses a link that names no item, a comment, the item itself, or an item that comes
later (forums in date order, items in the order written), so no chain can loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.content.model import Forum, Item
from digest.errors import Problem, suggest

if TYPE_CHECKING:
    from digest.content.load import Site


@dataclass(frozen=True)
class Placed:
    """An item with the forum it was asked at."""

    forum: Forum
    item: Item


def in_order(site: Site) -> list[Placed]:
    """Every item, forums oldest first (by first date), items as written."""
    forums = sorted(site.forums.values(), key=lambda f: (min(f.dates), f.id))
    return [Placed(f, i) for f in forums for i in f.items]


def check_updates(site: Site) -> list[Problem]:
    """Every `updates:` that names no earlier answer, as an error at its line."""
    placed = in_order(site)
    position = {p.item.id: n for n, p in reversed(list(enumerate(placed)))}  # a duplicate id: its first place
    by_id = {p.item.id: p for p in reversed(placed)}
    problems = []
    for n, p in enumerate(placed):
        item = p.item
        if item.updates is None or f"item:{item.id}" not in site.origins:
            continue
        src, path = site.origins[f"item:{item.id}"]
        at = path + ("updates",)
        target = by_id.get(item.updates)
        if item.feedback:
            message, hint = "a comment (kind: feedback) has no answer to update anything with", "remove `updates:`"
        elif target is None:
            message = f"no item '{item.updates}'"
            hint = (
                suggest(item.updates, [q.item.id for q in placed if q.item is not item]) or "name an earlier item's id"
            )
        elif target.item is item:
            message, hint = "an item cannot update itself", "name the earlier item whose answer this one changes"
        elif target.item.feedback:
            message, hint = (
                f"'{item.updates}' is a comment (kind: feedback), with no answer to change",
                "name a question",
            )
        elif position[item.updates] > n:
            file, line = site.where(f"item:{item.updates}")
            message = f"'{item.updates}' comes after this item ({file}:{line}), so it cannot be the earlier answer"
            hint = f"put `updates: {item.id}` on '{item.updates}' instead"
        else:
            continue
        problems.append(src.problem(at, message, hint, value=True))
    return problems


def changes(site: Site) -> tuple[dict[str, Placed], dict[str, list[Placed]]]:
    """(what each updating item updates, the later items that update each earlier one,
    oldest first), by item id; only links `digest check` accepts."""
    placed = in_order(site)
    by_id = {p.item.id: p for p in placed}
    position = {p.item.id: n for n, p in enumerate(placed)}
    earlier: dict[str, Placed] = {}
    later: dict[str, list[Placed]] = {}
    for p in placed:
        target = by_id.get(p.item.updates or "")
        if (
            target
            and not p.item.feedback
            and not target.item.feedback
            and position[target.item.id] < position[p.item.id]
        ):
            earlier[p.item.id] = target
            later.setdefault(target.item.id, []).append(p)
    return earlier, later
