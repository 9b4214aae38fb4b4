"""Signed, unguessable per-reader tokens for unsubscribe, preference and confirm links.

HMAC-SHA256 keyed by DIGEST_SECRET_KEY (from the environment only), compared in
constant time. One HMAC per reader per message keeps per-reader assembly cheap
(about 1-2 microseconds), which a general serialiser would not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from digest.errors import DigestError

MIN_KEY = 16
PURPOSES = ("manage", "confirm")  # manage: unsubscribe + preferences; confirm: double opt-in
CONFIRM_TTL = 3 * 24 * 3600  # a confirmation link works for three days


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


def _canonical(number: str) -> bool:
    """ASCII digits as str(int) writes them: no sign, space, underscore or leading zero."""
    return number.isascii() and number.isdigit() and (number == "0" or not number.startswith("0"))


class Signer:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secret_key()

    def _mac(self, purpose: str, subscriber_id: int, expires: int) -> str:
        msg = f"digest.v1:{purpose}:{subscriber_id}:{expires}".encode()
        return _b64(hmac.new(self._key, msg, hashlib.sha256).digest()[:18])

    def sign(self, purpose: str, subscriber_id: int, ttl: int | None = None) -> str:
        """A token 'ID.EXPIRES.MAC'; EXPIRES is 0 for links that never expire."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        expires = int(time.time()) + ttl if ttl else 0
        return f"{subscriber_id}.{expires}.{self._mac(purpose, subscriber_id, expires)}"

    def verify(self, purpose: str, token: str, now: float | None = None) -> int:
        """The subscriber id the token was signed for; BadToken otherwise."""
        try:
            sid_s, exp_s, mac = token.split(".")
        except (ValueError, AttributeError):
            raise BadToken("malformed token") from None
        if not (_canonical(sid_s) and _canonical(exp_s)):  # one spelling per token: int() reads '01', '+1', '١'
            raise BadToken("malformed token")
        sid, expires = int(sid_s), int(exp_s)
        # bytes: compare_digest raises TypeError for a str with non-ASCII characters (a tampered link)
        if not hmac.compare_digest(mac.encode(), self._mac(purpose, sid, expires).encode()):
            raise BadToken("bad signature")
        if expires and (now if now is not None else time.time()) > expires:
            raise BadToken("expired")
        return sid
