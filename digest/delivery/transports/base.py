"""Stage 5: transports. Every transport sends the same bytes behind one small interface.

- outbox (default): a Maildir folder a mail client can open; needs no server.
- smtp and api: real delivery (see their modules).

A transport raises TransientError (not delivered, worth retrying: the connection was
lost before the end of the message went, or the server said 4xx), PermanentError (the
server refused this message for good) or OutcomeUnknown (the end of the message went and
no answer came back: it may have been delivered). Just before the end of the message
goes it calls `handing_over()`, so that the ledger can tell the two apart after a crash.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable


def nothing() -> None:
    pass


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
    """The message may have been delivered: its end went and the answer was lost."""


class Transport(ABC):
    name = "transport"

    @abstractmethod
    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        """Hand one message over; return a short receipt (queue id, file name, reply).

        Call handing_over() just before the step after which the message may have been
        delivered (SMTP's final dot, the API's request, the outbox's file). A transport
        that never calls it is safe too: after a crash its message is sent again."""

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect (or authenticate) now, so a wrong setting is reported before any message is sent."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
