"""What a content file that did not validate as a whole still says: its items' audiences
and contacts as written, and the entries of events.yaml or contacts.yaml that validate on
their own. digest.content.load checks those too, so that one run of `digest check`
reports every mistake of a file, not only its shape errors."""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from digest.content.model import Audience
from digest.content.yamlio import Located
from digest.errors import WARNING, Problem
from digest.fmt import plural


def references(data: Any) -> list[tuple[tuple, Audience | None, str | None]]:
    """(path, audience, answered_by) of each item of a forum file that did not validate as a
    whole, taken from the YAML as written, so that a misspelt district or contact is found
    in the same run as the file's other mistakes (their own shape errors are reported already)."""
    out: list[tuple[tuple, Audience | None, str | None]] = []
    sections = data.get("sections") if isinstance(data, dict) else None
    for si, section in enumerate(sections if isinstance(sections, list) else []):
        items = section.get("items") if isinstance(section, dict) else None
        for ii, raw in enumerate(items if isinstance(items, list) else []):
            if not isinstance(raw, dict):
                continue
            audience = None
            if raw.get("audience") is not None:
                with contextlib.suppress(ValidationError):  # its shape errors are reported already
                    audience = Audience.model_validate(raw["audience"])
            contact = raw.get("answered_by")
            out.append((("sections", si, "items", ii), audience, contact if isinstance(contact, str) else None))
    return out


def valid_entries(src: Located | None, key: str, model: type[BaseModel]) -> list[Any]:
    """The entries of events.yaml or contacts.yaml that validate on their own, when the
    file as a whole did not: their references are still checked in the same run."""
    rows = src.data.get(key) if src is not None and isinstance(src.data, dict) else None
    out = []
    for raw in rows if isinstance(rows, list) else []:
        try:
            out.append(model.model_validate(raw))
        except ValidationError:
            continue
    return out


def dependent_notes(broken: dict[str, str], dependents: dict[str, Counter]) -> list[Problem]:
    """One warning per forum file that did not load, at that file, saying what refers to it
    ('2 events and 3 schedules'), instead of an error for each reference."""
    out = []
    for forum_id, counts in sorted(dependents.items()):
        things = " and ".join(plural(n, kind) for kind, n in sorted(counts.items()))
        verb = "refer" if sum(counts.values()) != 1 else "refers"
        out.append(
            Problem(
                broken[forum_id],
                1,
                1,
                "",
                f"{things} {verb} to forum '{forum_id}', which did not load",
                "fix the errors in this file above; those are checked again then",
                WARNING,
            )
        )
    return out
