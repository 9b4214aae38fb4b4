"""Pydantic's validation errors as problems: `file:line:column: field.path: message (hint)`,
in the words an organiser reads, for every model loaded from YAML."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from digest.content.model import slug
from digest.content.yamlio import Located
from digest.errors import Problem, suggest

# -- pydantic errors -> problems -----------------------------------------------------------
_TYPE_WORDS = {
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}
_DATE_TYPES = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
_TIME_TYPES = {"datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"}


def _all_fields(model: type[BaseModel], seen: set | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for arg in _walk_types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _all_fields(arg, seen)
    return names


def _walk_types(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        out.extend(_walk_types(arg))
    return out


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def from_pydantic(exc: ValidationError, src: Located, model: type[BaseModel], base: tuple = ()) -> list[Problem]:
    problems = []
    known = _all_fields(model)
    for err in exc.errors():
        loc = base + tuple(err["loc"])
        typ, value = err["type"], err.get("input")
        hint = ""
        at_value = typ not in ("extra_forbidden", "missing", "value_error", "digest")
        if typ == "extra_forbidden":
            msg, hint = f"unknown key '{loc[-1]}'", suggest(str(loc[-1]), known)
        elif typ == "missing":
            msg, hint = f"'{loc[-1]}' is required", f"add `{loc[-1]}:`"
        elif typ == "literal_error":
            allowed = re.findall(r"'([^']*)'", err["ctx"]["expected"])
            msg, hint = f"'{_shown(value)}' is not allowed here", suggest(str(value), allowed)
        elif typ == "string_pattern_mismatch" and "@" in err["ctx"]["pattern"]:
            msg, hint = f"'{_shown(value)}' is not an email address", "write it as name@example.org"
        elif typ == "string_pattern_mismatch":
            msg = f"'{_shown(value)}' is not a valid id"
            hint = f"use lower-case letters, digits and hyphens, e.g. '{slug(str(value)) or 'my-id'}'"
        elif typ in _DATE_TYPES:
            msg, hint = f"'{_shown(value)}' is not a valid date", "write dates as YYYY-MM-DD, e.g. 2025-07-10"
        elif typ in _TIME_TYPES:
            msg = f"'{_shown(value)}' is not a valid date and time"
            hint = "write YYYY-MM-DDTHH:MM in Europe/London time, e.g. 2025-07-10T15:30"
        elif typ == "too_short":
            msg, hint = "needs at least one entry", "add an entry or remove the key"
        elif typ in ("greater_than_equal", "less_than_equal"):
            low = typ == "greater_than_equal"
            bound = err["ctx"]["ge" if low else "le"]
            msg, hint = (
                f"{_shown(value)} is too {'small' if low else 'large'}",
                f"use {'at least' if low else 'at most'} {bound}",
            )
        elif typ == "string_too_short":
            msg, hint = "is empty", "write a value or remove the key"
        elif typ == "digest":  # model.field_error: field and hint come as data
            ctx = err["ctx"]
            msg, hint = ctx["message"], ctx["hint"]
            loc = loc + ((ctx["field"],) if ctx["field"] else ())
            at_value = not ctx["field"]
        elif typ == "value_error":
            msg, at_value = str(err["ctx"]["error"]), True
        elif typ in _TYPE_WORDS:
            shown = repr(_shown(value)) if isinstance(value, str) else _shown(value)
            msg = f"expected {_TYPE_WORDS[typ]}, got {type(value).__name__} {shown}"
        else:
            msg = err["msg"]
        problems.append(src.problem(loc, msg, hint, value=at_value))
    return problems


def validate(src: Located, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    data = src.data
    if not isinstance(data, dict):
        return None, [
            src.problem(
                (), "expected a mapping of keys at the top of the file", f"see docs/content.md for {model.__name__}"
            )
        ]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, from_pydantic(exc, src, model)
