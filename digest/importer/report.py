"""What `digest import` prints: what it found, what to check by hand, and what
`digest check` says of the draft. Personal data that was removed is named here, on the
organiser's screen, so they can see it is gone; it is never written to the draft."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.fmt import plural

if TYPE_CHECKING:
    from digest.importer.run import Result

SHOWN = 12  # lines of a list before "... and N more"


def _list(lines: list[str]) -> list[str]:
    out = [f"    {line}" for line in lines[:SHOWN]]
    if len(lines) > SHOWN:
        out.append(f"    ... and {len(lines) - SHOWN} more (see the comments in the file)")
    return out


def report(result: Result) -> str:
    d, f = result.draft, result.draft.findings
    items = d.items
    pending = [i for i in items if i.status == "pending"]
    feedback = [i for i in items if i.kind == "feedback"]
    merged = [i for i in items if i.asked > 1]
    suggested = [i for i in items if i.suggestions and "audience" not in i.kept]
    sections = {i.section for i in items}
    dates = " and ".join(str(x) for x in d.kept.get("dates", d.dates))
    lines = [
        f"Read {result.source.name} ({result.read_as}, {d.layout} layout)",
        f"Wrote {result.shown}: a draft of '{d.kept.get('title', d.title)}', {dates}",
        f"  {plural(len(sections), 'section')}, {plural(len(items), 'item')} ({len(feedback)} of them feedback), "
        f"{len(pending)} pending, {len(merged)} merged from duplicates",
    ]
    if f.words.get("total"):
        w = f.words
        parts = [f"{w[k]} {label}" for k, label in (
            ("questions", "in questions"), ("answers", "in answers"), ("intro", "in the intro"),
            ("feedback", "in feedback"), ("headings", "in the title and headings"),
            ("lead", "naming the officer who leads"), ("furniture", "in page headers repeated on every page"), ("other", "in labels, numbers and links"),
            ("not placed", "not placed"),
        ) if w.get(k)]  # fmt: skip
        lines.append(f"  Words: {w['total']} in the document: " + ", ".join(parts))
    if d.no_date:
        lines.append("  No date found in the document: today's date stands in; put in the forum's dates")
    if pending:
        lines.append(f"  Pending, with the answer still to come ({len(pending)}): check each")
        lines += _list([f"{i.id}: {i.status_note or i.status}" for i in pending])
    if feedback:
        lines.append(f"  Feedback, never sent as an item ({len(feedback)}): " + ", ".join(i.id for i in feedback[:6]))
        if len(feedback) > 6:
            lines[-1] += f" and {len(feedback) - 6} more"
    if merged:
        lines.append(f"  Duplicates merged ({len(merged)}): the answers kept where they differ")
        lines += _list([f"{i.id}: asked {i.asked} ({', '.join(dict.fromkeys(i.merged))})" for i in merged])
    if f.joined_rows:
        lines.append(f"  Table rows joined to the row above (cut by a page break): {f.joined_rows}")
    if suggested:
        n = sum(len(i.suggestions) for i in suggested)
        lines.append(
            f"  Audience suggestions: {n} on {plural(len(suggested), 'item')}, as comments: confirm or delete "
            "each (until then the item goes to everyone)"
        )
    if f.removed or f.elsewhere:
        removed = f.elsewhere + f.removed
        lines.append(f"  Personal data removed ({len(removed)}), never written to the draft:")
        lines += _list([f"{where}: {r.kind} '{r.text}'" for where, r in removed])
        if f.echoes:
            lines.append(f"    and {plural(f.echoes, 'repeat')} of them elsewhere in the document, answers included")
    if f.officer_addresses:
        lines.append(f"  Officers' own addresses in answers ({len(f.officer_addresses)}): put in the team's contact")
        lines += _list([f"{item_id}: {address}" for item_id, address in f.officer_addresses])
    if f.placeholders:
        lines.append(f"  Placeholder links ({len(f.placeholders)}): put in the real address")
        lines += _list([f"{item_id}: {link}" for item_id, link in f.placeholders])
    if f.cut:
        lines.append(
            f"  Headlines and summaries cut at 15 and 40 words ({len(f.cut)}): write shorter ones (marked in the file)"
        )
    if d.skipped:
        lines.append(f"  Not placed, fitting no heading or question ({len(d.skipped)}): check none is lost")
        lines += _list([repr(text[:80]) for text in d.skipped])
    if result.changes is not None:
        c = result.changes
        lines.append(f"  Imported over the existing file: {len(c.kept)} items kept as you edited them")
        for label, ids in (
            ("new", c.new),
            ("answers changed", c.changed),
            ("answers arrived (pending before)", c.arrived),
            ("summaries you wrote over a changed answer: check them", c.check_summary),
            ("no longer in the document (kept, with a note)", c.gone),
        ):
            if ids:
                lines.append(f"    {label} ({len(ids)}): " + ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else ""))
    lines.append("")
    lines += check_lines(result)
    lines.append(f"Done in {result.seconds:.2f} s. Then: digest preview --forum {d.id}")
    return "\n".join(lines)


def check_lines(result: Result) -> list[str]:
    if result.unchecked:
        return [f"Not checked: {result.unchecked}. Run digest check inside the project."]
    errors = len(result.errors)
    warnings = len(result.problems) - errors
    lines = [f"digest check of the draft: {plural(errors, 'error')}, {plural(warnings, 'warning')}"]
    lines += [f"  {p}" for p in result.problems]
    if result.elsewhere:
        lines.append(f"  and {plural(result.elsewhere, 'error')} in other content files: run digest check")
    return lines
