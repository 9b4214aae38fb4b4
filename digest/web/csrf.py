"""Cross-site request forgery protection, one scheme for `digest serve` and `digest preview`.

Double submit, signed: the browser holds a random value in a SameSite=Strict, HttpOnly
cookie, and every form carries an HMAC of (the form's path, that value). A page on
another site can neither read the cookie nor compute the field, so a form it posts is
refused. `digest serve` keys the HMAC with DIGEST_SECRET_KEY; the preview with a key
made for the life of its process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "digest_csrf"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Issued:
    field: str  # the value of the form's hidden `csrf` field
    nonce: str
    fresh: bool  # the browser had no (valid) cookie: the response must set it


class Csrf:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, nonce: str, form: str) -> str:
        mac = hmac.new(self._key, f"digest.v1:form:{form}:{nonce}".encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def issue(self, request: Request, form: str | None = None) -> Issued:
        """The field for a form posting to `form` (default: this page's own path)."""
        nonce = request.cookies.get(COOKIE, "")
        fresh = not _NONCE.match(nonce)
        if fresh:
            nonce = secrets.token_urlsafe(24)
        return Issued(self.token(nonce, form or request.url.path), nonce, fresh)

    def set_cookie(self, response: Response, request: Request, issued: Issued) -> Response:
        if issued.fresh:
            response.set_cookie(
                COOKIE, issued.nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
            )
        return response

    def accepts(self, request: Request, field: object) -> bool:
        """The posted field matches this browser's cookie and the path it was posted to."""
        nonce = request.cookies.get(COOKIE, "")
        expected = self.token(nonce, request.url.path).encode()
        return bool(_NONCE.match(nonce)) and hmac.compare_digest(str(field or "").encode(), expected)
