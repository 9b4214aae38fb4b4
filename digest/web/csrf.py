"""Cross-site request forgery protection, one scheme for `digest serve` and `digest preview`.

Double submit, signed: the browser holds a random value in a SameSite=Strict, HttpOnly
cookie, and every form carries an HMAC of (the form's path, that value). A page on
another site can neither read the cookie nor compute the field, so a form it posts is
refused. `digest serve` keys the HMAC with DIGEST_SECRET_KEY; the preview with a key
made for the life of its process.

Behind that, a second guard: a browser says where a POST comes from in its Origin
header, and one that names another origin (or `null`, as from a sandboxed frame or a
page that hides its address) is refused, whatever cookie and field came with it. Ours
is the origin the request was sent to, and any the app names (`digest serve`: the
site's base_url, the address behind its proxy). A request with no Origin at all is
not from a browser form of this decade; the signed field alone decides for it. Only
POST changes anything: a HEAD or GET that carries a form is never accepted.

Both guards are for our own forms. The RFC 8058 one-click unsubscribe POST is not one: a
mail provider sends it from its own servers, with no cookie and any Origin (its own, or
none), and the signed token in its URL is what authorises it (web/manage.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "digest_csrf"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Issued:
    field: str  # the value of the form's hidden `csrf` field
    nonce: str
    fresh: bool  # the browser had no (valid) cookie: the response must set it


def origin_of(url: str) -> str:
    """'https://host' or 'http://host:8080' (scheme and host lower-cased, the default port
    left out), as browsers write Origin; '' for anything that is not such a URL ('null')."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host:
        return ""
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port and port != {"http": 80, "https": 443}[scheme] else "")


class Csrf:
    def __init__(self, key: bytes, origins: tuple[str, ...] = ()) -> None:
        self._key = key
        self._origins = {o for o in map(origin_of, origins) if o}

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

    def same_origin(self, request: Request) -> bool:
        """The browser's Origin header, if it sent one, names this site."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        ours = self._origins | {origin_of(str(request.url))}
        return origin_of(origin) in ours - {""}

    def accepts(self, request: Request, field: object) -> bool:
        """A POST from this site whose field matches this browser's cookie and the path it was posted to."""
        if request.method != "POST" or not self.same_origin(request):
            return False
        nonce = request.cookies.get(COOKIE, "")
        expected = self.token(nonce, request.url.path).encode()
        return bool(_NONCE.match(nonce)) and hmac.compare_digest(str(field or "").encode(), expected)
