"""The transport the settings name (or the one asked for), ready to send. Each is imported
only when chosen: the outbox needs no network library, the API transport needs httpx."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.delivery.transports.base import Transport
from digest.errors import DigestError

if TYPE_CHECKING:
    from digest.settings import Settings


def open_transport(settings: Settings, name: str | None = None) -> Transport:
    """The transport named (or the configured one), ready to send."""
    name = name or settings.delivery.transport
    if name == "outbox":
        from digest.delivery.transports.outbox import Outbox

        return Outbox(settings.path("var") / "outbox")
    if name == "smtp":
        from digest.delivery.transports.smtp import from_settings

        return from_settings(settings)
    if name == "api":
        from digest.delivery.transports.api import from_settings as api_from_settings

        return api_from_settings(settings)
    raise DigestError(f"transport '{name}' is not available; use one of: outbox, smtp, api (DIGEST_TRANSPORT)")
