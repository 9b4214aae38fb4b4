"""A school as it is: several settings, as for phases (issue 20). Audiences select on any of
them, and the footer says what the school is in plain words."""

from __future__ import annotations

import pytest
from support import REPO

from digest.content.audience import Profile, Rule
from digest.content.load import load_or_fail
from digest.editions.select import editions
from digest.settings import load_settings

ALL = ("early years", "primary", "secondary", "post-16")
INDEPENDENT_SPECIAL = Profile("Dover", ("primary", "secondary"), ("special", "independent"))


def test_an_audience_selects_on_any_of_a_schools_settings() -> None:
    assert Rule(settings=frozenset({"special"})).matches(INDEPENDENT_SPECIAL)  # "special schools" includes it
    assert not Rule(not_settings=frozenset({"independent"})).matches(INDEPENDENT_SPECIAL)  # "not independent"
    assert not Rule(settings=frozenset({"mainstream"})).matches(INDEPENDENT_SPECIAL)
    assert Rule(settings=frozenset({"special"}), not_settings=frozenset({"mainstream"})).matches(INDEPENDENT_SPECIAL)


def test_a_single_setting_given_as_a_string_is_the_same_profile() -> None:
    assert Profile("Swale", ("primary",), "mainstream") == Profile("Swale", ("primary",), ("mainstream",))
    assert Profile("Swale", ("primary",), "mainstream").key == "swale-primary-mainstream"  # as before issue 20


@pytest.mark.parametrize(
    ("profile", "words"),
    [
        (Profile("Swale", ("primary",), "mainstream"), "a primary mainstream school in Swale"),
        (INDEPENDENT_SPECIAL, "a primary and secondary independent special school in Dover"),
        (Profile("Thanet", ALL, "special"), "an all-age special school in Thanet"),
        (
            Profile("Medway", ("early years", "primary", "secondary"), "mainstream"),
            "an all-age mainstream school in Medway",
        ),
    ],
)
def test_the_footer_says_what_the_school_is_in_plain_words(profile: Profile, words: str) -> None:
    assert profile.describe() == words


def test_an_independent_special_school_gets_none_of_the_kent_only_funding() -> None:
    site = load_or_fail(load_settings(REPO))
    forum = site.forum("2025-07-term6")
    kent_only = [i.id for i in forum.items if not i.feedback and "independent" in site.rule("item", i.id).not_settings]
    assert kent_only  # the Communities of Schools funding items
    [edition] = editions(site, forum, max(forum.dates), [Profile("Dover", ALL, ("special", "independent"))])
    got = {i.id for i in edition.items}
    assert got.isdisjoint(kent_only)
    [special] = editions(site, forum, max(forum.dates), [Profile("Dover", ALL, "special")])
    assert set(kent_only) <= {i.id for i in special.items}  # a maintained special school gets them


def test_an_all_age_special_schools_email_does_not_open_with_items_for_one_phase() -> None:
    """Issue 20: it opened with six Year R funding items. Items narrowed by phase alone to a
    part of an all-age school go under their topic; a primary school still has them first."""
    from datetime import date

    from digest.editions.render import Renderer
    from digest.editions.select import select

    site = load_or_fail(load_settings(REPO))
    forum = site.forum("2025-07-term6")
    renderer = Renderer(site.settings)
    all_age = select(site, forum, date(2025, 7, 11), Profile("Thanet", ALL, "special"))
    primary = select(site, forum, date(2025, 7, 11), Profile("Thanet", ("primary",), "special"))
    year_r = "pt-eyfs-complex-needs-funding"
    assert year_r in {i.id for i in all_age.items} and year_r in all_age.apart
    assert year_r not in {i.id for i in all_age.parts.for_your_school}
    assert year_r in {i.id for i in primary.parts.for_your_school} and not primary.apart
    text = renderer.render(all_age).text
    assert "Year R funding: schools are told their amounts" in text.split("EVERYTHING ELSE")[1]
    assert ("apart", all_age.apart) in all_age.selection  # readers grouped by it too: rendered apart
