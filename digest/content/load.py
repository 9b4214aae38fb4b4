"""Stage 1: read content/*.yaml into a validated Site, collecting every problem.

Shape errors come from the pydantic models (digest.model) and are translated into
`file:line:column: field.path: message (hint)`; cross-file rules (audience names,
duplicate ids, references) are checked here. Nothing is half-loaded: a Site with any
error is not used to render.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from digest.content import actions as act
from digest.content import synonyms as syn
from digest.content.audience import EVERYONE, Rule, Tax
from digest.content.model import Audience, Contact, Contacts, Event, Events, Forum, Taxonomy
from digest.content.partial import dependent_notes, references, valid_entries
from digest.content.updates import check_updates
from digest.content.validation import validate
from digest.content.yamlio import Located, derived, load_yaml, parse_yaml
from digest.errors import DigestError, Problem, Problems, display_path, suggest
from digest.fmt import plural
from digest.settings import Settings


@dataclass
class Site:
    settings: Settings
    taxonomy: Tax
    forums: dict[str, Forum]
    events: list[Event]
    contacts: list[Contact]
    # "item:<id>", "event:<id>", "contact:<id>", and "forum:<id>", "section:<forum>/<id>" whose
    # audiences their items inherit (an item's rule already includes what it inherits)
    rules: dict[str, Rule] = field(default_factory=dict)
    origins: dict[str, tuple[Located, tuple]] = field(default_factory=dict)  # same keys: where it is written
    problems: Problems = field(default_factory=Problems)
    synonyms: syn.Synonyms = field(default_factory=syn.Synonyms)  # content/synonyms.yaml, for search
    # forum files that did not load (id from the file name -> the file as shown): what refers
    # to one is not reported once per reference, but counted in `dependents` for one line
    broken: dict[str, str] = field(default_factory=dict)
    dependents: dict[str, Counter] = field(default_factory=dict)
    due: dict[str, act.Due] = field(default_factory=dict)  # item id -> its `by:` as a date (content/actions.py)
    # forum files left out so that the rest can be sent (content/usable.py): id -> their errors
    set_aside: dict[str, list[Problem]] = field(default_factory=dict)

    def refers_to_broken(self, forum_id: str, what: str) -> bool:
        """True (and counted) when forum_id names a forum file that did not load."""
        if forum_id not in self.broken:
            return False
        self.dependents.setdefault(forum_id, Counter())[what] += 1
        return True

    def dependent_notes(self) -> list[Problem]:
        """One line per broken forum file about what refers to it, after its own errors."""
        return dependent_notes(self.broken, self.dependents)

    def rule(self, kind: str, id: str) -> Rule:
        return self.rules[f"{kind}:{id}"]

    def forum(self, forum_id: str) -> Forum:
        if forum_id in self.set_aside:
            errors = self.set_aside[forum_id]
            raise DigestError(
                f"forum '{forum_id}' did not load: {plural(len(errors), 'error')} in {errors[0].file}; fix them "
                "and run `digest check` again (the other forums are not affected)",
                errors,
            )
        if forum_id not in self.forums:
            raise DigestError(f"no forum '{forum_id}'; {suggest(forum_id, list(self.forums)) or 'none exist'}")
        return self.forums[forum_id]

    def where(self, key: str) -> tuple[str, int]:
        src, path = self.origins[key]
        return src.file, src.where(path)[0]


# -- loading ----------------------------------------------------------------------------------
def read_model(
    path: Path, root: Path, model: type[BaseModel], problems: Problems | list[Problem], text: str | None = None
) -> tuple[Any, Located | None]:
    """One YAML file (or text, as its content) into model, every problem added; None if unusable.
    Bytes read before are neither parsed nor validated again (models are frozen: shared)."""
    shown = display_path(path, root)
    src, errs = load_yaml(path, shown, remember=True) if text is None else parse_yaml(text, shown)
    problems.extend(errs)
    if src is None:
        return None, None
    obj, errs = derived(src, model, lambda: validate(src, model))
    problems.extend(errs)
    return obj, src


def read_synonyms(content: Path, root: Path, problems: Problems) -> syn.Synonyms:
    """content/synonyms.yaml (absent: none), every problem added to problems."""
    path = content / syn.FILE
    if not path.exists():
        return syn.Synonyms()
    src, errs = load_yaml(path, display_path(path, root))
    found = syn.Synonyms()
    if src is not None:
        errs = syn.shape(src)
        model, more = (None, []) if errs else validate(src, syn.SynonymsFile)
        errs += more
        if model is not None:
            found, errs = syn.grouped(src, model)
    problems.extend(errs)
    return found


def load_taxonomy(settings: Settings) -> Tax:
    """Only the taxonomy (for commands that validate readers' districts and phases)."""
    problems = Problems()
    model, _ = read_model(settings.path("content") / "taxonomy.yaml", settings.root, Taxonomy, problems)
    if model is None:
        raise DigestError("cannot continue without a valid taxonomy", problems.errors)
    return Tax(model)


def load_site(settings: Settings, texts: Mapping[Path, str] | None = None) -> Site:
    """Load and cross-check all content; the Site's problems hold every error and warning.
    texts: forum files read as these texts, not from disk (an edit checked before writing)."""
    root = settings.root
    content = settings.path("content")
    problems = Problems()
    if not content.is_dir():
        raise DigestError(
            f"content folder {display_path(content, root)} does not exist (set paths.content in digest.toml)"
        )

    tax = load_taxonomy(settings)

    forums: dict[str, tuple[Forum, Located]] = {}
    forum_files = sorted((content / "forums").glob("*.yaml"))
    if not forum_files:
        problems.add(
            Problem(display_path(content / "forums", root), 1, 1, "", "no forum files", "add content/forums/<id>.yaml")
        )
    broken: dict[str, str] = {}
    partial: list[tuple[Located, Any]] = []  # forum files that did not validate, read for their other mistakes
    for path in forum_files:
        forum, src = read_model(path, root, Forum, problems, (texts or {}).get(path))
        if forum is None:
            broken[path.stem] = display_path(path, root)
            if src is not None:
                partial.append((src, src.data))
            continue
        if forum.id != path.stem:
            problems.add(
                src.problem(
                    ("id",),
                    f"id '{forum.id}' differs from the file name",
                    f"rename the file to {forum.id}.yaml or set `id: {path.stem}`",
                )
            )
        forums[forum.id] = (forum, src)

    events: list[Event] = []
    esrc = None
    if (content / "events.yaml").exists():
        ev, esrc = read_model(content / "events.yaml", root, Events, problems)
        events = list(ev.events) if ev else valid_entries(esrc, "events", Event)
    contacts: list[Contact] = []
    csrc, contacts_ok = None, True
    if (content / "contacts.yaml").exists():
        cs, csrc = read_model(content / "contacts.yaml", root, Contacts, problems)
        contacts, contacts_ok = (list(cs.contacts), True) if cs else (valid_entries(csrc, "contacts", Contact), False)

    site = Site(
        settings,
        tax,
        {k: f for k, (f, _) in sorted(forums.items(), key=lambda kv: kv[1][0].dates[0])},
        events,
        contacts,
        problems=problems,
        synonyms=read_synonyms(content, root, problems),
        broken=broken,
    )
    seen: dict[str, str] = {}

    def audience_of(key: str, audience: Audience | None, src: Located, path: tuple, outer: Rule = EVERYONE) -> Rule:
        """The rule of a forum, section or item: its own audience within what it inherits."""
        rule, errs = tax.resolve(audience, src, path + ("audience",))
        problems.extend(errs)
        if audience is None or audience.inherit:
            rule = rule.within(outer)
        site.rules[key] = rule
        site.origins.setdefault(key, (src, path))
        return rule

    def register(kind: str, obj: Any, src: Located, path: tuple, outer: Rule = EVERYONE) -> None:
        key = f"{kind}:{obj.id}"
        if key in site.origins:
            other_file, other_line = site.where(key)
            problems.add(
                src.problem(
                    path + ("id",),
                    f"{kind} id '{obj.id}' is used twice (also at {other_file}:{other_line})",
                    "give each a different id",
                    value=True,
                )
            )
            return
        audience_of(key, getattr(obj, "audience", None), src, path, outer)

    contact_ids = {c.id for c in contacts}
    for forum, src in forums.values():
        section_ids: set[str] = set()
        forum_rule = audience_of(f"forum:{forum.id}", forum.audience, src, ())
        for si, section in enumerate(forum.sections):
            if section.id in section_ids:
                problems.add(
                    src.problem(
                        ("sections", si, "id"),
                        f"section id '{section.id}' is used twice in this forum",
                        "give each a different id",
                    )
                )
            section_ids.add(section.id)
            section_rule = audience_of(
                f"section:{forum.id}/{section.id}", section.audience, src, ("sections", si), forum_rule
            )
            for ii, item in enumerate(section.items):
                path = ("sections", si, "items", ii)
                register("item", item, src, path, section_rule)
                seen[item.id] = forum.id
                if item.answered_by and contacts_ok and item.answered_by not in contact_ids:
                    problems.add(
                        src.problem(
                            path + ("answered_by",),
                            f"no contact '{item.answered_by}'",
                            suggest(item.answered_by, contact_ids) or "add it to content/contacts.yaml",
                            value=True,
                        )
                    )
    # A file that did not validate is still read for the mistakes the rest of the checks find
    # (a district, a contact), so that one run reports all of a file's mistakes.
    for src, data in partial:
        for path, audience, contact in references(data):
            if audience is not None:
                audience_of(f"partial:{src.file}:{path}", audience, src, path)
            if contact and contacts_ok and contact not in contact_ids:
                problems.add(
                    src.problem(
                        path + ("answered_by",),
                        f"no contact '{contact}'",
                        suggest(contact, contact_ids) or "add it to content/contacts.yaml",
                        value=True,
                    )
                )
    for key in [k for k in site.rules if k.startswith("partial:")]:
        del site.rules[key], site.origins[key]
    for ei, event in enumerate(events):
        register("event", event, esrc, ("events", ei))
        if event.forum and site.refers_to_broken(event.forum, "event"):
            pass  # counted: one line at the broken file says so
        elif event.forum and event.forum not in forums:
            problems.add(
                esrc.problem(
                    ("events", ei, "forum"), f"no forum '{event.forum}'", suggest(event.forum, list(forums)), value=True
                )
            )
        if event.repeat:
            for xi, day in enumerate(event.repeat.except_):
                if day.weekday() != event.day.weekday() or not event.day <= day <= event.repeat.until:
                    problems.add(
                        esrc.problem(
                            ("events", ei, "repeat", "except", xi),
                            f"{day} is not one of this event's weekly dates",
                            f"use a {event.day:%A} between {event.day:%Y-%m-%d} and {event.repeat.until}",
                            value=True,
                        )
                    )
    for ci, contact in enumerate(contacts):
        register("contact", contact, csrc, ("contacts", ci))
    problems.extend(check_updates(site))
    site.due = act.resolve(list(forums.values()), content, root, problems, read_model)
    return site


def load_or_fail(settings: Settings) -> Site:
    """Load content for a command that renders: any error stops it, naming every problem."""
    site = load_site(settings)
    if site.problems.errors:
        raise DigestError(
            f"{plural(len(site.problems.errors), 'error')} in content; fix them and run `digest check` again",
            site.problems.errors,
        )
    return site
