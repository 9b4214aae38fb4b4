"""A draft is a draft (issue 21.4): `status: draft` until `digest ready`; `digest check` and
the preview list what is left to do; `digest send` refuses a draft, `digest build` leaves it
out of the archive. And one broken forum file blocks no other forum's send."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.delivery import FORUM, add_readers, outbox

from digest.cli.main import cli
from digest.content import todo
from digest.content.load import load_site
from digest.settings import load_settings

AS_OF = "2025-07-11"

# A draft as `digest import` writes one: its notes are comments (digest/importer/emit.py)
DRAFT = """\
# Imported from july.docx by `digest import`.
id: 2025-09-draft
status: draft  # until `digest ready 2025-09-draft`: a draft is never sent
title: Draft SENCO Forum
dates: [2025-09-20]
sections:
  - id: therapy
    title: Therapies
    items:
      - id: dr-salt-waiting
        # Headline cut from the question at 15 words: rewrite it
        # msmith@kent.gov.uk is an officer's own address: put in the team's contact instead
        question: How long is the wait for speech and language therapy in Swale this term, and who decides?
        headline: How long is the wait for speech and language therapy in Swale this term, and…
        answer: Ask msmith@kent.gov.uk.
        # Suggested audience, from the words quoted. Until you confirm it (delete the
        # '# ' before 'audience:' and the lines under it) the item goes to everyone.
        # audience:
        #   districts: [Swale]  # "in Swale"
      - id: dr-plan
        # Placeholder link in the document, [the plan](#): put in the real https:// address
        question: "Where is the plan? #1 question"
        answer: See [the plan](#).
"""


def run(site: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(site), *args], catch_exceptions=False)


@pytest.fixture
def with_draft(site_dir: Path) -> Path:
    (site_dir / "content" / "forums" / "2025-09-draft.yaml").write_text(DRAFT, encoding="utf-8")
    return site_dir


def test_check_lists_what_is_left_to_do_in_a_draft_at_its_lines(with_draft: Path) -> None:
    result = run(with_draft, "check")
    assert result.exit_code == 0, result.output
    f = "content/forums/2025-09-draft.yaml"
    lines = [line for line in result.stderr.splitlines() if line.startswith(f)]
    assert lines == [
        f"{f}:3: warning: status: forum '2025-09-draft' is a draft: it is not sent and not in the archive "
        "(1 headline cut, 1 flagged contact, 1 audience to confirm, 1 placeholder) "
        "(deal with each note below, then run `digest ready 2025-09-draft`)",
        f"{f}:11: warning: item dr-salt-waiting: Headline cut from the question at 15 words: rewrite it",
        f"{f}:12: warning: item dr-salt-waiting: msmith@kent.gov.uk is an officer's own address: put in the team's "
        "contact instead",
        f"{f}:16: warning: item dr-salt-waiting: an audience suggested from the words quoted: confirm it (delete "
        "the '# ' before 'audience:' and the lines under it) or delete the suggestion",
        f"{f}:21: warning: item dr-plan: Placeholder link in the document, [the plan](#): put in the real "
        "https:// address",
    ]
    # the '#' inside a quoted question is not a note; the ready forum has none
    assert "2025-07-test.yaml" not in result.stderr


def test_what_the_file_says_counts_a_note_deleted_and_a_value_left_is_still_to_do() -> None:
    forum_text = DRAFT.replace("        # Headline cut from the question at 15 words: rewrite it\n", "").replace(
        "        # Placeholder link in the document, [the plan](#): put in the real https:// address\n", ""
    )
    from digest.content.model import Forum
    from digest.content.yamlio import parse_yaml

    src, problems = parse_yaml(forum_text, "f.yaml")
    assert not problems
    forum = Forum.model_validate(src.data)
    kinds = [(t.item, t.kind) for t in todo.of_text(forum_text, "f.yaml", forum)]
    # the headline still ends with "…" and the answer still has its '(#)' link
    assert kinds == [
        ("dr-salt-waiting", "headline cut"),
        ("dr-salt-waiting", "flagged contact"),
        ("dr-salt-waiting", "audience to confirm"),
        ("dr-plan", "placeholder"),
    ]


def test_a_forum_without_status_is_ready(site_dir: Path) -> None:
    site = load_site(load_settings(site_dir))
    assert site.forums[FORUM].status == "ready" and not todo.problems(site)


def test_the_preview_shows_the_draft_and_the_same_list(with_draft: Path) -> None:
    import html
    import re

    from starlette.testclient import TestClient
    from support import FIXTURE_DAY

    from digest.preview.app import create_app
    from digest.preview.live import LiveSite

    preview = LiveSite(lambda: load_settings(with_draft), as_of=FIXTURE_DAY)
    with TestClient(create_app(preview, watch=False), base_url="http://127.0.0.1") as client:
        page = client.get("/f/2025-09-draft").text
    assert "<h1>Draft SENCO Forum</h1>" in page  # the preview shows a draft
    panel = page.split("<h3>Left to do in a draft (5)</h3>")[1].split("</ul>")[0]
    shown = [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", panel)]
    check = run(with_draft, "check").stderr.splitlines()
    assert shown == [line for line in check if line.startswith("content/forums/2025-09-draft.yaml")]


def test_send_refuses_a_draft_with_its_list_and_sends_nothing(with_draft: Path) -> None:
    add_readers(with_draft)
    result = run(with_draft, "send", "--forum", "2025-09-draft", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "\nforum '2025-09-draft' is a draft and is not sent (1 headline cut, 1 flagged contact" in result.stderr
    assert "content/forums/2025-09-draft.yaml:21: warning: item dr-plan: Placeholder link" in result.stderr
    follow = run(with_draft, "send", "--forum", "2025-09-draft", "--follow-up", "--as-of", AS_OF)
    assert follow.exit_code == 1 and "is a draft and is not sent" in follow.stderr
    assert outbox(with_draft) == []
    dry = run(with_draft, "send", "--forum", "2025-09-draft", "--dry-run", "--as-of", AS_OF)
    assert dry.exit_code == 0
    assert "forum '2025-09-draft' is a draft (1 headline cut, 1 flagged contact, 1 audience to confirm, " in dry.stderr
    assert "a real send is refused until `digest ready 2025-09-draft`" in dry.stderr
    # the other forum is sent as usual
    ok = run(with_draft, "send", "--forum", FORUM, "--as-of", AS_OF)
    assert ok.exit_code == 0, ok.output
    assert len(outbox(with_draft)) == 5


def test_ready_refuses_while_notes_or_errors_remain_and_changes_only_the_status(with_draft: Path) -> None:
    path = with_draft / "content" / "forums" / "2025-09-draft.yaml"
    refused = run(with_draft, "ready", "2025-09-draft")
    assert refused.exit_code == 1
    assert "forum '2025-09-draft' still has 1 headline cut, 1 flagged contact" in refused.stderr
    assert path.read_text(encoding="utf-8") == DRAFT

    broken = DRAFT.replace("dates: [2025-09-20]", "dates: [2025-09-31]")
    path.write_text(broken, encoding="utf-8")
    refused = run(with_draft, "ready", "2025-09-draft", "--force")
    assert refused.exit_code == 1
    assert "content/forums/2025-09-draft.yaml:5:9: dates[0]: '2025-09-31' is not a valid date" in refused.stderr
    assert "has 1 error: fix them, then run `digest ready 2025-09-draft` again" in refused.stderr

    path.write_text(DRAFT, encoding="utf-8")
    done = run(with_draft, "ready", "2025-09-draft", "--force")
    assert done.exit_code == 0, done.output
    assert path.read_text(encoding="utf-8") == DRAFT.replace(
        "status: draft  # until `digest ready 2025-09-draft`: a draft is never sent", "status: ready"
    )
    assert "left as it is: content/forums/2025-09-draft.yaml:11: item dr-salt-waiting:" in done.stderr
    again = run(with_draft, "ready", "2025-09-draft")
    assert again.exit_code == 1 and "is ready already" in again.stderr


def test_build_leaves_a_draft_out_of_the_archive(with_draft: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = run(with_draft, "build", "--as-of", AS_OF, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (
        "2025-09-draft: a draft, left out of the archive (`digest ready 2025-09-draft` publishes it)" in result.output
    )
    published = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "Test SENCO Forum" in published
    assert "Draft SENCO Forum" not in published and "dr-salt-waiting" not in published
    asked = run(with_draft, "build", "--forum", "2025-09-draft", "--out", str(out))
    assert asked.exit_code == 1 and "forum '2025-09-draft' is a draft: it is not published" in asked.stderr


# -- one broken forum file blocks nothing else ----------------------------------------------------
BROKEN = """\
id: 2025-10-broken
title: Half-edited forum
dates: [2025-10-01]
sections:
  - id: s
    title: S
    items:
      - id: half-edited
        question: What is this?
        status: answred
"""


def test_a_broken_forum_file_blocks_no_other_forums_send_and_is_reported_loudly(site_dir: Path) -> None:
    add_readers(site_dir)
    (site_dir / "content" / "forums" / "2025-10-broken.yaml").write_text(BROKEN, encoding="utf-8")
    f = "content/forums/2025-10-broken.yaml"
    sent = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF)
    assert sent.exit_code == 0, sent.output
    assert len(outbox(site_dir)) == 5
    assert f"{f}:10:17: sections[0].items[0].status: 'answred' is not allowed here" in sent.stderr
    assert (
        f"{f}: forum '2025-10-broken' did not load (1 error): nothing of it is sent until they are fixed; "
        "the other forums are sent as usual"
    ) in sent.stderr
    follow = run(site_dir, "send", "--forum", FORUM, "--follow-up", "--as-of", AS_OF)
    assert follow.exit_code == 0 and "nobody is due a follow-up of 2025-07-test" in follow.output
    asked = run(site_dir, "send", "--forum", "2025-10-broken", "--as-of", AS_OF)
    assert asked.exit_code == 1
    assert f"{f}:10:17: sections[0].items[0].status: 'answred' is not allowed here" in asked.stderr
    assert "\nforum '2025-10-broken' did not load: 1 error in " + f in asked.stderr
    assert len(outbox(site_dir)) == 5
    check = run(site_dir, "check")
    assert check.exit_code == 1  # digest check still fails on it


def test_an_error_every_send_reads_still_stops_the_send(site_dir: Path) -> None:
    add_readers(site_dir)
    contacts = site_dir / "content" / "contacts.yaml"
    contacts.write_text(contacts.read_text(encoding="utf-8") + "  - id: Bad Id\n    name: x\n", encoding="utf-8")
    result = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF)
    assert result.exit_code == 1 and "in content every send reads" in result.stderr
    assert outbox(site_dir) == []


def test_a_draft_is_never_among_the_earlier_forums_a_digest_lists_answers_of(site_dir: Path) -> None:
    from digest.delivery import since

    forums = site_dir / "content" / "forums"
    (forums / "2025-06-draft.yaml").write_text(
        DRAFT.replace("2025-09-draft", "2025-06-draft").replace("2025-09-20", "2025-06-20"), encoding="utf-8"
    )
    site = load_site(load_settings(site_dir))
    assert since.earlier(site, site.forums[FORUM]) == []
    ready = (forums / "2025-06-draft.yaml").read_text(encoding="utf-8").replace("status: draft", "status: ready")
    (forums / "2025-06-draft.yaml").write_text(ready, encoding="utf-8")
    site = load_site(load_settings(site_dir))
    assert [f.id for f in since.earlier(site, site.forums[FORUM])] == ["2025-06-draft"]


def test_a_schedule_run_by_hand_sends_beside_a_broken_forum_file_and_names_it(site_dir: Path) -> None:
    add_readers(site_dir)
    (site_dir / "content" / "forums" / "2025-10-broken.yaml").write_text(BROKEN, encoding="utf-8")
    (site_dir / "schedules").mkdir()
    (site_dir / "schedules" / "post.yaml").write_text(
        f"name: post\ntrigger:\n  dates: [2025-07-11T16:00]\nsend:\n  kind: forum-digest\n  forum: {FORUM}\n"
    )
    (site_dir / "schedules" / "half.yaml").write_text(
        "name: half\ntrigger:\n  dates: [2025-10-02T16:00]\nsend:\n  kind: forum-digest\n  forum: 2025-10-broken\n"
    )
    result = run(site_dir, "schedules", "run", "post", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "forum '2025-10-broken' did not load (1 error): nothing of it is sent until they are fixed" in result.stderr
    assert len(outbox(site_dir)) == 5
    half = run(site_dir, "schedules", "run", "half", "--as-of", "2025-10-02")
    assert half.exit_code == 1
    assert "half @ 2025-10-02 (run by hand): failed: content/forums/2025-10-broken.yaml:10:17:" in half.output
    assert len(outbox(site_dir)) == 5


def test_reminders_go_out_beside_a_broken_forum_file(site_dir: Path) -> None:
    from support.schedules import WEEKLY, write_schedule

    add_readers(site_dir)
    (site_dir / "content" / "forums" / "2025-10-broken.yaml").write_text(BROKEN, encoding="utf-8")
    write_schedule(site_dir, WEEKLY)
    result = run(site_dir, "schedules", "run", "weekly", "--as-of", "2025-09-15")
    assert result.exit_code == 0, result.output
    assert "weekly @ 2025-09-15 (run by hand): sent" in result.output
    assert "content/forums/2025-10-broken.yaml: forum '2025-10-broken' did not load (1 error)" in result.stderr
    assert outbox(site_dir)  # the week's dates went to the readers they apply to
