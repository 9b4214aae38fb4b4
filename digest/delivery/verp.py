"""The envelope sender of each message, as VERP: `bounces+<token>@example.org`.

The token is the ledger row's id signed for the purpose 'bounce' (digest.readers.tokens),
so a bounce names the reader and the message it answers, and nobody can make one that
names another reader. `bounces.address` in digest.toml turns it on; unset, every message
goes from `site.sender_address` as before, and bounces are matched by the Message-ID of
the original message that a report quotes (digest.delivery.bounces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from digest.readers.tokens import BadToken, Signer

if TYPE_CHECKING:
    from digest.settings import Settings

PURPOSE = "bounce"


def verp_of(settings: Settings) -> Verp | None:
    """The VERP addresses of this site's messages, if `bounces.address` is set."""
    return Verp(settings.bounces.address) if settings.bounces.address else None


class Verp:
    def __init__(self, address: str, signer: Signer | None = None) -> None:
        self.local, self.domain = address.rsplit("@", 1)
        self.signer = signer or Signer()
        self._pattern = re.compile(
            rf"(?<![^\s<:,;\"]){re.escape(self.local)}\+([0-9]+\.[0-9]+\.[A-Za-z0-9_-]{{24}})@{re.escape(self.domain)}(?![\w.-])",
            re.IGNORECASE,
        )

    def sender(self, delivery_id: int) -> str:
        """The envelope sender of the message of this ledger row."""
        return f"{self.local}+{self.signer.sign(PURPOSE, delivery_id)}@{self.domain}"

    def delivery_ids(self, texts: Iterable[str]) -> list[int]:
        """The ledger rows whose VERP addresses appear in these header values, verified; a
        forged or damaged token (a server that lower-cased it) names nothing."""
        found: list[int] = []
        for text in texts:
            for token in self._pattern.findall(text or ""):
                try:
                    row = self.signer.verify(PURPOSE, token)
                except BadToken:
                    continue
                if row not in found:
                    found.append(row)
        return found
