"""Seven more Q&A documents, laid out as councils lay out their forum notes and SEND FAQ
pages, built when the tests run (python-docx for Word, fpdf2 for the PDF; nothing binary
is committed). The layouts follow published ones: council local-offer FAQ pages (a
question as a heading, its answer as paragraphs and bullets below), forum notes with
"Q:" and "A:" paragraphs under topic headings, numbered bold questions, "Question:" and
"Answer:" labels with numbered steps in the answers, and tables of "Question | Response
| Lead" or "Officer | Comment | Answer".

Every document holds the same eleven points, worded as a council would, in its own
layout: nine questions (two of them pending: "We will respond after...", "will be made
available as soon as possible"), two comments that are feedback, and a questioner's
personal data planted in a question ("My name is...", "I'm ... from ... School", a home
address), in the intro and in a section title. PERSONAL lists what may never reach a
draft.
"""

from __future__ import annotations

from pathlib import Path

TITLE = "SENCO Forum Questions and Answers, 14 May 2026"
INTRO = (
    "These are the questions raised at the Summer Term SENCO Forum. Thank you to Larkspur Infant School for hosting us."
)
# (topic, question, answer, what it is): "answered", "pending" or "feedback"
POINTS = [
    (
        "Annual reviews",
        "How far ahead should we send out annual review invitations?",
        ["Send invitations at least four weeks before the meeting.", "Reports must reach everyone two weeks before."],
        "answered",
    ),
    (
        "Annual reviews",
        "My name is Harriet Quill and I am the SENCO at Larkspur Infant School. Can an officer attend a Year 5 review?",
        [
            "An officer attends reviews before a phase transfer where they can.",
            "Email the SEN team with the pupil's name and the date of the review.",
        ],
        "answered",
    ),
    (
        "Annual reviews",
        "Is there a form for the parents' views?",
        ["Yes, the AR2 form on KELSI. Please return the form by 30 June 2026."],
        "answered",
    ),
    (
        "Phase transfer",
        "When must Year 6 phase transfer plans be finalised?",
        ["All Year 6 plans must be finalised by the end of Term 6."],
        "answered",
    ),
    (
        "Phase transfer",
        "What happens when a parent names an independent school?",
        ["We will respond after the next placement panel meeting."],
        "pending",
    ),
    (
        "Funding",
        "How is high needs funding worked out for a new EHCP?",
        ["Funding follows the band named in the plan.", "New plans are considered separately each term."],
        "answered",
    ),
    (
        "Funding",
        "Can we ask for top-up funding for a pupil without an EHCP?",
        ["Yes, through the local inclusion forum, with evidence of the graduated approach."],
        "answered",
    ),
    (
        "Funding",
        "i'm Tom Fairweather from Oakridge Primary School, 14 Mill Lane, Ashford TN23 4QX. Who pays for taxis "
        "to a specialist unit?",
        ["Transport is arranged by the travel team, who pay for it when the pupil is eligible."],
        "answered",
    ),
    (
        "Training",
        "Will the slides from the training session be shared?",
        ["The slides will be made available as soon as possible."],
        "pending",
    ),
    (
        "Feedback",
        "Thank you, the session on phase transfer was really useful.",
        [],
        "feedback",
    ),
    (
        "Feedback",
        "Great to hear from the therapists, it was very helpful.",
        ["Thank you for your feedback."],
        "feedback",
    ),
]
QUESTIONS = [q for _, q, _, kind in POINTS if kind != "feedback"]
PENDING = [q for _, q, _, kind in POINTS if kind == "pending"]
FEEDBACK = [q for _, q, _, kind in POINTS if kind == "feedback"]
PERSONAL = ["Harriet", "Quill", "Larkspur", "Fairweather", "Oakridge", "Mill Lane", "TN23", "harriet", "larkspur"]
# A section title that names a school: in the tables layout, a topic line.
FUNDING_TITLE = "Funding (raised by Oakridge Primary School)"


def topics() -> list[tuple[str, list[tuple[str, list[str], str]]]]:
    out: list[tuple[str, list[tuple[str, list[str], str]]]] = []
    for topic, q, a, kind in POINTS:
        if not out or out[-1][0] != topic:
            out.append((topic, []))
        out[-1][1].append((q, a, kind))
    return out


def _doc():
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph(INTRO)
    return document


def _bold(paragraph, text: str) -> None:
    paragraph.add_run(text).bold = True


def qa_labels(path: Path) -> None:
    """ "Q:" and "A:" paragraphs under Heading 2 topics (forum notes)."""
    document = _doc()
    for topic, points in topics():
        document.add_heading(topic, level=2)
        for q, a, _ in points:
            p = document.add_paragraph()
            _bold(p, "Q: ")
            p.add_run(q)
            for n, para in enumerate(a):
                p = document.add_paragraph()
                if n == 0:
                    _bold(p, "A: ")
                p.add_run(para)
    document.save(path)


def numbered_bold(path: Path) -> None:
    """Bold topic lines, each question a bold numbered list paragraph, plain answers."""
    document = _doc()
    for topic, points in topics():
        _bold(document.add_paragraph(), topic if topic != "Funding" else FUNDING_TITLE)
        for q, a, _ in points:
            _bold(document.add_paragraph(style="List Number"), q)
            for para in a:
                document.add_paragraph(para)
    document.save(path)


def labels_with_lists(path: Path) -> None:
    """Heading 1 topics, bold "Question:" and "Answer:" labels, the answers' points as a
    numbered list."""
    document = _doc()
    for topic, points in topics():
        document.add_heading(topic, level=1)
        for q, a, _ in points:
            p = document.add_paragraph()
            _bold(p, "Question: ")
            p.add_run(q)
            p = document.add_paragraph()
            _bold(p, "Answer:")
            if len(a) == 1:
                p.add_run(" " + a[0])
            for para in a if len(a) > 1 else []:
                document.add_paragraph(para, style="List Number")
    document.save(path)


def table_three(path: Path) -> None:
    """Bold topic lines, each over a "Question | Response | Lead" table."""
    document = _doc()
    for topic, points in topics():
        _bold(document.add_paragraph(), topic if topic != "Funding" else FUNDING_TITLE)
        table = document.add_table(rows=1, cols=3)
        for cell, text in zip(table.rows[0].cells, ("Question", "Response", "Lead"), strict=True):
            _bold(cell.paragraphs[0], text)
        for q, a, _ in points:
            row = table.add_row().cells
            row[0].text = q
            row[1].text = "\n".join(a)
            row[2].text = "SEN Service" if a else ""
    document.save(path)


def table_any_order(path: Path) -> None:
    """Heading 2 topics over tables whose columns run "Officer | Comment | Answer"."""
    document = _doc()
    for topic, points in topics():
        document.add_heading(topic, level=2)
        table = document.add_table(rows=1, cols=3)
        for cell, text in zip(table.rows[0].cells, ("Officer", "Comment", "Answer"), strict=True):
            cell.text = text
        for q, a, _ in points:
            row = table.add_row().cells
            row[0].text = "Area SEN Officer" if a else ""
            row[1].text = q
            cell = row[2]
            cell.text = a[0] if a else ""
            for para in a[1:]:
                cell.add_paragraph(para)
    document.save(path)


def faq_headings(path: Path) -> None:
    """A council FAQ page: topics as Heading 2, each question a Heading 3, its answer in
    paragraphs and bullets; the comments in a feedback section as bullets."""
    document = _doc()
    for topic, points in topics():
        document.add_heading(topic, level=2)
        for q, a, kind in points:
            if kind == "feedback":
                document.add_paragraph(q + (" " + a[0] if a else ""))
                continue
            document.add_heading(q, level=3)
            document.add_paragraph(a[0])
            for para in a[1:]:
                document.add_paragraph(para, style="List Bullet")
    document.save(path)


def plain_questions_text() -> str:
    """Questions as plain paragraphs ending "?", answers below, topics as short lines."""
    lines = [TITLE, "", INTRO, ""]
    for topic, points in topics():
        lines += [topic, ""]
        for q, a, kind in points:
            if kind == "feedback":
                lines += [f"Comment: {q}", ""] + ([f"Response: {a[0]}", ""] if a else [])
                continue
            lines += [q, ""]
            for para in a:
                lines += [para, ""]
    return "\n".join(lines)


def plain_pdf(path: Path) -> None:
    """The plain layout as a PDF, its paragraphs wrapped into lines as a PDF has them."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for block in plain_questions_text().split("\n\n"):
        pdf.multi_cell(0, 6, block.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))


LAYOUTS = {
    "qa-labels.docx": qa_labels,
    "numbered-bold.docx": numbered_bold,
    "labels-lists.docx": labels_with_lists,
    "table-three.docx": table_three,
    "table-any-order.docx": table_any_order,
    "faq-headings.docx": faq_headings,
    "plain-questions.txt": lambda p: p.write_text(plain_questions_text(), encoding="utf-8"),
    "plain-questions.pdf": plain_pdf,
}


def build(folder: Path) -> dict[str, Path]:
    out = {}
    for name, make in LAYOUTS.items():
        make(folder / name)
        out[name] = folder / name
    return out
