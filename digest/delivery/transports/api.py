"""Microsoft Graph sendMail: the same MIME bytes, over HTTPS, as a council on Microsoft 365 sends.

The documented contract (learn.microsoft.com: user-sendmail, "Send messages with MIME
content", auth-v2-service, throttling-limits):

- Token: POST {login}/{tenant}/oauth2/v2.0/token, form-encoded client_id, client_secret,
  scope=https://graph.microsoft.com/.default, grant_type=client_credentials; JSON reply
  with access_token and expires_in. The app needs the Mail.Send application permission.
- Send: POST {graph}/v1.0/users/{mailbox}/sendMail with `Authorization: Bearer ...`,
  `Content-Type: text/plain` and the base64 of the MIME message; 202 Accepted. The
  recipients come from the message's To header.
- Throttling: 429 with Retry-After (also 503). Outlook allows 4 concurrent requests and
  10,000 per 10 minutes per mailbox; Exchange Online sends 30 messages a minute and to
  10,000 recipients a day per mailbox. This transport sends one request at a time and
  the default rate limit for it is 0.5 messages a second.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

from digest import __version__
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError, Transport, nothing
from digest.errors import DigestError

if TYPE_CHECKING:
    from digest.settings import Settings

SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_RATE = 0.5  # Exchange Online: 30 messages a minute per mailbox
CREDENTIALS = "check DIGEST_API_TENANT, DIGEST_API_CLIENT_ID and DIGEST_API_CLIENT_SECRET"


def retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def _error(response: httpx.Response) -> str:
    """'403 ErrorAccessDenied: Access is denied.' from Graph's or the identity platform's JSON error."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:200].strip()}"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return f"{response.status_code} {err.get('code', '')}: {err.get('message', '')}".strip()
    if isinstance(err, str):
        first = (str(body.get("error_description", "")).splitlines() or [""])[0]
        return f"{response.status_code} {err}: {first}".rstrip(": ")
    return f"{response.status_code} {response.text[:200].strip()}"


class GraphTransport(Transport):
    name = "api"

    def __init__(
        self,
        *,
        tenant: str,
        client_id: str,
        client_secret: str,
        mailbox: str,
        graph_url: str = "https://graph.microsoft.com",
        login_url: str = "https://login.microsoftonline.com",
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        client: httpx.Client | None = None,
    ) -> None:
        missing = [
            env
            for env, value in (
                ("DIGEST_API_TENANT", tenant),
                ("DIGEST_API_CLIENT_ID", client_id),
                ("DIGEST_API_CLIENT_SECRET", client_secret),
            )
            if not value
        ]
        if missing:
            raise DigestError(
                f"the api transport needs {', '.join(missing)}: the Microsoft 365 app registration's tenant, application "
                "id and a client secret (secrets only in the environment; see docs/delivery.md)"
            )
        self.tenant, self.client_id, self._secret, self.mailbox = tenant, client_id, client_secret, mailbox
        self.token_url = f"{login_url.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        self.send_url = f"{graph_url.rstrip('/')}/v1.0/users/{quote(mailbox, safe='@')}/sendMail"
        self.clock = clock
        self.http = client or httpx.Client(
            timeout=httpx.Timeout(timeout), headers={"User-Agent": f"digest/{__version__}"}
        )
        self._token: str | None = None
        self._expires = 0.0

    def _access_token(self, refresh: bool = False) -> str:
        if self._token and not refresh and self.clock() < self._expires:
            return self._token
        try:
            r = self.http.post(
                self.token_url,
                data={
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "scope": SCOPE,
                    "grant_type": "client_credentials",
                },
            )
        except httpx.HTTPError as exc:
            raise TransientError(f"cannot reach the token endpoint {self.token_url}: {exc}") from None
        if r.status_code == 429 or r.status_code >= 500:
            raise TransientError(f"token endpoint: {_error(r)}", retry_after(r))
        if r.status_code != 200:
            raise DigestError(
                f"Microsoft's identity platform refused the app's credentials ({_error(r)}); {CREDENTIALS}"
            )
        try:
            body = r.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 3599))
        except (ValueError, KeyError, TypeError):
            raise TransientError(f"token endpoint answered 200 without an access_token: {r.text[:200]}") from None
        self._token, self._expires = token, self.clock() + max(60.0, lifetime - 300)  # renew five minutes early
        return token

    def open(self) -> None:
        self._access_token()  # wrong credentials are reported before any message is sent

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        body = base64.b64encode(message)
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self._access_token(refresh=attempt == 2)}",
                "Content-Type": "text/plain",
            }
            handing_over()  # the request may be accepted from here on, whatever comes back
            try:
                r = self.http.post(self.send_url, content=body, headers=headers)
            except (
                httpx.ConnectError,
                httpx.ConnectTimeout,
                httpx.PoolTimeout,
                httpx.WriteError,
                httpx.WriteTimeout,
            ) as exc:
                raise TransientError(f"cannot send to Microsoft Graph: {type(exc).__name__}: {exc}") from None
            except httpx.HTTPError as exc:  # the request went out; the answer did not come back
                raise OutcomeUnknown(
                    f"no answer from Microsoft Graph after the message was sent ({type(exc).__name__}: {exc})"
                ) from None
            if r.status_code == 401 and attempt == 1:
                continue  # the token expired early or was revoked: fetch a new one once
            break
        if r.status_code == 202:
            return f"202 Accepted {r.headers.get('request-id', '')}".strip()
        if r.status_code == 429 or r.status_code >= 500:
            raise TransientError(f"Microsoft Graph: {_error(r)}", retry_after(r))
        if r.status_code in (401, 403):
            raise DigestError(
                f"Microsoft Graph refused to send as {self.mailbox} ({_error(r)}); the app needs the Mail.Send application "
                f"permission with admin consent, and DIGEST_API_SENDER must be a mailbox in the tenant; {CREDENTIALS}"
            )
        raise PermanentError(f"Microsoft Graph: {_error(r)}")

    def close(self) -> None:
        self.http.close()


def from_settings(settings: Settings, client: httpx.Client | None = None) -> GraphTransport:
    d = settings.delivery
    return GraphTransport(
        tenant=d.api_tenant,
        client_id=d.api_client_id,
        client_secret=d.api_client_secret.get_secret_value() if d.api_client_secret else "",
        mailbox=d.api_sender or settings.site.sender_address,
        graph_url=d.api_graph_url,
        login_url=d.api_login_url,
        timeout=d.api_timeout,
        client=client,
    )
