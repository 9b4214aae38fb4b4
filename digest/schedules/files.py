"""Schedules: schedules/*.yaml read and checked like content, and their fire times.

Each file names one schedule: when it fires (cron fields or given dates, always
Europe/London wall-clock time), what it sends (a kind from digest.schedules.kinds), to whom, with
which subject and transport, how late a run may still go out (grace), and when it stays
quiet (nothing new; school holidays: the days between the terms of content/terms.yaml, the
county's published term dates, and any closures schedules/terms.yaml adds). Mistakes are reported as
`schedules/x.yaml:LINE:COL: field.path: message (hint)`, like content.

Fire times and clock changes are digest.triggers' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from digest import fmt
from digest.content.actions import Term, read_terms
from digest.content.audience import Profile, Rule
from digest.content.load import Site, read_model
from digest.content.model import Audience, LocalTime, Slug, Strict, field_error
from digest.content.validation import from_pydantic
from digest.content.yamlio import Located
from digest.errors import DigestError, Problem, Problems, suggest
from digest.fmt import LONDON, plural
from digest.schedules.kinds import KINDS
from digest.schedules.triggers import DatesTrigger, LondonCron, next_fires

if TYPE_CHECKING:
    from digest.settings import Settings

TERMS = "terms.yaml"
PROBE_YEARS = 2199  # cron fields without a year that match no date from 2000 to then never match
# Spaces are dropped before matching ('1h 30m'), and each count has at most six digits
# (999999d is under timedelta's limit): every repeat is bounded, so a match takes time
# in proportion to the text, never more (see tests/content/test_patterns.py).
_DURATION = re.compile(r"(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?")


def _duration(value: Any) -> Any:
    """'30m', '6h', '2d', '1h30m' -> timedelta."""
    m = _DURATION.fullmatch("".join(value.split())) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        raise field_error("", f"'{value}' is not a duration", "write e.g. 30m, 6h, 2d or 1h30m")
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=s)


def _cron_value(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
CronValue = Annotated[str, BeforeValidator(_cron_value)]


class Cron(Strict):
    """APScheduler's cron fields, as wall-clock times in Europe/London."""

    year: CronValue | None = None
    month: CronValue | None = None
    day: CronValue | None = None
    week: CronValue | None = None
    day_of_week: CronValue | None = None
    hour: CronValue | None = None
    minute: CronValue | None = None
    second: CronValue | None = None

    def fields(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}

    @model_validator(mode="after")
    def _valid(self) -> Cron:
        if not self.fields():
            raise field_error("", "no cron fields", "give e.g. `{day_of_week: mon, hour: 7, minute: 0}`")
        if self.day_of_week and re.search(r"\d", self.day_of_week):
            raise field_error(
                "day_of_week",
                f"'{self.day_of_week}': write day names, not numbers",
                "use mon, tue, wed, thu, fri, sat or sun: cron counts 0 as Sunday, APScheduler as Monday",
            )
        for name, value in self.fields().items():
            try:
                CronTrigger(timezone=LONDON, **{name: value})
            except ValueError as exc:
                raise field_error(name, str(exc), "see the cron fields in docs/scheduling.md") from None
        # without a year, fields that match no date in two centuries match none (weekdays and
        # ISO weeks repeat within them); APScheduler would search on to the year 9999, seconds
        # of work for fields such as week 53 in January on a Monday
        probe = {"year": f"2000-{PROBE_YEARS}"} | self.fields()
        if LondonCron(**probe).get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=LONDON)) is None:
            raise field_error("", "these cron fields never match a date", "check day and month")
        return self


class Trigger(Strict):
    cron: Cron | None = None
    dates: list[LocalTime] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if (self.cron is None) == (self.dates is None):
            raise field_error(
                "", "give either `cron:` or `dates:`", "cron fields for a repeating schedule, dates for given days"
            )
        return self


class Holiday(Strict):
    name: str = ""
    first: date = Field(alias="from")
    last: date = Field(alias="to")

    @model_validator(mode="after")
    def _order(self) -> Holiday:
        if self.last < self.first:
            raise field_error("to", "`to` is before `from`", "both dates are included: from the first day to the last")
        return self

    def label(self) -> str:
        return self.name or f"holiday {self.first} to {self.last}"


class Skip(Strict):
    nothing_new: bool = True  # no send when there is nothing new (a forum already sent; no dates for anyone)
    school_holidays: bool = False  # no send between terms (content/terms.yaml) or on schedules/terms.yaml's closures
    holidays: list[Holiday] = []  # more days off, for this schedule only


class ScheduleFile(Strict):
    name: Slug
    description: str | None = None
    trigger: Trigger
    send: dict[str, Any]  # `kind:` and that kind's options (digest.kinds)
    audience: Audience | None = None
    subject: str | None = None  # Jinja, e.g. "{{ forum.title }}: {{ count }} answers for you"
    transport: Literal["outbox", "smtp", "api"] | None = None  # default: delivery.transport
    grace: Duration = timedelta(hours=1)  # a run may still go out this long after its time
    skip: Skip = Skip()
    paused: bool = False


class Terms(Strict):
    holidays: list[Holiday] = []  # closures besides the gaps between terms (e.g. a day the county closes schools)


# The holiday that follows each of the six terms of an English school year.
_AFTER_TERM = {
    1: "October half term",
    2: "Christmas holiday",
    3: "February half term",
    4: "Easter holiday",
    5: "May half term",
    6: "summer holiday",
}


def term_holidays(terms: list[Term]) -> tuple[tuple[Holiday, ...], date | None]:
    """The school holidays the term dates imply: every gap of a day or more between one term's
    last day and the next term's first, named after the term it follows; and the last day
    the dates cover (None: no terms). Past that day, nothing is known to be a holiday."""
    ordered = sorted(terms, key=lambda t: t.start)
    out = []
    for before, after in zip(ordered, ordered[1:], strict=False):
        first, last = before.end + timedelta(days=1), after.start - timedelta(days=1)
        if first <= last:
            name = _AFTER_TERM.get(before.term, f"the holiday after Term {before.term}")
            out.append(Holiday.model_validate({"name": name, "from": first, "to": last}))
    return tuple(out), max((t.end for t in ordered), default=None)


# -- the loaded schedule --------------------------------------------------------------------------
@dataclass
class Schedule:
    spec: ScheduleFile
    options: Any  # the kind's options model
    rule: Rule
    holidays: tuple[Holiday, ...]
    file: str
    term_dates_end: date | None = None  # school_holidays: the last day content/terms.yaml covers

    def beyond_term_dates(self, day: date) -> bool:
        """school_holidays is set but the term dates stop before `day`: it is not known to be a
        school day, and the run goes ahead (a send is not dropped on a guess)."""
        return self.spec.skip.school_holidays and self.term_dates_end is not None and day > self.term_dates_end

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.options.kind

    @property
    def grace(self) -> timedelta:
        return self.spec.grace

    def trigger(self) -> BaseTrigger:
        t = self.spec.trigger
        return LondonCron(**t.cron.fields()) if t.cron else DatesTrigger(t.dates or [])

    def holiday_on(self, day: date) -> Holiday | None:
        return next((h for h in self.holidays if h.first <= day <= h.last), None)

    def same_as(self, other: Schedule) -> bool:
        return self.spec == other.spec and self.holidays == other.holidays

    def describe(self, site: Site, readers: dict[Profile, int] | None = None) -> str:
        """'dates in the next 7 days, to Swale (12 readers); cron day_of_week=fri hour=15 minute=0; grace 2h'

        readers: how many readers have each profile now (counted for the audience), if known."""
        what = KINDS[self.kind].describe(self.options)
        who = site.taxonomy.describe(self.rule) or "everyone"
        if readers is not None:
            n = sum(count for profile, count in readers.items() if self.rule.matches(profile))
            who += f" ({plural(n, 'reader')} now)"
        t = self.spec.trigger
        if t.cron:
            when = "cron " + " ".join(f"{k}={v}" for k, v in t.cron.fields().items())
        else:
            when = "on " + ", ".join(fmt.moment(d) for d in sorted(t.dates or []))
        return f"{what}, to {who}; {when}; grace {fmt.duration(self.grace)}" + (" (paused)" if self.spec.paused else "")


# -- loading --------------------------------------------------------------------------------------
def load_schedules(settings: Settings, site: Site) -> tuple[list[Schedule], list[Problem]]:
    """Every schedule in schedules/ checked against the content; (schedules, problems)."""
    folder = settings.path("schedules")
    problems: list[Problem] = []
    if not folder.is_dir():
        return [], problems
    closures: Terms | None = Terms()
    if (folder / TERMS).exists():
        closures, _ = read_model(folder / TERMS, settings.root, Terms, problems)
    # content/terms.yaml's own mistakes are reported with the content's
    by_term, _ = read_terms(settings.path("content"), settings.root, Problems(), read_model)
    between, covered = term_holidays(list(by_term.values()))
    terms = None if closures is None else _SchoolHolidays(between + tuple(closures.holidays), covered)
    out = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name != TERMS:
            spec, src = read_model(path, settings.root, ScheduleFile, problems)
            if spec is not None and src is not None:
                found = _check(spec, src, path, site, terms, problems)
                if found is not None:
                    out.append(found)
    return out, sorted(problems)


@dataclass(frozen=True)
class _SchoolHolidays:
    holidays: tuple[Holiday, ...]
    covered: date | None  # the last day the term dates cover


def _check(
    spec: ScheduleFile, src: Located, path: Path, site: Site, terms: _SchoolHolidays | None, problems: list[Problem]
) -> Schedule | None:
    errors = len(problems)
    if spec.name != path.stem:
        problems.append(
            src.problem(
                ("name",),
                f"name '{spec.name}' differs from the file name",
                f"rename the file to {spec.name}.yaml or set `name: {path.stem}`",
                value=True,
            )
        )
    kind, options = spec.send.get("kind"), None
    every_kind = "write `kind: " + "` or `kind: ".join(KINDS) + "`"
    if kind is None:
        problems.append(src.problem(("send",), "'kind' is required", every_kind.replace("write", "add", 1)))
    elif not isinstance(kind, str):  # `send:` is free-form until its kind is known: check the kind's shape first
        one = kind[0] if isinstance(kind, list) and len(kind) == 1 and isinstance(kind[0], str) else None
        hint = f"write `kind: {one}`" if one in KINDS else every_kind
        problems.append(
            src.problem(
                ("send", "kind"),
                f"expected one kind as text, got {type(kind).__name__} {kind!r:.60}",
                hint,
                value=True,
            )
        )
    elif kind not in KINDS:
        problems.append(
            src.problem(
                ("send", "kind"), f"'{kind}' is not a kind of schedule", suggest(str(kind), list(KINDS)), value=True
            )
        )
    else:
        try:
            options = KINDS[kind].options.model_validate(spec.send)
        except ValidationError as exc:
            problems.extend(from_pydantic(exc, src, KINDS[kind].options, base=("send",)))
    forum = getattr(options, "forum", None)
    # its forum's file did not load: one line there says so, not one per schedule; the schedule
    # is kept, so that the scheduler says at each fire why it cannot send (never drops it silently)
    broken = isinstance(forum, str) and site.refers_to_broken(forum, "schedule")
    if options is not None and not broken:
        problems.extend(KINDS[kind].check(options, site, src))
    rule, errs = site.taxonomy.resolve(spec.audience, src, ("audience",))
    problems.extend(errs)
    for i, when in enumerate(spec.trigger.dates or []):
        if when.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != when.replace(tzinfo=None):
            problems.append(
                src.problem(
                    ("trigger", "dates", i),
                    f"{when:%Y-%m-%d %H:%M} does not exist in Europe/London: the clocks go forward at 01:00",
                    "pick a time outside 01:00 to 02:00 on that day",
                    value=True,
                )
            )
    if spec.skip.school_holidays and (terms is None or (terms.covered is None and not terms.holidays)):
        problems.append(
            src.problem(
                ("skip", "school_holidays"),
                "schedules/terms.yaml has mistakes" if terms is None else "no school holidays are known",
                "fix schedules/terms.yaml (its lines are listed)"
                if terms is None
                else "add the county's term dates to content/terms.yaml: see docs/content.md",
                value=True,
            )
        )
    if len(problems) > errors or options is None:
        return None
    school = terms if terms and spec.skip.school_holidays else _SchoolHolidays((), None)
    schedule = Schedule(spec, options, rule, tuple(spec.skip.holidays) + school.holidays, src.file, school.covered)
    if spec.subject is not None and not broken:
        problems.extend(_check_subject(schedule, src, site))
    return None if len(problems) > errors else schedule


def _check_subject(schedule: Schedule, src: Located, site: Site) -> list[Problem]:
    from digest.schedules.subjects import render_subject, subject_template

    try:
        template = subject_template(schedule.spec.subject or "")
    except DigestError as exc:  # syntax, length, a loop: at the subject's line
        message = exc.message.removeprefix("subject: ")
        hint = "see the subject variables in docs/scheduling.md" if message.startswith("template: ") else ""
        return [src.problem(("subject",), message, hint, value=True)]
    sample = {"schedule": schedule.name, "date": fmt.day(date(2026, 1, 5))} | KINDS[schedule.kind].sample(
        schedule.options, site
    )
    try:
        render_subject(template, sample)
    except DigestError as exc:
        message = exc.message.removeprefix("subject: ")
        return [src.problem(("subject",), message, "", value=True)]
    return []


def load_or_fail(settings: Settings, site: Site) -> list[Schedule]:
    schedules, problems = load_schedules(settings, site)
    if problems:
        raise DigestError(
            f"{fmt.plural(len(problems), 'error')} in schedules; fix them and run `digest check` again",
            sorted(problems),
        )
    return schedules


def find(schedules: list[Schedule], name: str) -> Schedule:
    for s in schedules:
        if s.name == name:
            return s
    raise DigestError(
        f"no schedule '{name}'; {suggest(name, [s.name for s in schedules]) or 'none exist in schedules/'}"
    )


def listing(
    schedules: list[Schedule], site: Site, after: datetime, n: int = 3, readers: dict[Profile, int] | None = None
) -> list[str]:
    """`digest schedules`: each schedule, what it sends and to how many, and its next n fire times in local time."""
    lines = []
    for s in schedules:
        lines.append(f"{s.name}: {s.describe(site, readers)}")
        fires = next_fires(s.trigger(), after, n)
        for fire in fires:
            day = fire.astimezone(LONDON).date()
            holiday = s.holiday_on(day)
            note = f"  (skipped: {holiday.label()})" if holiday else ""
            if not holiday and s.beyond_term_dates(day):
                note = "  (sent: past the term dates in content/terms.yaml, so not known to be a holiday)"
            lines.append(f"  {fmt.moment(fire)}{note}")
        if not fires:
            lines.append("  no further runs")
    return lines or [f"no schedules in {site.settings.paths.schedules}/ (see docs/scheduling.md)"]
