"""Rendering on every core (issue 24): the pool's editions are exactly those one process
renders, a send's plan gives the same messages with or without it, and it works from a
thread (its workers are spawned, never forked)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from support import REPO

from digest.content.load import load_or_fail
from digest.delivery import pool
from digest.delivery.compose import Personaliser, Plan
from digest.delivery.template import template_for
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


def test_a_few_editions_do_not_start_the_pool(site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_pool", None)
    assert pool.render(site.settings, site, every_edition(site)[: pool.MIN_EDITIONS - 1]) == {}
    assert pool._pool is None


def test_once_the_pool_runs_a_few_editions_go_to_it(site) -> None:
    assert pool.start(site.settings) is not None
    few = every_edition(site)[: pool.MIN_WARM]
    found = pool.render(site.settings, site, few)
    assert set(found) == {e.key for e in few}
    assert pool.render(site.settings, site, few[: pool.MIN_WARM - 1]) == {}


def prepared_messages(site, monkeypatch: pytest.MonkeyPatch | None = None, plan_class=Plan) -> dict:
    """Every July edition's whole message for one reader, its snapshot and its rendered parts,
    from a plan with the given class (the pool as it is, or off with monkeypatch)."""
    if monkeypatch is not None:
        monkeypatch.setattr(pool, "MIN_EDITIONS", 10**6)
        monkeypatch.setattr(pool, "MIN_WARM", 10**6)
    forum = site.forum("2025-07-term6")
    plan = plan_class(site.settings, site, forum, day_after(forum), "test-key")
    plan.date = datetime(2025, 7, 20, 6, 30, tzinfo=UTC)  # the Date header, the same for both plans
    plan.add(list(site.taxonomy.profiles()))
    person = Personaliser(site.settings, "test-key")
    return {
        p.edition.key: (
            person.message(p.template, 7, "reader@example.org", "Zoë Brontë-Smith", "a primary school in Dover"),
            p.snapshot,
            p.rendered.subject,
            p.rendered.html,
            p.rendered.text,
            p.rendered.body,
        )
        for p in plan.prepared
    }


def test_a_plan_prepares_the_same_bytes_with_the_pool_as_without(site, monkeypatch: pytest.MonkeyPatch) -> None:
    forum = site.forum("2025-07-term6")
    assert len(editions(site, forum, day_after(forum), site.taxonomy.profiles())) >= pool.MIN_EDITIONS
    calls: list[int] = []
    prepare = pool.prepare
    monkeypatch.setattr(pool, "prepare", lambda *a: calls.append(len(a[2])) or prepare(*a))
    pooled = prepared_messages(site)
    assert calls and sum(calls) == len(pooled) >= 24  # every edition of July, by the pool
    alone = prepared_messages(site, monkeypatch)
    assert len(calls) == 1  # not used the second time
    assert pooled == alone
    assert all(snapshot is not None for _, snapshot, *_ in pooled.values())


def test_a_plan_with_its_own_renderer_renders_in_its_own_process(site) -> None:
    """A renderer of its own (e.g. a schedule's subject) is not what the workers have: the
    plan renders those editions itself."""

    class Own(Renderer):
        def render(self, edition, subject=None):
            return super().render(edition, subject or "Our own subject")

    class OwnPlan(Plan):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            self.renderer = Own(self.settings)

    assert pool.start(site.settings) is not None
    found = prepared_messages(site, plan_class=OwnPlan)
    assert len(found) >= pool.MIN_EDITIONS
    assert {subject for _, _, subject, *_ in found.values()} == {"Our own subject"}


def test_a_dead_worker_leaves_the_plan_to_prepare_every_edition_itself(site, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as off:
        alone = prepared_messages(site, off)
    workers = pool.start(site.settings)
    assert workers is not None
    for process in list(workers._processes.values()):
        process.kill()  # as the kernel's OOM killer would
        process.join(60)
    assert prepared_messages(site) == alone  # every edition, once each, as one process makes them
    assert pool._pool is not workers  # the broken pool is left; the next large send starts another
    assert prepared_messages(site) == alone


def test_two_threads_share_the_pool_and_each_gets_its_own_editions(site) -> None:
    """The scheduler and the preview may prepare at the same time: each call gets exactly
    its own editions, as one process makes them."""
    assert pool.start(site.settings) is not None
    when = datetime(2025, 7, 20, 6, 30, tzinfo=UTC)
    wanted = {f.id: editions(site, f, day_after(f), site.taxonomy.profiles()) for f in site.forums.values()}
    found: dict = {}

    def prepare(forum_id: str) -> None:
        found[forum_id] = pool.prepare(site.settings, site, wanted[forum_id], "test-key", "", when)

    threads = [threading.Thread(target=prepare, args=(forum_id,)) for forum_id in wanted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)  # only stops a test that would hang
    assert not any(thread.is_alive() for thread in threads)
    renderer = Renderer(site.settings)
    for forum_id, mine in wanted.items():
        assert set(found[forum_id]) == {e.key for e in mine}
        for edition in mine:
            rendered, template, _ = found[forum_id][edition.key]
            assert rendered.edition is edition
            assert rendered.html == renderer.render(edition).html
            assert template.items == template_for(site.settings, rendered, "test-key", "", when).items
