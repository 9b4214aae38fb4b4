"""Signed, unguessable per-reader tokens for unsubscribe, preference and confirm links.

HMAC-SHA256 keyed by DIGEST_SECRET_KEY (from the environment only), compared in
constant time. One HMAC per reader per message keeps per-reader assembly cheap
(about 1-2 microseconds), which a general serialiser would not.

A token is read only in its one spelling, 'ID.EXPIRES.MAC' in ASCII digits with no
leading zero, the id a SQLite integer and EXPIRES at most twelve digits: anything else
(an overlong body, an id of 10**30) is a BadToken before any number is made of it.

A token may be bound to the state it was issued for (`bound`, e.g. when the reader asked
to subscribe): the MAC covers it, so once that state has changed the token no longer
verifies. Nothing of it is in the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time

from digest.errors import DigestError

MIN_KEY = 16
# manage: unsubscribe + preferences; confirm: double opt-in; bounce: a message's envelope
# sender (VERP), naming its ledger row (digest.delivery.verp)
PURPOSES = ("manage", "confirm", "bounce")
CONFIRM_TTL = 3 * 24 * 3600  # a confirmation link works for three days
MAX_ID = 2**63 - 1  # SQLite's largest integer: an id beyond it names no row, and cannot be looked up
# ID.EXPIRES.MAC: ASCII digits as str(int) writes them (no sign, space, underscore, leading
# zero or other script's digits), and the MAC _b64 writes (18 bytes: 24 characters)
_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{24})")


class BadToken(Exception):
    """Tampered, expired, or for another purpose."""


def secret_key() -> bytes:
    key = os.environ.get("DIGEST_SECRET_KEY", "")
    if len(key) < MIN_KEY:
        raise DigestError(
            "DIGEST_SECRET_KEY is not set (or shorter than 16 characters): it signs unsubscribe and "
            "preference links. Set it in the environment, e.g. "
            "export DIGEST_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key.encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse(token: object) -> tuple[int, int, str]:
    """(id, expires, mac) of a token in its one spelling; BadToken for anything else."""
    match = _TOKEN.fullmatch(token) if isinstance(token, str) and len(token) <= 64 else None
    if match is None or int(match[1]) > MAX_ID:
        raise BadToken("malformed token")
    return int(match[1]), int(match[2]), match[3]


def subscriber_id(token: object) -> int:
    """The id a token names, unverified: to look up the state a bound token is checked against."""
    return parse(token)[0]


class Signer:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secret_key()

    def _mac(self, purpose: str, subscriber_id: int, expires: int, bound: str = "") -> str:
        msg = f"digest.v1:{purpose}:{subscriber_id}:{expires}" + (f":{bound}" if bound else "")
        return _b64(hmac.new(self._key, msg.encode(), hashlib.sha256).digest()[:18])

    def sign(self, purpose: str, subscriber_id: int, ttl: int | None = None, bound: str = "") -> str:
        """A token 'ID.EXPIRES.MAC'; EXPIRES is 0 for links that never expire. With `bound`,
        it verifies only while the same `bound` is given (the state it was issued for)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        expires = int(time.time()) + ttl if ttl else 0
        return f"{subscriber_id}.{expires}.{self._mac(purpose, subscriber_id, expires, bound)}"

    def verify(self, purpose: str, token: str, now: float | None = None, bound: str = "") -> int:
        """The subscriber id the token was signed for (with this `bound`); BadToken otherwise."""
        sid, expires, mac = parse(token)
        if not hmac.compare_digest(mac.encode(), self._mac(purpose, sid, expires, bound).encode()):
            raise BadToken("bad signature")
        if expires and (now if now is not None else time.time()) > expires:
            raise BadToken("expired")
        return sid
