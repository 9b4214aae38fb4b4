"""Rendering on every core (issue 24): the pool's editions are exactly those one process
renders, a send's plan gives the same messages with or without it, and it works from a
thread (its workers are spawned, never forked)."""

from __future__ import annotations

import threading

import pytest
from support import REPO

from digest.content.load import load_or_fail
from digest.delivery import pool
from digest.delivery.compose import Plan
from digest.editions.render import Renderer
from digest.editions.select import day_after, editions
from digest.settings import load_settings


@pytest.fixture(scope="module")
def site():
    return load_or_fail(load_settings(REPO))


def every_edition(site) -> list:
    return [e for f in site.forums.values() for e in editions(site, f, day_after(f), site.taxonomy.profiles())]


def test_the_pool_renders_what_one_process_renders(site) -> None:
    wanted = every_edition(site)
    assert len(wanted) >= pool.MIN_EDITIONS and pool.cores() >= 2
    found: dict = {}
    worker = threading.Thread(target=lambda: found.update(pool.render(site.settings, site, wanted)))
    worker.start()  # from a thread, as the scheduler and the preview call it
    worker.join(120)  # only stops a test that would hang
    assert not worker.is_alive()
    assert set(found) == {e.key for e in wanted}
    renderer = Renderer(site.settings)
    for edition in wanted:
        mine, theirs = renderer.render(edition), found[edition.key]
        assert theirs.edition is edition
        assert (theirs.subject, theirs.html, theirs.text, theirs.body) == (
            mine.subject,
            mine.html,
            mine.text,
            mine.body,
        )


def test_a_few_editions_are_rendered_in_the_process_itself(site) -> None:
    assert pool.render(site.settings, site, every_edition(site)[: pool.MIN_EDITIONS - 1]) == {}


def test_a_plan_prepares_the_same_messages_with_the_pool_as_without(site, monkeypatch: pytest.MonkeyPatch) -> None:
    forum = site.forum("2025-07-term6")
    profiles = list(site.taxonomy.profiles())

    def templates() -> dict:
        plan = Plan(site.settings, site, forum, day_after(forum), "test-key")
        plan.add(profiles)
        # the parts after the headers (the head holds the plan's own Date)
        return {p.edition.key: (p.rendered.html, p.rendered.text, p.template.items) for p in plan.prepared}

    pooled = templates()
    assert len(editions(site, forum, day_after(forum), profiles)) >= pool.MIN_EDITIONS  # so the pool was used
    monkeypatch.setattr(pool, "MIN_EDITIONS", 10**6)
    alone = templates()
    assert len(pooled) >= 24  # every edition of July
    assert pooled == alone
