"""The import's rules one at a time, on small documents written here: rows a page break
cut, pending answers, feedback, personal data, audience suggestions, Word runs and
lists, and YAML that reads back as what was meant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support.seed_docx import add_inline

from digest.content.load import load_taxonomy
from digest.importer import classify, emit, privacy
from digest.importer.draft import build, finish
from digest.importer.parse import find_dates, heading, parse
from digest.importer.source import Para, Table, read, read_text
from digest.settings import load_settings


@pytest.fixture(scope="module")
def tax(tmp_path_factory: pytest.TempPathFactory):
    from support import REPO

    return load_taxonomy(load_settings(REPO))


def table(*rows: str) -> str:
    return "Topic\n\nQuestion/comment\tResponse\n" + "\n".join(rows) + "\n"


def items(text: str) -> list[tuple[str, str]]:
    doc = parse(read_text(text))
    return [(i.question, "\n\n".join(i.answer)) for s in doc.sections for i in s.items]


# -- rows a page break cut --------------------------------------------------------------------
def test_a_question_cut_by_a_page_break_is_joined() -> None:
    assert items(table("Will the holidays count for an\tAssessment team to support", "EHCP over the summer?\t")) == [
        ("Will the holidays count for an EHCP over the summer?", "Assessment team to support")
    ]


def test_an_answer_cut_by_a_page_break_is_joined() -> None:
    assert items(table("Is it due?\tWe are asking by the end of Term 6 as packs are", "\tprepared in August.")) == [
        ("Is it due?", "We are asking by the end of Term 6 as packs are prepared in August.")
    ]
    assert items(table("Is it due?\t<p>Yes.</p>", "\t<p>More to follow.</p>")) == [
        ("Is it due?", "Yes.\n\nMore to follow.")
    ]


def test_both_cells_cut_and_a_lower_case_start_are_joined() -> None:
    assert items(table("Where is the info? You\tThis was sent with the", "said 'it was sent'?!\tslides.")) == [
        ("Where is the info? You said 'it was sent'?!", "This was sent with the slides.")
    ]


def test_if_so_continues_the_question_above() -> None:
    assert items(table("Could I apply?\tYes", "If so could I have details of how to apply\t")) == [
        ("Could I apply? If so could I have details of how to apply", "Yes")
    ]


def test_a_new_question_with_its_own_answer_is_not_joined() -> None:
    rows = items(table("If we have term 6 review can we use it\tYes", "Where do we record it?\tIn the form."))
    assert len(rows) == 2


def test_one_column_tables_hold_comments() -> None:
    doc = parse(
        read_text("Other\n\nQuestion/Comment\nThank you, very interesting\nIt is hard to find but\nwithout the terms\n")
    )
    assert [(i.question, i.comment_only) for i in doc.sections[0].items] == [
        ("Thank you, very interesting", True),
        ("It is hard to find but without the terms", True),
    ]


def test_leftover_html_and_running_headers_are_dropped() -> None:
    text = "Title 1 May 2025\n\n**HEADER**\n\nTopic\n\n- Why?\n - o **Because.**\n\n**HEADER**\n\n- When?\n - **Now.**\n\n**HEADER**\n"
    doc = parse(read_text(text))
    assert [(s.title, [(i.question, i.answer) for i in s.items]) for s in doc.sections] == [
        ("Topic", [("Why?", ["Because."]), ("When?", ["Now."])])
    ]
    assert items(table("<p>Why?</p>\t<p>Because &amp; so.</p> <p>Also.</p>")) == [("Why?", "Because & so.\n\nAlso.")]


def test_headings_dates_and_presenters() -> None:
    assert heading("Tribunals- What does it involve (Jo Bloggs- Manager, KCC)") == (
        "Tribunals – What does it involve",
        "Jo Bloggs, Manager, KCC",
    )
    assert heading("Annual Reviews (SLCN)") == ("Annual Reviews (SLCN)", None)
    assert find_dates("sessions on the 20th and the 21st March 2024")[0][1].day == 21
    assert [d.day for d in find_dates("Forum July 2nd & 10th 2025")[0]] == [2, 10]
    assert find_dates("no date here") == ([], "")


# -- pending and feedback ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "pending"),
    [
        ("", True),
        ("Assessment team to support", True),
        ("For assessment team to support.", True),
        ("SEN Data team to look into this", True),
        ("Discussion for funding and community of schools", True),
        ("I will look into this and feedback in due course.", True),
        ("We will come back to you on this.", True),
        ("This will be addressed in a future forum.", True),
        ("Answer to follow", True),
        ("TBC", True),
        ("Yes", False),
        ("The team are being reminded to send the decision outcome to witnesses.", False),
        ("We will address this question in a follow up forum. There are many reasons for this.", True),
        ("Assessment team to support. Parents can also contact IASK.", False),
        ("We will address this at a future forum. Meanwhile see https://www.kent.gov.uk/send.", False),
    ],
)
def test_pending_answers(answer: str, pending: bool) -> None:
    assert (classify.pending_reason(answer) is not None) is pending


@pytest.mark.parametrize(
    ("comment", "answer", "feedback", "pending"),
    [
        ("Thank you, very interesting", "", True, False),
        ("Keep doing what you are doing as I find these sessions so useful.", "", True, False),
        ("Not at this time. Just really pleased that they are continuing.", "", True, False),
        ("Please send out all the links in the chat.", "", True, True),  # a request about the forum
        ("It is so difficult to find information on Kelsi.", "", True, True),  # a concern, unanswered
        ("I have shared the link with my staff - thank you.", "You're welcome!", True, False),
        ("Will STLS be involved with future training? Feeling very external.", "", False, True),
        ("I would like some information with regard to 'This is Me'. Many thanks,", "", False, True),
        ("Can we have a definitive answer on this please.", "", False, True),
        ("Cannot praise it enough, please circulate it.", "Thank you! Please contact SLCN@kent.gov.uk.", False, False),
        ("Thank you for the updates.", "The next forum is on 3 March at 3pm in Maidstone, online too.", False, False),
    ],
)
def test_feedback_is_a_comment_that_asks_nothing(comment: str, answer: str, feedback: bool, pending: bool) -> None:
    draft = build(parse(read_text(table(f"{comment}\t{answer}"))), None, "2025-07-x", set())
    assert [(i.kind == "feedback", i.status == "pending") for i in draft.items] == [(feedback, pending)]


# -- personal data ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected", "removed"),
    [
        (
            "I would be interested so please pass on my name Jo Bloggs jo.bloggs@hill-school.org.uk",
            "I would be interested so please pass on my name [name and email removed]",
            [("email", "jo.bloggs@hill-school.org.uk"), ("name", "Jo Bloggs")],
        ),
        (
            "Please advise - Ref: Hill Top Primary School, SENCO, Sam Smith-Jones. Thank you.",
            "Please advise [school and name removed]. Thank you.",
            [("school", "Hill Top Primary School"), ("name", "Sam Smith-Jones")],
        ),
        (
            "I had a meeting with Ann Lee and Kit Le Roux yesterday.",
            "I had a meeting with [name removed] yesterday.",
            [("name", "Ann Lee"), ("name", "Kit Le Roux")],
        ),
        (
            "We are at Oak Tree Academy and need help.",
            "We are at [school removed] and need help.",
            [("school", "Oak Tree Academy")],
        ),
        ("Is SENDataCoordination@kent.gov.uk still right?", "Is SENDataCoordination@kent.gov.uk still right?", []),
        ("By naming a Grammar School preference, from Kent County Council", None, []),
        ("Thanks Amanda, it was great.", None, []),
    ],
)
def test_questioners_personal_data_is_removed(question: str, expected: str | None, removed: list) -> None:
    text, found = privacy.scrub_question(question)
    assert text == (expected or question)
    assert [(r.kind, r.text) for r in found] == removed


def test_a_removed_name_or_school_is_removed_wherever_it_is_repeated() -> None:
    _, found = privacy.scrub_question("Ref: Hill Top Primary School, SENCO, Sam Smith-Jones.")
    patterns = privacy.echoes(found)
    assert privacy.scrub_echoes("We replied to the SENCo at Hill Top, and to Ms Smith-Jones.", patterns) == (
        "We replied to the SENCo at [school removed], and to Ms [name removed]."
    )


def test_officers_own_addresses_are_told_from_teams() -> None:
    assert privacy.officer_addresses(
        "Email clara.green@kent.gov.uk or SLCN@kent.gov.uk, or Clara.green@kent.gov.uk"
    ) == [
        "clara.green@kent.gov.uk",
        "Clara.green@kent.gov.uk",
    ]


# -- audience suggestions -----------------------------------------------------------------------
def suggestions(question: str, answer: str, tax) -> dict[str, tuple[str, ...]]:
    return {s.key: s.values for s in classify.suggest_audience(question, answer, tax)}


def test_audience_suggestions_come_from_the_words(tax) -> None:
    assert suggestions("Schools in the Swale district lack SALT", "", tax) == {"districts": ("Swale",)}
    assert suggestions("How does this work for areas such as Medway?", "Only available to Kent schools", tax) == {
        "districts": ("Medway",)
    }
    assert suggestions("Funding for children coming into Year R?", "", tax) == {"phases": ("early years", "primary")}
    assert suggestions("Moving from KS2 to secondary and sixth form", "", tax) == {
        "phases": ("primary", "secondary", "post-16")
    }
    assert suggestions("Is this open to independent schools?", "No, it is not open to independent schools", tax) == {
        "settings": ("independent",)
    }
    assert suggestions(
        "How do I apply?", "This offer is not open to Medway schools or to independent schools", tax
    ) == {
        "exclude.districts": ("Medway",),
        "exclude.settings": ("independent",),
    }
    assert suggestions("How do I apply?", "It is only available to Kent schools.", tax) == {
        "exclude.districts": ("Medway",)
    }
    assert suggestions("How do I apply?", "Apply in September.", tax) == {}


def test_a_suggestion_is_a_comment_until_confirmed(tax, tmp_path: Path) -> None:
    doc = parse(read_text(table("Is this open to Medway schools?\tThis offer is not open to Medway schools")))
    draft = build(doc, tax, "2025-07-x", set())
    finish(draft)
    text = emit.render(draft, "x.txt")
    data = yaml.safe_load(text)
    assert "audience" not in data["sections"][0]["items"][0]  # nobody's reach narrowed by itself
    assert '        # audience:\n        #   districts: [Medway]  # "Is this open to Medway schools?"' in text
    confirmed = yaml.safe_load(
        text.replace("        # audience:", "        audience:").replace("        #   ", "          ")
    )
    assert confirmed["sections"][0]["items"][0]["audience"] == {"districts": ["Medway"]}


# -- Word ---------------------------------------------------------------------------------------
def test_word_runs_lists_tables_and_links(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph().add_run("Forum 3 June 2025").bold = True
    document.add_paragraph("Topic")
    t = document.add_table(rows=2, cols=2)
    t.rows[0].cells[0].text, t.rows[0].cells[1].text = "Question/comment", "Response"
    add_inline(t.rows[1].cells[0].paragraphs[0], "Who do we **contact**?")
    cell = t.rows[1].cells[1]
    add_inline(cell.paragraphs[0], "The **SEN Data** team, see [KELSI](https://www.kelsi.org.uk).")
    cell.add_paragraph("First step", style="List Number")
    cell.add_paragraph("Second step", style="List Number")
    cell.add_paragraph("A point", style="List Bullet 2")
    path = tmp_path / "forum.docx"
    document.save(str(path))
    blocks, kind = read(path)
    assert kind == "docx" and isinstance(blocks[2], Table)
    assert blocks[2].rows[1][1][1] == Para("First step", 0, True)
    assert blocks[2].rows[1][1][3] == Para("A point", 1, False)
    assert items_of(blocks) == [
        (
            "Who do we **contact**?",
            "The **SEN Data** team, see [KELSI](https://www.kelsi.org.uk).\n\n1. First step\n1. Second step\n   - A point",
        )
    ]


def items_of(blocks) -> list[tuple[str, str]]:
    doc = parse(blocks)
    return [(i.question, "\n\n".join(i.answer)) for s in doc.sections for i in s.items]


# -- YAML ---------------------------------------------------------------------------------------
_TEXT = st.text(alphabet=st.sampled_from(list("abc XYZ019:#-*[]{}'\",&!|>%@`?.–é😊\t")), min_size=1, max_size=200).map(
    lambda s: " ".join(s.split())
)


@given(_TEXT.filter(bool))
def test_any_line_of_text_reads_back(value: str) -> None:
    first, *rest = emit.scalar(value, 8)
    assert yaml.safe_load("\n".join([f"k:{first}", *rest])) == {"k": value}


@given(st.lists(_TEXT.filter(bool), min_size=2, max_size=5))
def test_any_markdown_reads_back_as_the_same_markdown(paragraphs: list[str]) -> None:
    value = "\n\n".join(paragraphs) + "\n\n- one\n- two"
    first, *rest = emit.scalar(value, 8)
    back = yaml.safe_load("\n".join([f"k:{first}", *rest]))["k"]
    assert emit._unwrapped(back) == emit._unwrapped(value)
