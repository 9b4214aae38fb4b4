"""`digest import` of documents in seven more layouts (tests/importer/layouts.py), as Word,
plain text and PDF: in each, at least 8 of the 9 questions found, the pending answers
pending, the comments feedback, and no questioner's name, school or address anywhere in
the draft: not in its text, its ids or its comments."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import example_project
from layouts import FEEDBACK, LAYOUTS, PENDING, PERSONAL, QUESTIONS, build

from digest.content.model import Forum
from digest.importer.draft import norm
from digest.importer.report import report
from digest.importer.run import import_document
from digest.settings import load_settings


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("layouts"))


@pytest.fixture(scope="module")
def imported(documents: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """layout -> (result, the draft's text, its Forum)."""
    out = {}
    for name, path in documents.items():
        project = example_project(tmp_path_factory.mktemp(Path(name).stem))
        result = import_document(load_settings(project), path, "2026-05-layout", None, None, False)
        text = result.out.read_text(encoding="utf-8")
        out[name] = (result, text, Forum.model_validate(yaml.safe_load(text)))
    return out


def same(want: str, got: str) -> bool:
    """The imported question holds most of the document's words (markers stand for the
    personal data that was removed)."""
    have = set(norm(got).split())
    words = [w for w in norm(want).split() if w[:1].islower()]
    return sum(w in have for w in words) >= 0.7 * len(words)


def import_word(document, tmp_path: Path, forum_id: str):
    """A python-docx document saved and imported into a fresh copy of the example project."""
    source = tmp_path / f"{forum_id}.docx"
    document.save(source)
    return import_document(load_settings(example_project(tmp_path / "project")), source, forum_id, None, None, False)


def item_for(forum: Forum, question: str):
    return next((i for i in forum.items if same(question, i.question)), None)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_layout_finds_its_questions(imported, name: str) -> None:
    result, _, forum = imported[name]
    found = [q for q in QUESTIONS if item_for(forum, q) is not None]
    assert len(QUESTIONS) == 9 and len(found) >= 8, (name, result.draft.layout, [i.question for i in forum.items])
    assert result.errors == [], result.errors


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_layout_keeps_pending_pending_and_feedback_feedback(imported, name: str) -> None:
    _, _, forum = imported[name]
    for question in PENDING:
        assert item_for(forum, question).status == "pending", question
    for comment in FEEDBACK:
        assert item_for(forum, comment).kind == "feedback", comment
    answered = [item_for(forum, q) for q in QUESTIONS if q not in PENDING]
    assert {i.status for i in answered if i is not None} == {"answered"}
    assert not any(i.kind == "feedback" for i in answered if i is not None)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_no_personal_data_reaches_the_draft(imported, name: str) -> None:
    result, text, forum = imported[name]
    lowered = text.lower()
    assert [p for p in PERSONAL if p.lower() in lowered] == []
    assert "[name removed]" in text and "[school removed]" in text and "[address removed]" in text
    assert "[school removed]" in (forum.intro or "")
    shown = report(result)  # the organiser's screen names what was removed
    assert "name 'Harriet Quill'" in shown and "school 'Larkspur Infant School'" in shown


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_report_accounts_for_the_words(imported, name: str) -> None:
    result, _, _ = imported[name]
    words = result.draft.findings.words
    assert words["questions"] >= 100 and words["answers"] >= 100 and words["feedback"] >= 15
    assert words["intro"] > 0
    placed = sum(v for k, v in words.items() if k not in ("total", "other", "not placed"))
    assert placed >= 0.85 * words["total"]
    line = next(x for x in report(result).splitlines() if x.strip().startswith("Words:"))
    assert f"Words: {words['total']} in the document: {words['questions']} in questions" in line


def test_the_layouts_are_told_apart(imported) -> None:
    layouts = {name: imported[name][0].draft.layout for name in LAYOUTS}
    assert layouts["qa-labels.docx"] == layouts["labels-lists.docx"] == "labels"
    assert layouts["faq-headings.docx"] == "headed"
    assert layouts["numbered-bold.docx"] in ("numbered", "bold")
    assert layouts["table-three.docx"] == layouts["table-any-order.docx"] == "tables"
    assert layouts["plain-questions.pdf"] == layouts["plain-questions.txt"] == "asked"
    assert imported["plain-questions.pdf"][0].read_as == "PDF"


def test_suggested_actions_are_comments_from_the_answers_words(imported) -> None:
    _, text, forum = imported["qa-labels.docx"]
    assert (
        '# Suggested action: "All Year 6 plans must be finalised by the end of Term 6." (by the end of Term 6)' in text
    )
    assert '# Suggested action: "Please return the form by 30 June 2026." (by 30 June 2026)' in text
    assert "# Suggested action: \"Email the SEN team with the pupil's name" in text
    assert not any(i.action or i.by for i in forum.items)  # a comment, never a field


def test_a_table_column_naming_the_lead_is_not_the_answer(imported) -> None:
    _, text, forum = imported["table-three.docx"]
    assert not any("SEN Service" in (i.answer or "") for i in forum.items)
    assert "# The document's Lead column says 'SEN Service': set answered_by to their contact" in text
    _, _, forum = imported["table-any-order.docx"]
    assert not any("Area SEN Officer" in (i.answer or "") or "Area SEN Officer" in i.question for i in forum.items)


def test_a_label_standing_alone_heads_the_question_below_it(tmp_path: Path) -> None:
    """ "Question 1" on its own line, the question on the next, "Answer" alone above the
    answer, as meeting notes typed in plain text often are."""
    text = "SENCO Network Meeting notes, 3 March 2026\n"
    for n, (q, a) in enumerate(
        [
            ("How do we request an EHC needs assessment?", "Use the online portal and attach the evidence."),
            ("Who chairs the annual review?", "The school chairs it."),
            ("When is the next network meeting?", "To be confirmed."),
        ],
        1,
    ):
        text += f"\nQuestion {n}\n{q}\nAnswer\n{a}\n"
    source = tmp_path / "notes.txt"
    source.write_text(text, encoding="utf-8")
    project = example_project(tmp_path / "project")
    result = import_document(load_settings(project), source, "2026-03-notes", None, None, False)
    items = result.draft.items
    assert [i.question for i in items] == [
        "How do we request an EHC needs assessment?",
        "Who chairs the annual review?",
        "When is the next network meeting?",
    ]
    assert [i.status for i in items] == ["answered", "answered", "pending"]
    assert items[1].answer == "The school chairs it."


def test_a_question_and_its_answer_in_one_paragraph(tmp_path: Path) -> None:
    text = "Forum notes, 3 March 2026\n\n" + "\n\n".join(
        [
            "Q: How do we request an EHC needs assessment? A: Use the online portal and attach the evidence.",
            "Q: Who chairs the annual review? **A:** The school chairs it.",
            "Q: When is the next network meeting? Answer: To be confirmed.",
        ]
    )
    source = tmp_path / "notes.md"
    source.write_text(text, encoding="utf-8")
    project = example_project(tmp_path / "project")
    items = import_document(load_settings(project), source, "2026-03-notes", None, None, False).draft.items
    assert [(i.question, i.answer, i.status) for i in items] == [
        ("How do we request an EHC needs assessment?", "Use the online portal and attach the evidence.", "answered"),
        ("Who chairs the annual review?", "The school chairs it.", "answered"),
        ("When is the next network meeting?", "To be confirmed.", "pending"),
    ]


def test_bold_statements_that_ask_without_a_question_mark(tmp_path: Path) -> None:
    """ "Concerns about ..." in bold with its answer in plain text below is a question; a
    short bold line inside an answer ("Next steps") is not."""
    import docx

    document = docx.Document()
    document.add_paragraph("SENCO Forum notes, 3 March 2026")

    def bold(text: str) -> None:
        document.add_paragraph().add_run(text).bold = True

    bold("Funding")
    bold("Concerns about the high needs funding for pupils arriving mid-year")
    document.add_paragraph("Funding follows the pupil from the date they arrive.")
    bold("Request for the banding descriptors to be shared with all schools")
    document.add_paragraph("The descriptors are on KELSI.")
    bold("Can the LA attend a Year 9 review?")
    document.add_paragraph("Yes, where it is a phase transfer review.")
    bold("Next steps")
    document.add_paragraph("Speak to your area officer.")
    bold("Transport")
    bold("Taxi arrangements for pupils moving to a specialist resource base")
    document.add_paragraph("Transport will confirm arrangements after the panel meeting.")
    result = import_word(document, tmp_path, "2026-03-notes")
    items = result.draft.items
    assert result.draft.layout == "bold"
    assert [i.question.split()[0] for i in items] == ["Concerns", "Request", "Can", "Taxi"]
    assert "Next steps" in items[2].answer and "area officer" in items[2].answer
    assert [s.title for s in result.draft.sections] == ["Funding", "Transport"]
    assert items[3].status == "pending"


def test_numbered_titles_that_ask_without_a_question_mark(tmp_path: Path) -> None:
    """Another council's notes: each point a numbered title ("2. Funding for pupils awaiting
    assessment") with its answer below, in Word's own numbering; numbered steps that are
    sentences inside an answer stay in it."""
    import docx

    document = docx.Document()
    document.add_paragraph("Northshire SENCO Network: questions and answers, 14 October 2026")
    document.add_heading("Assessment", level=2)
    for title, answer in (
        ("Update on EHCP timescales in the north of the county", ["62% of plans are issued within 20 weeks."]),
        (
            "Funding for pupils awaiting assessment",
            ["Schools can apply for interim funding in three steps:"],
        ),
        ("Training for new SENCOs", ["The induction programme runs each term."]),
        ("Access to educational psychology in rural schools", ["Rural clusters can pool their allocation."]),
    ):
        document.add_paragraph(title, style="List Number")
        for line in answer:
            document.add_paragraph(line)
        if title.startswith("Funding"):
            for step in (
                "Complete the request form.",
                "Attach the SEN support plan.",
                "Send both to your area officer.",
            ):
                document.add_paragraph(step, style="List Bullet")
    result = import_word(document, tmp_path, "2026-10-northshire")
    items = result.draft.items
    assert result.draft.layout == "numbered"
    assert [i.question for i in items] == [
        "Update on EHCP timescales in the north of the county",
        "Funding for pupils awaiting assessment",
        "Training for new SENCOs",
        "Access to educational psychology in rural schools",
    ]
    assert "Attach the SEN support plan." in items[1].answer and "area officer" in items[1].answer


@pytest.mark.parametrize("wrapped", [False, True])
@pytest.mark.parametrize("longest", [False, True])
def test_numbered_titles_in_plain_text_with_the_answer_on_the_next_line(
    tmp_path: Path, wrapped: bool, longest: bool
) -> None:
    """Pasted text puts a title's answer on the line under it, no blank line between; a
    document wrapped at a fixed width continues a numbered line that fills the width,
    and one that is not wrapped splits even a title longer than every answer."""
    answers = [  # each its own: a paragraph repeated on every page is a running header, dropped
        "The service completes 62% of plans within 20 weeks and a recovery plan is in place for the rest of the year.",
        "Schools can apply for interim top-up funding through the Local Inclusion Forum before 30 November 2026.",
        "The induction programme runs each term, and new SENCOs can book it through the county's CPD portal.",
    ]
    if wrapped:  # every paragraph wrapped at 60 columns, as an email client pastes it
        import textwrap

        def fill(text: str) -> str:
            return textwrap.fill(text, 60)
    else:

        def fill(text: str) -> str:
            return text

    points = [
        "Update on EHCP timescales in the north of the county and the recovery plan for Swale"
        + (" and the other districts of the east of the county this year" if longest else ""),
        "Funding for pupils awaiting assessment",
        "Training for new SENCOs",
    ]
    text = "Northshire SENCO Network notes, 14 October 2026\n\n" + "\n\n".join(
        fill(f"{n}. {title}") + "\n" + fill(answer)
        for n, (title, answer) in enumerate(zip(points, answers, strict=True), 1)
    )
    source = tmp_path / "notes.txt"
    source.write_text(text + "\n", encoding="utf-8")
    project = example_project(tmp_path / "project")
    result = import_document(load_settings(project), source, "2026-10-northshire", None, None, False)
    assert [i.question for i in result.draft.items] == points
    assert [i.answer for i in result.draft.items] == answers


def test_headings_that_name_the_topic_asked_about(tmp_path: Path) -> None:
    """A council FAQ page whose questions are topics ("Taxi arrangements for post-16
    students" as Heading 3), each answer a paragraph below, under Heading 2 sections."""
    import docx

    document = docx.Document()
    document.add_paragraph("Westshire SEND Forum: what you asked, 5 February 2027")
    points = {
        "Assessments": [
            ("Requesting an EHC needs assessment for a child in Year R", "Use the online form; the panel sits weekly."),
            (
                "Timescales for draft plans this term",
                "Drafts take 18 weeks; we will write to schools when this changes.",
            ),
        ],
        "Transport": [
            (
                "Taxi arrangements for post-16 students",
                "Families apply for post-16 transport on the council's website.",
            ),
            ("Travel training for pupils in special schools", "Year 9 pupils are offered it: ask the transport lead."),
        ],
    }
    for section, items in points.items():
        document.add_heading(section, level=2)
        for title, answer in items:
            document.add_heading(title, level=3)
            document.add_paragraph(answer)
    result = import_word(document, tmp_path, "2027-02-westshire")
    assert result.draft.layout == "titles"
    assert [s.title for s in result.draft.sections] == list(points)
    assert [(i.question, i.answer) for i in result.draft.items] == [p for items in points.values() for p in items]
