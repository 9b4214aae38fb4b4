"""`digest check` warns on a "contact" a reader cannot act on, and on a headline or summary
that says more than its answer (digest.content.routes, digest.content.claims)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli.main import cli
from digest.content import claims
from digest.content.checks import run_checks
from digest.content.load import load_site
from digest.content.model import Item
from digest.settings import load_settings

FORUM = "content/forums/2025-07-test.yaml"
OOC = "      - id: pt-medway\n        question: How does this work for out of authority areas such as Medway?\n"


def warnings(site_dir: Path) -> list[str]:
    site = run_checks(load_site(load_settings(site_dir)))
    assert site.problems.errors == []
    return [str(p) for p in site.problems.warnings]


def with_item(site_dir: Path, lines: str) -> None:
    """Put an item (its lines after `question:`) in place of the fixture's pt-medway."""
    path = site_dir / FORUM
    text = path.read_text()
    start = text.index(OOC)
    end = text.index("      - id: pt-summer")
    path.write_text(text[:start] + OOC + lines + text[end:])


# -- contacts with no way to reach them --------------------------------------------------------
def test_contact_the_widget_team_with_no_route_warns(site_dir: Path) -> None:
    with_item(site_dir, "        answer: Please contact the Widget team.\n        topics: [Phase transfer]\n")
    assert warnings(site_dir) == [
        f"{FORUM}:17:9: warning: sections[0].items[1].answer: the answer says 'Please contact' but gives no"
        " address, phone number or page (add the route the document gives (an address, a `links:` entry, or"
        " `answered_by:` a contact with `email:`); if the document gives none, leave it and say so to the organisers)"
    ]
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 0  # a warning, not an error
    assert "the answer says 'Please contact' but gives no address" in result.output


@pytest.mark.parametrize(
    "answer",
    [
        "Contact the Widget team.",
        "You can email the Widget team about it.",
        "Schools should ring the Widget team.",
        "This would be best spoken through with their casework officer.",
        "Thank you. Please do email me with any questions.",
        "Parents can speak to the Widget team.",
    ],
)
def test_each_way_of_telling_readers_to_get_in_touch_is_found(site_dir: Path, answer: str) -> None:
    with_item(site_dir, f"        answer: {answer}\n        topics: [Phase transfer]\n")
    assert [w for w in warnings(site_dir) if "gives no address" in w]


@pytest.mark.parametrize(
    "lines",
    [
        "        answer: Contact the Widget team at widgets@example.org.\n",
        "        answer: Contact the Widget team on 03000 412345.\n",
        "        answer: Contact the [Widget team](https://example.org/widgets).\n",
        "        answer: Contact the Widget team.\n        links:\n          - {title: Widget team, url: 'mailto:w@example.org'}\n",
        "        answer: Contact the SEN Data Coordination team.\n        answered_by: sen-data\n",  # its contact has an address
        "        answer: The team are asked to call parents and schools every week.\n",  # not told to the reader
        "        answer: Phone calls are answered within a week.\n        status: pending\n",
    ],
)
def test_a_route_or_no_instruction_gives_no_warning(site_dir: Path, lines: str) -> None:
    with_item(site_dir, lines + "        topics: [Phase transfer]\n")
    assert [w for w in warnings(site_dir) if "gives no address" in w] == []


def test_a_contact_without_a_route_is_named_in_the_warning(site_dir: Path) -> None:
    contacts = site_dir / "content" / "contacts.yaml"
    contacts.write_text(contacts.read_text() + "  - id: widgets\n    name: Widget team\n")
    with_item(
        site_dir,
        "        answer: Contact the Widget team.\n        answered_by: widgets\n        topics: [Phase transfer]\n",
    )
    (found,) = [w for w in warnings(site_dir) if "gives no address" in w]
    assert "contact 'widgets' has no email, url or phone either" in found


# -- headlines and summaries that say more than their answer ---------------------------------------
def test_a_summary_with_a_date_its_answer_lacks_warns(site_dir: Path) -> None:
    with_item(
        site_dir,
        "        answer: The new contract begins in the autumn.\n"
        "        summary: The new contract begins on 27 October 2025.\n"
        "        topics: [Phase transfer]\n",
    )
    assert warnings(site_dir) == [
        f"{FORUM}:18:9: warning: sections[0].items[1].summary: summary holds the number '27', the number '2025',"
        " the date 'October', which its answer does not (keep the summary to what the answer says (or put it in"
        " the answer, if the document says it))"
    ]


def test_a_headline_with_a_negation_its_answer_lacks_warns(site_dir: Path) -> None:
    with_item(
        site_dir,
        "        headline: 'Widgets: not for Medway schools'\n"
        "        answer: This is only available to Kent schools.\n"
        "        topics: [Phase transfer]\n",
    )
    (found,) = warnings(site_dir)
    assert "sections[0].items[1].headline: headline holds the negation 'not', which its answer does not" in found


def item(**fields: object) -> Item:
    return Item(id="x", question=fields.pop("question", "What happens?"), **fields)


@pytest.mark.parametrize(
    ("answer", "summary", "extra"),
    [
        ("Funding is known for 2025/2026.", "Funding for 2025/26 is set.", []),  # the same academic year
        ("Funding is known for 2025/2026.", "Funding for 2026/27 is set.", ["2027"]),
        ("They processed over 14,000 appeals.", "Over 14000 appeals.", []),
        ("We advise six months.", "Wait 6 months.", []),
        ("Email SLCN@kent.gov.uk.", "Email slcn@kent.gov.uk.", []),
        ("Email SLCN@kent.gov.uk.", "Email the SLCN team at other@kent.gov.uk.", ["other@kent.gov.uk"]),
        ("See https://www.kelsi.org.uk/.", "It is on www.kelsi.org.uk.", []),
        ("It is on KELSI.", "It is on https://www.kelsi.org.uk.", ["https://www.kelsi.org.uk"]),
        ("Yes.", "Yes, you may.", []),  # "may" the verb
        ("By the end of Term 6.", "By 18 July.", ["18", "July"]),
        ("The team will look at it.", "No limit is given yet.", ["no"]),
        ("Thank you for your feedback.", "Thank you: 'no amends' letters are being reviewed.", []),  # a quoted term
    ],
)
def test_what_a_summary_adds(answer: str, summary: str, extra: list[str]) -> None:
    found = dict(claims.added(item(answer=answer, summary=summary)))
    assert [c.shown for c in found.get("summary", [])] == extra


def test_a_headline_may_name_its_section_and_a_question_headline_its_question() -> None:
    it = item(question="Is Appendix 2 not digitised?", answer="It is being reviewed.", headline="Appendix 2: news")
    assert claims.added(it, labels="Appendix 2 consultation") == []
    assert claims.added(it) != []
    asks = item(question="Has the parent not received it?", answer="Contact us.", headline="Not received?")
    assert claims.added(asks) == []
    says = item(question="Has the parent not received it?", answer="Contact us.", headline="Not received")
    assert [c.shown for _, found in claims.added(says) for c in found] == ["not"]


def test_a_headline_made_from_a_statement_in_the_question_is_checked_too(site_dir: Path) -> None:
    """With no `headline:`, readers see the question's first sentence: a claim the questioner
    made ("by 18 July") must not read as the answer's."""
    path = site_dir / FORUM
    path.write_text(
        path.read_text().replace(
            "question: How does this work for out of authority areas such as Medway?",
            "question: We were told to finish by 18 July. Is that right for Medway schools too",
        )
    )
    (found,) = warnings(site_dir)
    assert (
        "sections[0].items[1].question: no headline, and the one made from the question holds the date 'July',"
        " which its answer does not (add `headline:` that keeps to what the answer says)"
    ) in found
