"""The digest's MIME: built once per edition, spliced per reader, byte-exact and injection-proof."""

from __future__ import annotations

import binascii
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.delivery import parse

from digest.content.audience import Profile
from digest.content.load import load_or_fail
from digest.delivery import mime
from digest.delivery.compose import Personaliser
from digest.delivery.mime import (
    Attachment,
    DigestTemplate,
    HeaderInjection,
    address,
    check_header,
    header,
    qp,
    qp_to_break,
)
from digest.editions.render import Renderer
from digest.editions.select import select
from digest.readers.tokens import Signer
from digest.settings import load_settings

KEY = "forum:2025-07-test@2025-07-11"
WHEN = datetime(2025, 7, 11, 7, 0, tzinfo=UTC)


@pytest.fixture
def rendered(site_dir: Path):
    settings = load_settings(site_dir)
    site = load_or_fail(settings)
    edition = select(site, site.forum("2025-07-test"), date(2025, 7, 11), Profile("Swale", ("primary",), "mainstream"))
    edition.profiles.append(Profile("Swale", ("primary",), "mainstream"))
    return settings, Renderer(settings).render(edition)


def build(settings, rendered, attachments=()):
    return DigestTemplate.build(
        settings,
        seed=f"{KEY}\0{rendered.edition.id}",
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        date=WHEN,
        attachments=attachments,
    )


def reader_message(settings, template, sid=7, email="siân@example.org", name="Siân Ó Briain"):
    return Personaliser(settings, KEY, Signer(b"k" * 32)).message(
        template, sid, email.replace("â", "a"), name, "a primary mainstream school in Swale"
    )


def lines_of(raw: bytes) -> list[bytes]:
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    return raw.split(b"\r\n")


def test_structure_text_first_html_last_utf8_quoted_printable(rendered) -> None:
    settings, r = rendered
    msg = parse(reader_message(settings, build(settings, r)))
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for p in parts:
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg["MIME-Version"] == "1.0"


def test_decoded_parts_equal_the_rendered_personalisation(rendered) -> None:
    settings, r = rendered
    raw = reader_message(settings, build(settings, r))
    token = Signer(b"k" * 32).sign("manage", 7)
    expected_html, expected_text = r.personalise(
        {
            "greeting": "Dear Siân Ó Briain,",
            "profile": "a primary mainstream school in Swale",
            "unsubscribe_url": f"https://digest.test.example/unsubscribe/{token}",
            "preferences_url": f"https://digest.test.example/preferences/{token}",
        }
    )
    text, html = (p.get_content().replace("\r\n", "\n") for p in parse(raw).iter_parts())  # canonical CRLF lines
    assert text == expected_text
    assert html == expected_html
    assert "%%digest:" not in text + html


def test_every_line_is_short_and_crlf_terminated(rendered) -> None:
    settings, r = rendered
    raw = reader_message(
        settings,
        build(settings, r, [Attachment('text/calendar; charset="utf-8"', "dates.ics", b"BEGIN:VCALENDAR\r\n" * 40)]),
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 76 for line in lines_of(body))
    assert all(len(line) <= 998 for line in lines_of(head))


def test_headers_are_all_there_and_deterministic(rendered) -> None:
    settings, r = rendered
    template = build(settings, r)
    one, again, other = (reader_message(settings, template, sid) for sid in (7, 7, 8))
    assert one == again  # same edition key and reader: byte for byte
    msg = parse(one)
    token = Signer(b"k" * 32).sign("manage", 7)
    assert msg["From"] == "SENCO Forum digest <digest@example.org>"
    assert msg["Reply-To"] == "senco-forum@example.org"
    assert msg["To"] == "Siân Ó Briain <sian@example.org>"
    assert msg["Subject"] == r.subject
    assert b"\r\nDate: Fri, 11 Jul 2025 07:00:00 +0000\r\n" in one
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.org>", msg["Message-ID"])
    assert msg["Message-ID"] == mime.message_id(KEY, 7, "example.org")
    assert parse(other)["Message-ID"] != msg["Message-ID"]
    assert msg["List-Id"] == '"SENCO Forum digest" <digest.example.org>'
    assert msg["List-Unsubscribe"] == (
        f"<https://digest.test.example/unsubscribe/{token}>, <mailto:unsubscribe@example.org?subject=unsubscribe-{token}>"
    )
    assert msg.get_boundary() == parse(other).get_boundary()  # deterministic per edition


def test_list_unsubscribe_is_never_encoded_and_post_is_exact(rendered) -> None:
    settings, r = rendered
    long_base = settings.model_copy(
        update={"site": settings.site.model_copy(update={"base_url": "https://" + "x" * 120 + ".example"})}
    )
    raw = reader_message(long_base, build(long_base, r))
    head = raw.partition(b"\r\n\r\n")[0].decode("ascii")
    unfolded = re.sub(r"\r\n[ \t]", " ", head)
    line = next(x for x in unfolded.split("\r\n") if x.startswith("List-Unsubscribe:"))
    assert "=?" not in line
    assert re.fullmatch(
        r"List-Unsubscribe: <https://x{120}\.example/unsubscribe/[\w.-]+>, <mailto:unsubscribe@example\.org\?subject=unsubscribe-[\w.-]+>",
        line,
    )
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head
    assert parse(raw)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "bad", ["a\r\nBcc: victim@example.org", "a\nb", "a\rb", "nul\x00", "c1\x85", "esc\x1b[0m", "del\x7f"]
)
def test_header_injection_is_refused(bad: str) -> None:
    with pytest.raises(HeaderInjection):
        check_header("Subject", bad)
    with pytest.raises(HeaderInjection):
        header("Subject", bad)
    with pytest.raises(HeaderInjection):
        address(bad, "reader@example.org")


def test_a_name_with_a_line_break_cannot_add_a_header(rendered) -> None:
    settings, r = rendered
    with pytest.raises(HeaderInjection):
        reader_message(settings, build(settings, r), name="Eve\r\nBcc: all@example.org")


def test_subject_with_line_break_is_refused_when_building(rendered) -> None:
    settings, r = rendered
    with pytest.raises(HeaderInjection):
        DigestTemplate.build(settings, seed="s", subject="Hi\nBcc: x@example.org", html=r.html, text=r.text)


def test_long_ascii_headers_fold_at_spaces_and_non_ascii_is_encoded() -> None:
    folded = header("Subject", ("word " * 40).strip())
    assert all(len(line) <= 78 for line in folded.split(b"\r\n"))
    assert b"=?" not in folded
    assert parse(folded + b"\r\n")["Subject"] == ("word " * 40).strip()
    assert header("Subject", "Café — dates").startswith(b"Subject: =?utf-8?")
    assert parse(header("Subject", "Café — dates") + b"\r\n")["Subject"] == "Café — dates"


def test_calendar_hook_wraps_the_alternative_in_mixed(rendered) -> None:
    settings, r = rendered
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    msg = parse(
        reader_message(
            settings,
            build(settings, r, [Attachment('text/calendar; charset="utf-8"; method=PUBLISH', "dates.ics", ics)]),
        )
    )
    assert msg.get_content_type() == "multipart/mixed"
    alternative, calendar = msg.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_filename() == "dates.ics"
    assert calendar.get_payload(decode=True) == ics


def test_unknown_placeholder_is_refused(rendered) -> None:
    settings, r = rendered
    with pytest.raises(ValueError, match="unknown personal placeholders"):
        DigestTemplate.build(settings, seed="s", subject="s", html=r.html + "%%digest:password%%", text=r.text)


TEXT = st.lists(
    st.sampled_from([*"ab =.\t\n€éx", "x" * 75, "%%digest:greeting%%", "%%digest:profile%%"]), max_size=120
).map("".join)
VALUE = st.lists(st.sampled_from([*"ab =.\té€", "x" * 70]), max_size=60).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, greeting=VALUE, profile=VALUE)
def test_splicing_round_trips_and_keeps_lines_short(text: str, greeting: str, profile: str) -> None:
    from types import SimpleNamespace

    site = SimpleNamespace(sender_address="d@example.org", sender_name="D", reply_to="r@example.org", title="T")
    template = DigestTemplate.build(SimpleNamespace(site=site), seed="s", subject="s", html="<p>x</p>", text=text)
    values = {"greeting": greeting, "profile": profile, "unsubscribe_url": "u", "preferences_url": "p"}
    raw = template.message(to="a@example.org", message_id="<m@example.org>", unsubscribe="<https://u>", values=values)
    body = raw.partition(b"\r\n\r\n")[2]
    assert all(len(line) <= 76 for line in lines_of(body))
    expected = text.replace("%%digest:greeting%%", greeting).replace("%%digest:profile%%", profile)
    plain = next(parse(raw).iter_parts())
    assert plain.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n") == expected


def test_qp_folds_a_line_that_ends_in_encoded_whitespace() -> None:
    """binascii.b2a_qp gives 75 characters and a space before a line break as one 78-character line."""
    data = ("x" * 75 + " \n" + "y" * 74 + "\t\n").encode()
    out = qp(data)
    assert max(len(line) for line in out.split(b"\r\n")) == 76
    assert binascii.a2b_qp(out) == data.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("data", [b"x" * 75 + b" \n", b"x" * 74 + b"\t\n", b"x" * 73 + b"  \n", b"x" * 150 + b" "])
def test_a_space_ending_a_full_line_stays_within_76(data: bytes) -> None:
    """binascii.b2a_qp makes such a line 77 or 78 characters long (found by the property test below)."""
    out = qp(data)
    assert all(len(line) <= 76 for line in out.split(b"\r\n"))
    assert binascii.a2b_qp(out.replace(b"\r\n", b"\n")) == data


@given(data=st.binary(max_size=300))
def test_qp_to_break_always_ends_a_line_within_76(data: bytes) -> None:
    out = qp_to_break(data)
    assert out.endswith(b"\r\n")
    assert all(len(line) <= 76 for line in out.split(b"\r\n"))
    assert binascii.a2b_qp(out) == binascii.a2b_qp(qp(data))


def test_assembly_renders_nothing_per_reader(rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-reader assembly is splicing only: no Jinja, premailer or EmailMessage per reader.

    How fast that is, is measured by `make bench` (docs/benchmarks.md), not asserted here."""
    import email.message

    import jinja2

    from digest.editions import render

    settings, r = rendered
    person = Personaliser(settings, KEY, Signer(b"k" * 32))
    template = build(settings, r)

    def per_reader(*args, **kwargs):
        raise AssertionError("rendered or built with EmailMessage per reader")

    monkeypatch.setattr(jinja2.Template, "render", per_reader)
    monkeypatch.setattr(render, "inline_css", per_reader)
    monkeypatch.setattr(email.message.EmailMessage, "__init__", per_reader)
    for i in range(3):
        raw = person.message(
            template, i, f"reader{i}@example.org", "Reader Name", "a primary mainstream school in Swale"
        )
        assert f"reader{i}@example.org".encode() in raw


ENCODED_WORD = re.compile(r"=\?utf-8\?([bq])\?([^?\s]*)\?=", re.I)


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Siân Ó Briain", "Test SENCO Forum: 4 answers for you"),
        (
            "Zoë Ä. Ørsted-Łukasz",
            "Fórum d’été — réponses, dates et « contacts » pour les écoles du Kent, Medway et au-delà",
        ),
        ("Lee, Cat “CL”", "日本語の件名: 4 answers for you, 2 upcoming dates"),
        ("Ana =?utf-8?q?x?= Lee", "Subject with =?utf-8?q?not_a_word?= inside"),  # looks encoded; is text
    ],
)
def test_non_ascii_names_and_subjects_are_rfc2047_encoded_and_list_unsubscribe_is_not(
    rendered, name: str, subject: str
) -> None:
    """RFC 2047: each encoded word is at most 75 characters, sits in a line of at most 76, and
    never in an address; decoded, the name and subject are exactly what was given.
    List-Unsubscribe is ASCII and stays as it is, however long (RFC 2369)."""
    from email.header import decode_header, make_header

    settings, r = rendered
    template = DigestTemplate.build(settings, seed="s", subject=subject, html=r.html, text=r.text, date=WHEN)
    raw = reader_message(settings, template, name=name)
    head = raw.partition(b"\r\n\r\n")[0]
    assert head.isascii()
    fields: dict[str, str] = {}
    for line in head.decode("ascii").split("\r\n"):
        assert len(line) <= 998  # RFC 5322; 78 where it can fold (a long URL cannot)
        for word in ENCODED_WORD.finditer(line):
            assert len(word.group(0)) <= 75 and len(line) <= 76, line
        if line[:1] in (" ", "\t"):
            fields[last] += line  # noqa: F821 - a continuation follows its field
        else:
            last, _, value = line.partition(":")
            fields[last] = value
    to_name, _, to_addr = fields["To"].strip().rpartition(" ")
    assert to_addr == "<sian@example.org>" and "=?" not in to_addr  # the address itself is never encoded
    assert str(make_header(decode_header(to_name))).strip('"') == name.replace('"', "")
    assert str(make_header(decode_header(fields["Subject"].strip()))) == subject
    assert parse(raw)["Subject"] == subject
    assert parse(raw)["To"].addresses[0].display_name == name
    unsubscribe = re.sub(r"\s+", " ", fields["List-Unsubscribe"]).strip()
    assert "=?" not in unsubscribe and unsubscribe.startswith("<https://digest.test.example/unsubscribe/")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=90) | st.text(alphabet=" .=!~<>\t-az09é", max_size=90).map(str.encode))
def test_the_short_way_for_plain_values_encodes_as_the_long_way(data: bytes) -> None:
    """Values QP keeps as they are (most links and greetings) skip the encoder: same bytes."""
    assert mime.qp_to_break(data) == mime._qp_to_break(data)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=" aZ09.,\"\\()<>@:;[]=?'_-éÓ\u00a0", max_size=40)
    | st.sampled_from(["", "J. Lee", 'Ann "Nan" Smith', "O\\Brien", "Dev Patel", "=?utf-8?q?x?=", "Siân Ó Briain"])
)
def test_an_address_is_what_formataddr_gives(name: str) -> None:
    """The short way for ASCII names gives email.utils.formataddr's own result."""
    from email.utils import formataddr

    expected = (
        mime.Header(name, "utf-8").encode(maxlinelen=mime.RFC2047_LINE) + " <reader@example.org>"
        if "=?" in name and name.isascii()
        else formataddr((name, "reader@example.org"), charset="utf-8")
    )
    assert mime.address(name, "reader@example.org") == expected
