"""Schedule subjects: an organiser's one-line Jinja template, compiled in the sandbox and
refused if it makes more than one line or nothing at all."""

from __future__ import annotations

from typing import Any

from digest.errors import DigestError


def subject_template(text: str) -> Any:
    """Compile a subject template in Jinja's sandbox (no attribute tricks, no undefined names)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False).from_string(text)


def render_subject(template: Any, values: dict[str, Any]) -> str:
    import jinja2

    try:
        out = template.render(values).strip()
    except jinja2.TemplateError as exc:
        raise DigestError(f"subject: {exc} (use {', '.join(sorted(values))})") from None
    if "\r" in out or "\n" in out:
        raise DigestError("subject: the template makes a line break; a subject is one line")
    if not out:
        raise DigestError("subject: the template makes an empty subject")
    return out
