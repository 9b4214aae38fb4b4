"""Who gets what: the taxonomy, a reader's profile, and audience rules.

A reader has one district, one or more phases and one or more settings (a Profile). An item,
event or contact has an audience, resolved here against the taxonomy into a Rule. A
reader gets the thing when the rule matches their profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import product

from digest.content.model import Audience, Taxonomy
from digest.content.yamlio import Located
from digest.errors import Problem, suggest

ALL_AGE = 3  # a school covering this many phases or more is "all-age" in plain words


@dataclass(frozen=True, order=True)
class Profile:
    """A reader's school: one district, one or more phases, one or more settings (an
    independent special school is both). A single setting may be given as a string."""

    district: str
    phases: tuple[str, ...]
    settings: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.settings, str):
            object.__setattr__(self, "settings", (self.settings,))

    def describe(self) -> str:
        """What the school is, in plain words: 'a primary mainstream school in Swale', 'an
        all-age independent special school in Dover', 'a primary and secondary special school'."""
        phases = "all-age" if len(self.phases) >= ALL_AGE else " and ".join(self.phases)
        # "independent" reads first: an independent special school, not a special independent one
        kinds = sorted(self.settings, key=lambda s: s != "independent")
        words = f"{phases} {' '.join(kinds) if len(kinds) <= 2 else ', '.join(kinds)}"
        return f"{'an' if words[:1] in 'aeiou' else 'a'} {words} school in {self.district}"

    @property
    def key(self) -> str:
        from digest.content.model import slug

        return slug(f"{self.district} {'+'.join(self.phases)} {'+'.join(self.settings)}")


@dataclass(frozen=True)
class Rule:
    """A resolved audience. None in a dimension means everyone."""

    districts: frozenset[str] | None = None
    phases: frozenset[str] | None = None
    settings: frozenset[str] | None = None
    not_districts: frozenset[str] = frozenset()
    not_phases: frozenset[str] = frozenset()
    not_settings: frozenset[str] = frozenset()

    @property
    def everyone(self) -> bool:
        return self == EVERYONE

    def within(self, outer: Rule) -> Rule:
        """This rule inside an inherited one: only readers both reach (exclusions add up)."""

        def meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
            return b if a is None else a if b is None else a & b

        return Rule(
            meet(self.districts, outer.districts),
            meet(self.phases, outer.phases),
            meet(self.settings, outer.settings),
            self.not_districts | outer.not_districts,
            self.not_phases | outer.not_phases,
            self.not_settings | outer.not_settings,
        )

    def matches(self, p: Profile) -> bool:
        if self.districts is not None and p.district not in self.districts:
            return False
        if self.phases is not None and self.phases.isdisjoint(p.phases):
            return False
        if self.settings is not None and self.settings.isdisjoint(p.settings):
            return False  # "special schools" reaches an independent special school
        if p.district in self.not_districts or not self.not_settings.isdisjoint(p.settings):
            return False  # "not open to independent schools" leaves it out
        return not (self.not_phases and set(p.phases) <= self.not_phases)


EVERYONE = Rule()


class Tax:
    """The taxonomy with its names resolved (matched without regard to case)."""

    def __init__(self, model: Taxonomy) -> None:
        self.model = model
        self.county = model.county
        self.areas = {area: list(ds) for area, ds in model.areas.items()}
        self.kent = [d for ds in self.areas.values() for d in ds]
        self.districts = self.kent + [d for d in model.out_of_county if d not in self.kent]
        self.phases = list(model.phases)
        self.settings = list(model.settings)
        self.area_of = {d: area for area, ds in self.areas.items() for d in ds}

    # -- names ---------------------------------------------------------------
    def district_names(self) -> dict[str, list[str]]:
        names = {d.lower(): [d] for d in self.districts}
        names.update({a.lower(): ds for a, ds in self.areas.items()})
        names[self.county.lower()] = list(self.kent)
        return names

    def canonical(self, kind: str, name: str) -> str | None:
        pool = {"district": self.districts, "phase": self.phases, "setting": self.settings}[kind]
        return next((c for c in pool if c.lower() == str(name).strip().lower()), None)

    def profiles(self) -> Iterator[Profile]:
        """Every single-phase profile: the matrix a build and a preview show."""
        for d, ph, st in product(self.districts, self.phases, self.settings):
            yield Profile(d, (ph,), st)

    def profile(self, district: str, phases: Iterable[str], settings: Iterable[str] | str) -> Profile:
        """A profile from names the caller has already validated (canonical order)."""
        d = self.canonical("district", district)
        ph = {self.canonical("phase", p) for p in phases}
        st = {self.canonical("setting", s) for s in ([settings] if isinstance(settings, str) else settings)}
        if d is None or None in ph or not ph or None in st or not st:
            raise ValueError(f"unknown profile {district!r} {phases!r} {settings!r}")
        return Profile(d, tuple(p for p in self.phases if p in ph), tuple(s for s in self.settings if s in st))

    # -- rules ---------------------------------------------------------------
    def resolve(self, audience: Audience | None, src: Located, path: tuple) -> tuple[Rule, list[Problem]]:
        if audience is None:
            return EVERYONE, []
        problems: list[Problem] = []
        dnames = self.district_names()

        def names(values: list[str] | None, kind: str, sub: tuple) -> frozenset[str] | None:
            if values is None:
                return None
            out: set[str] = set()
            for i, value in enumerate(values):
                if kind == "district" and value.lower() in dnames:
                    out.update(dnames[value.lower()])
                    continue
                canon = None if kind == "district" else self.canonical(kind, value)
                if canon is None:
                    pool = (
                        [*self.districts, *self.areas, self.county]
                        if kind == "district"
                        else (self.phases if kind == "phase" else self.settings)
                    )
                    article = "an" if kind[0] in "aeiou" else "a"
                    problems.append(
                        src.problem(path + sub + (i,), f"'{value}' is not {article} {kind}", suggest(value, pool))
                    )
                else:
                    out.add(canon)
            return frozenset(out)

        ex = audience.exclude
        rule = Rule(
            names(audience.districts, "district", ("districts",)),
            names(audience.phases, "phase", ("phases",)),
            names(audience.settings, "setting", ("settings",)),
            names(ex.districts, "district", ("exclude", "districts")) or frozenset() if ex else frozenset(),
            names(ex.phases, "phase", ("exclude", "phases")) or frozenset() if ex else frozenset(),
            names(ex.settings, "setting", ("exclude", "settings")) or frozenset() if ex else frozenset(),
        )
        # a misspelt name is reported once, not again as "reaches no reader"
        return (EVERYONE if problems else rule), problems

    def reach(self, rule: Rule) -> dict[str, list[str]]:
        """The districts, phases and settings a rule reaches, each in taxonomy order: what
        the archive's filters and the search index's filters hold. A rule narrows each of
        the three on its own, so a single-phase reader gets the thing exactly when their
        district, their phase and their setting are each in these lists."""
        cells = [
            (d, p, s)
            for d, p, s in product(self.districts, self.phases, self.settings)
            if rule.matches(Profile(d, (p,), s))
        ]
        return {
            "districts": [d for d in self.districts if any(c[0] == d for c in cells)],
            "phases": [p for p in self.phases if any(c[1] == p for c in cells)],
            "settings": [s for s in self.settings if any(c[2] == s for c in cells)],
        }

    def describe(self, rule: Rule) -> str:
        """A short label for a narrowed rule: 'Swale · primary' or 'not Medway'."""
        parts: list[str] = []
        if rule.districts is not None:
            parts.append(self._districts_label(rule.districts))
        if rule.phases is not None:
            parts.append(", ".join(p for p in self.phases if p in rule.phases))
        if rule.settings is not None:
            parts.append(", ".join(s for s in self.settings if s in rule.settings))
        label = " · ".join(parts)
        nots = [
            *sorted(rule.not_districts, key=self.districts.index),
            *(p for p in self.phases if p in rule.not_phases),
            *(s for s in self.settings if s in rule.not_settings),
        ]
        if nots:
            label = (label + "; " if label else "") + "not open to " + ", ".join(nots) + " schools"
        return label

    def narrowing(self, rule: Rule) -> dict[str, frozenset[str]]:
        """The dimensions a rule names positively and that leave some readers out: what makes
        a thing "for your school" (an exclusion, or "every Kent school", does not)."""
        out = {}
        if rule.districts is not None and rule.districts not in (frozenset(self.kent), frozenset(self.districts)):
            out["districts"] = rule.districts
        if rule.phases is not None and rule.phases != frozenset(self.phases):
            out["phases"] = rule.phases
        if rule.settings is not None and rule.settings != frozenset(self.settings):
            out["settings"] = rule.settings
        return out

    def for_whom(self, rule: Rule) -> str:
        """'For Swale schools', 'For primary schools', 'For East Kent special schools'; ''
        for a rule that names no one in particular."""
        named = self.narrowing(rule)
        if not named:
            return ""
        words = []
        if "districts" in named:
            words.append(self._districts_label(named["districts"]).replace(" schools", ""))
        if "phases" in named:
            words.append(" and ".join(p for p in self.phases if p in named["phases"]))
        if "settings" in named:
            words.append(" and ".join(s for s in self.settings if s in named["settings"]))
        return "For " + " ".join(words) + " schools"

    def _districts_label(self, districts: frozenset[str]) -> str:
        if districts == frozenset(self.kent):
            return f"{self.county} schools"
        for area, ds in self.areas.items():
            if districts == frozenset(ds):
                return f"{area} {self.county}"
        return ", ".join(d for d in self.districts if d in districts)
