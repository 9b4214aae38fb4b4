"""Stage 5: transports. Every transport sends the same bytes behind one small interface.

- outbox (default): a Maildir folder a mail client can open; needs no server.
- smtp and api: real delivery (see their modules).

A transport raises TransientError (worth retrying later), PermanentError (the server
refused this message for good) or OutcomeUnknown (the message may or may not have been
handed over, e.g. the connection dropped after DATA).
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class DeliveryError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TransientError(DeliveryError):
    """Try again later (SMTP 4xx, 421, timeouts, HTTP 429/5xx)."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Refused for good (SMTP 5xx, HTTP 4xx other than 429)."""


class OutcomeUnknown(DeliveryError):
    """The message may have been handed over: do not resend automatically."""


class Transport(ABC):
    name = "transport"

    @abstractmethod
    def send(self, sender: str, recipients: list[str], message: bytes) -> str:
        """Hand one message over; return a short receipt (queue id, file name, reply)."""

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect (or authenticate) now, so a wrong setting is reported before any message is sent."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
