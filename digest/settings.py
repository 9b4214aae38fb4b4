"""Typed settings, loaded once in one order: defaults -> digest.toml -> environment -> flags.

Secrets (SMTP password, API tokens, the signing key) are read only from the
environment; a secret-looking key in the file is refused so none ends up in the repo.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from digest.errors import DigestError, Problem, display_path, suggest
from digest.fmt import plural

SETTINGS_FILE = "digest.toml"
_SECRET = re.compile(r"(password|secret|token|api_?key|private)", re.I)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_line(value: str) -> str:
    """A setting that goes into mail headers (From, Reply-To, List-Id, subjects) is one line."""
    if re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]", value):
        raise ValueError(
            "contains a line break or a control character; it goes into email headers: write it on one line"
        )
    return value


Line = Annotated[str, AfterValidator(_one_line)]


class SiteSettings(_Section):
    organisation: Line = "Kent SENCO Forum"
    title: Line = "SENCO Forum digest"
    sender_name: Line = "SENCO Forum digest"
    sender_address: Line = Field("digest@example.org", pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    reply_to: Line = Field("senco-forum@example.org", pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    base_url: str = Field("https://digest.example.org", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    postal_address: str = "Kent SENCO Forum, Sessions House, County Road, Maidstone ME14 1XQ"
    # officers' own work addresses (contacts with `officer: true`) on the public site too, not
    # only in the emails to SENCOs: the archive and the editions' browser copies
    officer_addresses_public: bool = False


class PathSettings(_Section):
    content: str = "content"
    templates: str = "site-templates"  # an organiser's overrides, searched before the built-in ones
    build: str = "build"
    var: str = "var"
    db: str = "var/digest.sqlite3"
    schedules: str = "schedules"  # schedules/*.yaml: what `digest scheduler` sends, and when


class RenderSettings(_Section):
    max_html_bytes: int = Field(102_000, ge=10_000)  # Gmail clips a message's HTML beyond ~102 KB
    upcoming_days: int = Field(120, ge=1)  # how far ahead "upcoming dates" looks
    words_budget: int = Field(1200, ge=100)  # words of an edition's text part (footer left out): about 6 minutes
    attach_ics: bool = True  # delivery attaches digest.calendar.edition_calendar() when an edition has dates


class DeliverySettings(_Section):
    transport: Literal["outbox", "smtp", "api"] = "outbox"
    # pacing and retries (see docs/delivery.md)
    rate_limit: float | None = Field(
        None, ge=0
    )  # messages per second; unset: 0.5 for api (Exchange Online's 30 a minute), no limit otherwise
    max_attempts: int = Field(5, ge=1, le=20)  # tries per message for transient failures (4xx, 429, 5xx, disconnects)
    retry_base: float = Field(2.0, ge=0)  # first backoff in seconds; doubled each time, with jitter
    retry_max: float = Field(
        300.0, ge=0
    )  # longest single wait (a longer Retry-After defers the message to the next run)
    # a message whose end went to the server with no answer back may have been delivered: by
    # default it is sent again (a duplicate rather than a loss, RFC 5321 6.1); true holds it
    # until someone has read the server's log (`--resend-unknown` then sends it)
    hold_unknown: bool = False
    # smtp: verified TLS by default
    smtp_host: str = "localhost"
    smtp_port: int | None = Field(None, ge=1, le=65535)  # unset: 587 for starttls, 465 for tls, 25 for none
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr | None = None  # environment only: DIGEST_SMTP_PASSWORD
    smtp_cafile: str = ""  # a CA bundle to trust instead of the system's (a private CA); never turns verification off
    smtp_timeout: float = Field(30.0, gt=0)  # seconds for each SMTP command
    smtp_max_per_connection: int = Field(100, ge=1)  # reconnect after this many messages
    # api: Microsoft Graph sendMail with an app registration (client credentials)
    api_tenant: str = ""  # directory (tenant) id or domain
    api_client_id: str = ""  # application (client) id
    api_client_secret: SecretStr | None = None  # environment only: DIGEST_API_CLIENT_SECRET
    api_sender: str = ""  # the mailbox that sends; unset: site.sender_address
    api_graph_url: str = Field("https://graph.microsoft.com", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    api_login_url: str = Field("https://login.microsoftonline.com", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    api_timeout: float = Field(30.0, gt=0)


class BounceSettings(_Section):
    """Bounces and complaints (docs/bounces.md): where they come back, and when soft ones suppress."""

    # the envelope sender of every message, as VERP: 'bounces@example.org' sends from
    # 'bounces+<signed token>@example.org'; unset, the envelope sender is site.sender_address
    address: Line = Field("", pattern=r"^([^@\s<>+]+@[^@\s<>]+)?$")
    source: Literal["maildir", "imap", "api"] = "maildir"  # where `digest bounces` reads them by default
    maildir: str = "var/bounces"  # a Maildir folder (relative to the project)
    imap_host: str = ""
    imap_port: int = Field(993, ge=1, le=65535)  # implicit TLS, certificate and host name verified
    imap_username: str = ""
    imap_password: SecretStr | None = None  # environment only: DIGEST_IMAP_PASSWORD
    imap_folder: str = "INBOX"
    imap_cafile: str = ""  # a CA bundle to trust as well as the system's (a private CA)
    api_mailbox: str = ""  # the Graph mailbox bounces come back to; unset: the api transport's sender
    # soft bounces (4.x.x) suppress after this many days with one, within soft_days (Mailman's score)
    soft_limit: int = Field(3, ge=1)
    soft_days: int = Field(14, ge=1)


class WebSettings(_Section):
    """`digest serve`: the subscribe, confirm and preference pages."""

    host: str = "127.0.0.1"  # only this machine; a TLS proxy in front serves the public
    port: int = Field(8000, ge=0, le=65535)  # 0: any free port
    subscribe_limit: int = Field(5, ge=1)  # sends of the subscribe form naming one address at once ...
    subscribe_period: int = Field(600, ge=1)  # ... refilled evenly over this many seconds (a token bucket)
    trusted_proxies: str = "127.0.0.1"  # proxies whose X-Forwarded-For/-Proto are believed (comma-separated)


class Settings(_Section):
    site: SiteSettings = SiteSettings()
    paths: PathSettings = PathSettings()
    render: RenderSettings = RenderSettings()
    delivery: DeliverySettings = DeliverySettings()
    web: WebSettings = WebSettings()
    bounces: BounceSettings = BounceSettings()
    root: Path = Path(".")

    def path(self, name: str) -> Path:
        """A path setting resolved against the project root."""
        p = Path(getattr(self.paths, name))
        return p if p.is_absolute() else self.root / p


# Environment variables that override a setting: name -> (section, field)
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "DIGEST_TRANSPORT": ("delivery", "transport"),
    "DIGEST_DB": ("paths", "db"),
    "DIGEST_CONTENT": ("paths", "content"),
    "DIGEST_BASE_URL": ("site", "base_url"),
    "DIGEST_RATE_LIMIT": ("delivery", "rate_limit"),
    "DIGEST_HOLD_UNKNOWN": ("delivery", "hold_unknown"),
    "DIGEST_SMTP_HOST": ("delivery", "smtp_host"),
    "DIGEST_SMTP_PORT": ("delivery", "smtp_port"),
    "DIGEST_SMTP_SECURITY": ("delivery", "smtp_security"),
    "DIGEST_SMTP_USERNAME": ("delivery", "smtp_username"),
    "DIGEST_SMTP_PASSWORD": ("delivery", "smtp_password"),
    "DIGEST_SMTP_CAFILE": ("delivery", "smtp_cafile"),
    "DIGEST_SMTP_TIMEOUT": ("delivery", "smtp_timeout"),
    "DIGEST_API_TENANT": ("delivery", "api_tenant"),
    "DIGEST_API_CLIENT_ID": ("delivery", "api_client_id"),
    "DIGEST_API_CLIENT_SECRET": ("delivery", "api_client_secret"),
    "DIGEST_API_SENDER": ("delivery", "api_sender"),
    "DIGEST_API_GRAPH_URL": ("delivery", "api_graph_url"),
    "DIGEST_API_LOGIN_URL": ("delivery", "api_login_url"),
    "DIGEST_BOUNCE_ADDRESS": ("bounces", "address"),
    "DIGEST_BOUNCE_MAILDIR": ("bounces", "maildir"),
    "DIGEST_IMAP_HOST": ("bounces", "imap_host"),
    "DIGEST_IMAP_PORT": ("bounces", "imap_port"),
    "DIGEST_IMAP_USERNAME": ("bounces", "imap_username"),
    "DIGEST_IMAP_PASSWORD": ("bounces", "imap_password"),
    "DIGEST_IMAP_CAFILE": ("bounces", "imap_cafile"),
}


def _line_of(text: str, section: str | None, key: str) -> int:
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if m := re.match(r"^\[([^\]]+)\]", stripped):
            current = m.group(1).strip()
        elif (
            current == section
            and re.match(rf"^{re.escape(key)}\s*=", stripped)
            or section is None
            and current is None
            and re.match(rf"^{re.escape(key)}\s*=", stripped)
        ):
            return n
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*\[{re.escape(key)}\]", line):
            return n
    return 1


def _read_text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DigestError(f"cannot read the settings file {shown}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DigestError(
            f"{shown} is not UTF-8 text",
            [Problem(shown, line, column, "", "this byte is not UTF-8", "save the file as UTF-8")],
        ) from None


# Every secret digest reads, and the environment variable it comes from (never the file).
SECRETS = {
    ("site", "secret_key"): "DIGEST_SECRET_KEY",
    ("web", "secret_key"): "DIGEST_SECRET_KEY",
    ("delivery", "smtp_password"): "DIGEST_SMTP_PASSWORD",
    ("delivery", "api_client_secret"): "DIGEST_API_CLIENT_SECRET",
    ("bounces", "imap_password"): "DIGEST_IMAP_PASSWORD",
}


def _secret_hint(section: str | None, key: str) -> str:
    env = SECRETS.get((section or "", key)) or next((e for e, sf in ENVIRONMENT.items() if sf == (section, key)), None)
    if env:
        return f"remove it and set the environment variable {env} instead"
    every = ", ".join(sorted(set(SECRETS.values())))
    return f"remove it: digest reads its secrets only from the environment ({every})"


def load_settings(root: Path, config: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load settings for the project at root; raise DigestError naming every problem."""
    root = root.resolve()
    path = config or root / SETTINGS_FILE
    shown = display_path(path, root)
    data: dict[str, Any] = {}
    text = ""
    problems: list[Problem] = []
    if config is not None and not path.exists():
        raise DigestError(f"settings file {shown} does not exist")
    if path.is_dir():
        raise DigestError(
            f"{shown} is a folder; the settings are a file of that name (see digest.toml in the examples)"
        )
    if path.exists():
        text = _read_text(path, shown)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+), column (\d+)", str(exc))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
            raise DigestError(
                f"{shown} is not valid TOML", [Problem(shown, line, col, "", str(exc).split(" (at")[0])]
            ) from None
    for section, values in data.items():
        keys = [(section, key) for key in values] if isinstance(values, dict) else [(None, section)]
        for where, key in keys:
            if _SECRET.search(key):
                problems.append(
                    Problem(
                        shown,
                        _line_of(text, where, key),
                        1,
                        f"{where}.{key}" if where else key,
                        "secrets are not read from files",
                        _secret_hint(where, key),
                    )
                )
    for env, (section, key) in ENVIRONMENT.items():
        if os.environ.get(env):
            data.setdefault(section, {})[key] = os.environ[env]
    for dotted, value in (overrides or {}).items():
        section, key = dotted.split(".")
        data.setdefault(section, {})[key] = value
    if not problems:
        try:
            return Settings(**data, root=root)
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                section, key = (loc + ["", ""])[:2]
                env = next((e for e, sf in ENVIRONMENT.items() if sf == (section, key) and os.environ.get(e)), None)
                where = f"environment variable {env}" if env else None
                if err["type"] == "extra_forbidden":
                    model = Settings.model_fields.get(section)
                    pool = list(model.annotation.model_fields) if model and key else list(Settings.model_fields)
                    msg, hint = f"unknown setting '{loc[-1]}'", suggest(loc[-1], [p for p in pool if p != "root"])
                elif err["type"] == "value_error":
                    msg, hint = str(err["ctx"]["error"]), ""
                else:
                    msg, hint = err["msg"], ""
                if where:
                    msg = f"{msg} (from {where})"
                line = _line_of(text, section if key else None, key or section)
                problems.append(Problem(shown, line, 1, ".".join(loc), msg, hint))
    raise DigestError(f"{plural(len(problems), 'problem')} in settings", problems)
