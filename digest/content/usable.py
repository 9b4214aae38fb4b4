"""The content a send can use: every forum that loads, whatever the state of the others.

`load_or_fail` refuses all content while any file has an error, which is right for
`digest build` (the archive is published whole) but wrong for sending: a half-edited
forum file must not stop another forum's digest, its follow-ups or the reminders.
`load_usable` sets aside each forum file with errors (they stay in `Site.set_aside`,
and asking for that forum raises them, so a command about it still fails loudly) and
refuses only errors outside the forum files (taxonomy, events, contacts), which every
send reads.
"""

from __future__ import annotations

from digest.content import todo
from digest.content.load import Site, load_site
from digest.errors import DigestError, Problem
from digest.fmt import plural
from digest.settings import Settings


def load_usable(settings: Settings) -> Site:
    site = load_site(settings)
    errors = site.problems.errors
    if not errors:
        return site
    files = {shown: forum_id for forum_id, shown in site.broken.items()}
    files |= {site.origins[f"forum:{fid}"][0].file: fid for fid in site.forums if f"forum:{fid}" in site.origins}
    held: dict[str, list[Problem]] = {}
    rest = []
    for problem in errors:
        forum_id = files.get(problem.file)
        if forum_id is None:
            rest.append(problem)
        else:
            held.setdefault(forum_id, []).append(problem)
    if rest:
        raise DigestError(
            f"{plural(len(rest), 'error')} in content every send reads; fix them and run `digest check` again",
            rest,
        )
    for forum_id, problems in held.items():
        site.forums.pop(forum_id, None)
        site.set_aside[forum_id] = problems
    return site


def aside_lines(site: Site, but: str | None = None) -> list[str]:
    """Each forum file set aside (but one, already reported), loudly: its errors, then what that means."""
    lines = []
    for forum_id, problems in sorted(site.set_aside.items()):
        if forum_id == but:
            continue
        lines += [str(p) for p in problems]
        lines.append(
            f"{problems[0].file}: forum '{forum_id}' did not load ({plural(len(problems), 'error')}): nothing of it "
            "is sent until they are fixed; the other forums are sent as usual"
        )
    return lines


def why_not(site: Site, forum_id: str) -> str:
    """Why forum_id cannot be sent now, or '' when it can."""
    if forum_id in site.set_aside:
        problems = site.set_aside[forum_id]
        return f"forum '{forum_id}' did not load: {plural(len(problems), 'error')}, the first {problems[0]}"
    if forum_id in site.broken:
        return f"forum '{forum_id}' did not load: {site.broken[forum_id]} has errors (see `digest check`)"
    forum = site.forums.get(forum_id)
    if forum is None:
        return f"no forum '{forum_id}'"
    if todo.is_draft(forum):
        return f"forum '{forum_id}' is a draft ({todo.counted(todo.of_forum(site, forum_id))}); `digest ready {forum_id}` when done"
    return ""


def unsendable(settings: Settings, forums: dict[str, str | None]) -> list[str]:
    """A line for each schedule (name -> the forum it sends, if any) whose forum cannot be
    sent now: a forum file that did not load, or a draft. The scheduler keeps such a
    schedule: each fire tries again and says why not."""
    try:
        site = load_usable(settings)
    except DigestError as exc:
        return [*exc.format_message().splitlines(), "every fire fails until the content is fixed"]
    out = []
    for name, forum_id in sorted(forums.items()):
        if forum_id and (why := why_not(site, forum_id)):
            out.append(f"{name}: cannot send now: {why}; each fire tries again and says why")
    return out
