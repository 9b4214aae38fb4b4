"""The example content sends no reader an answer that the forum documents say is not for them.

Each table row is an item id with the document's own words. Medway is the one district
outside Kent whose schools take part; "independent" is a setting.
"""

from __future__ import annotations

import pytest
from support import REPO

from digest.content.audience import Profile
from digest.content.load import Site, load_site
from digest.settings import load_settings

MEDWAY, INDEPENDENT = "Medway", "independent"
BOTH = frozenset({MEDWAY, INDEPENDENT})

# Items not open to Medway schools and/or to independent schools.
NOT_OPEN_TO: dict[str, frozenset[str]] = {
    # July 2025, Inclusion Champions: "This offer is not open to Medway schools";
    # "Is this open to independent schools?" "No, it is not open to independent schools".
    "ic-expression-of-interest": BOTH,
    "ic-how-to-apply": BOTH,
    # July 2025, Next Phase of Improvement (the Communities of Schools model): "This is only
    # available to Kent schools"; "This model does not include independent schools ...
    # Independent schools will not be able to access any funding via the CoS model".
    "npi-funding-mapping-criteria": BOTH,
    "npi-year-r-funding-decisions-late": BOTH,  # Year R funding: "this model gives schools information much earlier"
    "npi-reception-ehcna-funding-route": BOTH,
    "npi-cos-form-per-school": BOTH,
    "npi-new-ehcp-funding-next-year": BOTH,
    "npi-parent-communication-document": BOTH,
    "npi-stop-directing-requests-to-cos": BOTH,
    # July 2025, Phase Transfer, answered "Discussion for funding and community of schools":
    # the CoS model above, "only available to Kent schools", "Independent schools will not
    # be able to access any funding via the CoS model".
    "pt-funding-new-arrival-no-prior-support": BOTH,
    "pt-funding-follow-child-no-ehcp": BOTH,
    # July 2025, Phase Transfer, Year R funding ("Funding for children in Year R is being
    # distributed based on Specific Allocation Funding descriptors"): the same model.
    "pt-eyfs-complex-needs-funding": BOTH,
    "pt-year-r-ehcna-in-progress-funding": BOTH,
    # July 2025, The Balanced System: "Currently the Balanced System is only operational
    # within Kent (though is planned to eventually roll out in Medway ...)".
    "bs-account-and-sharing-evaluations": frozenset({MEDWAY}),
    "bs-swale-salt-ot-access": frozenset({MEDWAY}),  # and for Swale only: "the offer for Swale"
    "bs-guidance-and-good-practice": frozenset({MEDWAY}),
    "bs-stls-communication-interaction": frozenset({MEDWAY}),
    "bs-accreditation-discount": frozenset({MEDWAY}),  # "Kent schools already have a discount"
    "bs-link-therapist-contact-and-records": frozenset({MEDWAY}),
    "bs-social-media-information": frozenset({MEDWAY}),
    "bs-school-website-information": frozenset({MEDWAY}),
    "bs-pins-school-charges": frozenset({MEDWAY}),
    "bs-annual-check-in-missed": frozenset({MEDWAY}),
    # March 2024, "The Balanced System – Successes and Planned Rollout Across Kent": "When
    # will this be rolled out to the rest of the county?"
    "bs-rollout-rest-of-county": frozenset({MEDWAY}),
    "bs-baseline-evaluation-questions": frozenset({MEDWAY}),
    # March 2024: the SEN Inclusion Advisers, a KCC service with one adviser per Kent district,
    # and their surgeries for SENCOs ("We are introducing SEN IA Surgeries for SENCOs ...").
    "senia-hard-to-contact": frozenset({MEDWAY}),
    "senia-capacity-for-meetings": frozenset({MEDWAY}),
    "senia-how-to-contact": frozenset({MEDWAY}),
}

# The answers that concern exactly the readers an offer leaves out.
MEDWAY_ONLY = {
    "ic-medway-schools",  # "I am based in Medway" -> "This offer is not open to Medway schools"
    "npi-medway-schools-included",  # "schools that are not in Kent ..., i.e. Medway" -> "only available to Kent schools"
    "bs-medway-schools-kent-pupils",  # "How can schools that are not in Kent (i.e. Medway) access this ...?"
    "pt-out-of-county-schools",  # "Out of Local Authority areas such as Medway" -> "OOC schools have a separate process"
}
INDEPENDENT_ONLY = {
    "ic-independent-schools",  # "Is this open to independent schools?" "No"
    "npi-independent-schools-lift",  # "How will independent schools be included ...?" "This model does not include ..."
}

YEAR_R = frozenset({"early years", "primary"})  # Year R (Reception), the last year of the EYFS, in primary schools
PHASE_CONFINED: dict[str, frozenset[str]] = {
    # "Primary School Teachers" (2 May 2024) and "Secondary School Teachers" (25 June 2024)
    "mcs-training-registration-links": frozenset({"primary", "secondary"}),
    "pt-ks1-to-ks2-outcomes": frozenset({"primary"}),  # "moving from infant to Junior setting"
    "pt-year5-annual-review-term1": frozenset({"primary"}),  # "the Yr 5 AR"
    "pt-11-plus-with-ehcp": frozenset({"primary", "secondary"}),  # "name a grammar preference"
    "loc-secondary-choices-for-ehcp-parents": frozenset({"primary", "secondary"}),  # "one choice of secondary school"
    "pt-eyfs-complex-needs-funding": YEAR_R,  # "Funding for children in Year R"
    "pt-year-r-deferred-entry-ehcp": YEAR_R,  # "children coming into Year R"
    "pt-year-r-ehcna-in-progress-funding": YEAR_R,  # "Children who are coming into Year R"
    "pt-reception-ehcna-in-progress": YEAR_R,  # "going into Reception"
    "npi-year-r-funding-decisions-late": YEAR_R,  # "Decision re Year R funding"
    "npi-reception-ehcna-funding-route": YEAR_R,  # "Children entering Year R"
}


@pytest.fixture(scope="module")
def site() -> Site:
    site = load_site(load_settings(REPO))
    assert [str(p) for p in site.problems.errors] == []
    return site


@pytest.fixture(scope="module")
def profiles(site: Site) -> list[Profile]:
    return list(site.taxonomy.profiles())


def sent_items(site: Site) -> set[str]:
    """The id of every item a reader can be sent (feedback never is)."""
    return {i.id for f in site.forums.values() for i in f.items if not i.feedback}


def test_the_tables_name_items_that_exist(site: Site) -> None:
    items = sent_items(site)
    for table in (NOT_OPEN_TO, MEDWAY_ONLY, INDEPENDENT_ONLY, PHASE_CONFINED):
        assert set(table) <= items, set(table) - items


@pytest.mark.parametrize("item_id", sorted(NOT_OPEN_TO))
def test_no_excluded_school_gets_an_item_not_open_to_it(site: Site, profiles: list[Profile], item_id: str) -> None:
    rule = site.rule("item", item_id)
    excluded = NOT_OPEN_TO[item_id]
    for p in profiles:
        if p.district == MEDWAY and MEDWAY in excluded:
            assert not rule.matches(p), f"{item_id} reaches {p.describe()}"
        if INDEPENDENT in p.settings and INDEPENDENT in excluded:
            assert not rule.matches(p), f"{item_id} reaches {p.describe()}"
    # ... and it still reaches the Kent schools it is for
    assert any(rule.matches(p) for p in profiles if p.district != MEDWAY and INDEPENDENT not in p.settings), item_id


def test_exactly_the_table_is_kept_from_medway_and_from_independent_schools(
    site: Site, profiles: list[Profile]
) -> None:
    """Nothing else is withheld: an item the documents do not confine still reaches them."""
    for who, readers in (
        (MEDWAY, [p for p in profiles if p.district == MEDWAY]),
        (INDEPENDENT, [p for p in profiles if INDEPENDENT in p.settings]),
    ):
        withheld = {i for i in sent_items(site) if not any(site.rule("item", i).matches(p) for p in readers)}
        assert withheld == {i for i, ex in NOT_OPEN_TO.items() if who in ex}, who


@pytest.mark.parametrize("item_id", sorted(MEDWAY_ONLY))
def test_the_medway_questions_reach_medway_schools_only(site: Site, profiles: list[Profile], item_id: str) -> None:
    rule = site.rule("item", item_id)
    for p in profiles:
        assert rule.matches(p) == (p.district == MEDWAY), f"{item_id}: {p.describe()}"


@pytest.mark.parametrize("item_id", sorted(INDEPENDENT_ONLY))
def test_the_independent_questions_reach_independent_schools_only(
    site: Site, profiles: list[Profile], item_id: str
) -> None:
    rule = site.rule("item", item_id)
    for p in profiles:
        assert rule.matches(p) == (INDEPENDENT in p.settings), f"{item_id}: {p.describe()}"


@pytest.mark.parametrize("item_id", sorted(PHASE_CONFINED))
def test_phase_confined_items_reach_only_their_phases(site: Site, profiles: list[Profile], item_id: str) -> None:
    rule = site.rule("item", item_id)
    phases = PHASE_CONFINED[item_id]
    reached = {p.phases[0] for p in profiles if rule.matches(p)}
    assert reached == phases, item_id
    # a school of several phases gets it when one of them is the item's
    other = next(ph for ph in site.taxonomy.phases if ph not in phases)
    for phase in phases:
        assert rule.matches(site.taxonomy.profile("Dover", [phase, other], "mainstream")), (item_id, phase)


def test_the_rest_of_the_march_and_july_items_reach_every_reader(site: Site, profiles: list[Profile]) -> None:
    """About 85 % of the items truly apply to everyone: confining is the exception."""
    items = sent_items(site)
    everyone = {i for i in items if all(site.rule("item", i).matches(p) for p in profiles)}
    confined = set(NOT_OPEN_TO) | MEDWAY_ONLY | INDEPENDENT_ONLY | set(PHASE_CONFINED)
    assert everyone == items - confined
