"""Schedule subjects: an organiser's one-line Jinja template, compiled in a sandbox with
limits and refused if it makes more than one line or nothing at all.

Jinja's own sandbox stops attribute tricks, but not a template that divides by zero,
asks for `range(10**12)`, multiplies a string by a billion or raises a number to the
power of a power. A subject's template is the organiser's own little program, so every
way it can fail is their mistake, and a message at the subject's line (never an internal
error, never a hang):

- text, `{{ expressions }}`, `{% if %}` and `{% set %}` only: no loops, macros or
  includes, so the work a template does is bounded by its length;
- at most MAX_TEMPLATE characters;
- every string or list it makes (by `*`, `+`, `%`, a filter or a method) at most
  MAX_SIZE long, checked before the big ones are made; `range()` at most MAX_SIZE
  numbers; numbers at most MAX_BITS bits (`**` checked before it is worked out); sizes
  given to filters and methods (`center(n)`, `ljust(n)`, format widths) at most MAX_SIZE;
- no constant folding at compile time (Jinja's optimizer would run an expression such
  as `'x' * 10**10` while compiling);
- anything a template raises (division by zero, a bad argument, an index out of range)
  becomes a DigestError naming what went wrong.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from typing import Any

from digest.errors import DigestError

MAX_TEMPLATE = 1000  # characters of template: a subject is one line
MAX_SIZE = 1000  # characters or entries of any string or list a template makes; range(); widths
MAX_BITS = 1024  # bits of any whole number a template makes (about 300 digits)
ALLOWED_STATEMENTS = "text, {{ ... }}, {% if %} and {% set %}"


class Refused(Exception):
    """A subject template went past a limit; the message says which, in words."""


def subject_template(text: str) -> Any:
    """Compile a subject template in the limited sandbox; DigestError if it cannot be."""
    import jinja2

    if len(text) > MAX_TEMPLATE:
        raise DigestError(
            f"subject: the template is {len(text):,} characters long; a subject template has at most {MAX_TEMPLATE:,}"
        )
    env = _environment()
    try:
        tree = env.parse(text)
        _check_tree(tree)
        return env.from_string(tree)
    except jinja2.TemplateSyntaxError as exc:
        raise DigestError(f"subject: template: {exc.message}") from None
    except Refused as exc:
        raise DigestError(f"subject: {exc}") from None
    except RecursionError:
        raise DigestError("subject: the template nests too deeply; keep it to one simple line") from None


def render_subject(template: Any, values: dict[str, Any]) -> str:
    import jinja2

    try:
        out = template.render(values).strip()
    except jinja2.TemplateError as exc:  # an undefined name, an unsafe attribute
        raise DigestError(f"subject: {exc} (use {', '.join(sorted(values))})") from None
    except Refused as exc:
        raise DigestError(f"subject: {exc}") from None
    except Exception as exc:  # the template's own mistake: 1/0, 'abc'[9], int('x'), ...
        raise DigestError(f"subject: the template fails: {_in_words(exc)}") from None
    if "\r" in out or "\n" in out:
        raise DigestError("subject: the template makes a line break; a subject is one line")
    if not out:
        raise DigestError("subject: the template makes an empty subject")
    return out


def _in_words(exc: BaseException) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "it divides by zero (or takes a remainder after dividing by zero)"
    if isinstance(exc, OverflowError):
        return "a number is too large"
    if isinstance(exc, MemoryError):
        return "it needs too much memory"
    if isinstance(exc, RecursionError):
        return "it nests too deeply"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _check_tree(tree: Any) -> None:
    """Statements other than if and set, and numbers too large to write, are refused."""
    from jinja2 import nodes

    allowed = (nodes.Output, nodes.If, nodes.Assign, nodes.AssignBlock, nodes.With, nodes.ScopedEvalContextModifier)
    for stmt in tree.find_all(nodes.Stmt):
        if not isinstance(stmt, allowed):
            name = type(stmt).__name__.lower().removesuffix("block") or "block"
            raise Refused(f"the template uses `{name}`; a subject template takes {ALLOWED_STATEMENTS} only")
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, float) and not math.isfinite(const.value):
            raise Refused("a number in the template is too large")
        _check_value(const.value)


# -- the limited sandbox --------------------------------------------------------------------------
def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _check_value(value: Any, what: str = "the template") -> Any:
    if _size(value) > MAX_SIZE:
        raise Refused(f"{what} makes a text or list of {_size(value):,} (at most {MAX_SIZE:,})")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise Refused(f"{what} makes a number of over {MAX_BITS * 3 // 10} digits")
    return value


# filters and methods whose whole-number arguments are sizes: what they make (or loop over) grows with them
SIZES = {"center", "indent", "slice", "batch", "tojson", "ljust", "rjust", "zfill", "expandtabs"}


def _check_argument(value: Any, name: str, what: str) -> None:
    _check_value(value, what)
    if name in SIZES and isinstance(value, int) and abs(value) > MAX_SIZE:
        raise Refused(f"{what} is given a size of {value:,} (at most {MAX_SIZE:,})")


# a width or precision in a %-format or a {}-format: '%9999d', '%(a)9999s', '{:>9999}', '%*d'
_FORMAT_SIZE = re.compile(  # every repeat bounded (tests/content/test_patterns.py); a format is at most MAX_SIZE
    r"%(?:\([^)]{0,1000}\))?[-+ #0]{0,10}(\*|\d{1,1000})?(?:\.(\*|\d{1,1000}))?"
    r"|\{[^{}]{0,1000}:[^{}\d]{0,1000}(\d{1,1000})(?:\.(\d{1,1000}))?"
)
_NESTED = re.compile(r"\{[^{}]{0,1000}:[^{}]{0,1000}\{")  # '{:{}}': a width taken from the arguments


def _check_format(text: Any) -> None:
    if not isinstance(text, str):
        return
    if _NESTED.search(text):
        raise Refused("a format width taken from the arguments (write the width in the format itself)")
    for m in _FORMAT_SIZE.finditer(text):
        for size in m.groups():
            if size == "*" or (size and int(size) > MAX_SIZE):
                raise Refused(f"a format width of {size} (at most {MAX_SIZE:,}, written in the format itself)")


def _guarded(name: str, func: Any) -> Any:
    """A filter that checks its input and arguments before, and its result after."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from jinja2.runtime import Context

        values = [a for a in args if not isinstance(a, Context)] + list(kwargs.values())
        for value in values:
            _check_argument(value, name, f"the filter {name}")
        if name == "format" and values:
            _check_format(values[0])
        return _check_value(func(*args, **kwargs), f"the filter {name}")

    return guarded


def _range(*args: Any) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_SIZE:
        raise Refused(f"range() of {len(numbers):,} numbers (at most {MAX_SIZE:,})")
    return numbers


_range.__name__ = "range"


_BINOPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class SubjectEnvironment(ImmutableSandboxedEnvironment):
        """Jinja's immutable sandbox with the limits above on every operator, call and filter."""

        intercepted_binops = frozenset(_BINOPS)

        def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
            _check_value(left), _check_value(right)
            seq = left if _size(left) else right if _size(right) else None
            times = right if seq is left else left
            if op == "*" and seq is not None and isinstance(times, int) and _size(seq) * times > MAX_SIZE:
                raise Refused(f"the template makes a text or list of {_size(seq) * times:,} (at most {MAX_SIZE:,})")
            pow_ints = op == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1
            if pow_ints and (right > MAX_BITS or left.bit_length() * right > MAX_BITS):
                raise Refused(f"the template makes a number of over {MAX_BITS * 3 // 10} digits")
            if op == "%" and isinstance(left, str):
                _check_format(left)
            return _check_value(_BINOPS[op](left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            name = getattr(__obj, "__name__", "")
            what = f"{name or 'a function'}()"
            if _size(getattr(__obj, "__self__", None)):  # a method of a text or list: 'x'.ljust(n)
                _check_value(__obj.__self__, what)
            for value in [*args, *kwargs.values()]:
                _check_argument(value, name, what)
            return _check_value(super().call(__context, __obj, *args, **kwargs), what)

        def wrap_str_format(self, value: Any) -> Any:
            wrapped = super().wrap_str_format(value)  # 'text'.format: checked where it is looked up
            if wrapped is not None:
                _check_value(value.__self__, "format()")
                _check_format(value.__self__)
            return wrapped

    env = SubjectEnvironment(undefined=StrictUndefined, autoescape=False, optimized=False)
    env.globals = {"range": _range, "dict": dict}  # no lipsum, cycler, joiner or namespace
    env.filters = {name: _guarded(name, f) for name, f in env.filters.items()}
    return env
