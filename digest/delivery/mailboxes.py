"""Where bounces come back: a Maildir, an IMAP mailbox over verified TLS, or the Microsoft
Graph mailbox the api transport sends from.

Each gives the messages not yet handled as (reference, bytes) and marks one handled when
`digest bounces` has applied it: a Maildir file is renamed into cur/ with the Seen flag,
an IMAP message gets \\Seen, a Graph message isRead. Nothing is ever deleted, and a message
that could not be read or matched is left as it was, to be reported again and read by a person.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from digest.errors import DigestError

if TYPE_CHECKING:
    import httpx

    from digest.delivery.transports.api import GraphTransport
    from digest.settings import Settings


class Mailbox:
    name = "mailbox"

    def messages(self) -> Iterator[tuple[str, bytes]]:
        raise NotImplementedError

    def done(self, ref: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Maildir(Mailbox):
    """new/ and cur/ files without the Seen flag (the Maildir convention: ':2,' then flags)."""

    name = "maildir"

    def __init__(self, folder: Path) -> None:
        if not (folder / "new").is_dir() or not (folder / "cur").is_dir():
            raise DigestError(
                f"{folder} is not a Maildir folder (it needs new/ and cur/ inside); give the folder your mail "
                "server delivers bounces to (--maildir, or bounces.maildir in digest.toml)"
            )
        self.folder = folder

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for sub in ("new", "cur"):
            for path in sorted((self.folder / sub).iterdir()):
                if path.name.startswith(".") or not path.is_file():
                    continue
                if sub == "cur" and "S" in path.name.rpartition(":2,")[2]:
                    continue
                try:
                    yield f"{sub}/{path.name}", path.read_bytes()
                except OSError:
                    continue  # taken by a mail client meanwhile: the next run sees it where it went

    def done(self, ref: str) -> None:
        sub, name = ref.split("/", 1)
        base, _, flags = name.partition(":2,")
        target = self.folder / "cur" / f"{base}:2,{''.join(sorted(set(flags + 'S')))}"
        os.replace(self.folder / sub / name, target)


class Imap(Mailbox):
    """IMAP over implicit TLS (port 993), the certificate and host name verified."""

    name = "imap"

    def __init__(
        self, host: str, port: int, username: str, password: str, folder: str = "INBOX", cafile: str = ""
    ) -> None:
        if not host or not username or not password:
            raise DigestError(
                "reading bounces over IMAP needs DIGEST_IMAP_HOST, DIGEST_IMAP_USERNAME and DIGEST_IMAP_PASSWORD "
                "(the password in the environment only)"
            )
        try:
            context = ssl.create_default_context(cafile=cafile or None)
        except (OSError, ssl.SSLError) as exc:
            raise DigestError(
                f"cannot read the CA file {cafile}: {exc} (set DIGEST_IMAP_CAFILE to a PEM bundle)"
            ) from None
        where = f"{host}:{port}"
        try:
            self.imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=60)
        except ssl.SSLCertVerificationError as exc:
            raise DigestError(
                f"the certificate of {where} could not be verified ({exc.verify_message}); fix the server's "
                "certificate, or trust its CA with DIGEST_IMAP_CAFILE"
            ) from None
        except OSError as exc:
            raise DigestError(
                f"cannot connect to the IMAP server {where}: {exc} (check DIGEST_IMAP_HOST and _PORT)"
            ) from None
        try:
            self.imap.login(username, password)
            status, _ = self.imap.select(_quoted(folder))
        except imaplib.IMAP4.error as exc:
            self.close()
            raise DigestError(
                f"{where} refused the login: {exc}; check DIGEST_IMAP_USERNAME and DIGEST_IMAP_PASSWORD"
            ) from None
        if status != "OK":
            self.close()
            raise DigestError(f"{where} has no folder {folder!r} (bounces.imap_folder)")

    def messages(self) -> Iterator[tuple[str, bytes]]:
        status, data = self.imap.uid("SEARCH", "UNSEEN")
        for uid in (data[0] or b"").split() if status == "OK" else []:
            status, parts = self.imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status == "OK" and raw is not None:
                yield uid.decode(), raw

    def done(self, ref: str) -> None:
        self.imap.uid("STORE", ref, "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.logout()


class GraphMailbox(Mailbox):
    """The inbox of a Microsoft 365 mailbox through Graph: unread messages, their MIME, isRead.
    The app registration needs Mail.ReadWrite (application) for that mailbox."""

    name = "api"

    def __init__(self, transport: GraphTransport, graph_url: str, mailbox: str) -> None:
        self.transport = transport
        self.base = f"{graph_url.rstrip('/')}/v1.0/users/{quote(mailbox, safe='@')}"

    def _get(self, url: str, **kw: object) -> httpx.Response:
        return self._call("GET", url, **kw)

    def _call(self, method: str, url: str, **kw: object) -> httpx.Response:
        import httpx

        from digest.delivery.transports.api import _error
        from digest.delivery.transports.base import TransientError

        try:
            headers = {"Authorization": f"Bearer {self.transport._access_token()}"}
            r = self.transport.http.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
        except (httpx.HTTPError, TransientError) as exc:
            raise DigestError(
                f"cannot read the bounce mailbox through Microsoft Graph: {exc}; try again later"
            ) from None
        if r.status_code >= 400:
            raise DigestError(
                f"Microsoft Graph refused to read {self.base.rsplit('/', 1)[1]} ({_error(r)}); the app needs the "
                "Mail.ReadWrite application permission for that mailbox"
            )
        return r

    def messages(self) -> Iterator[tuple[str, bytes]]:
        url: str | None = f"{self.base}/mailFolders/inbox/messages"
        params: dict[str, str] | None = {"$filter": "isRead eq false", "$select": "id", "$top": "50"}
        ids: list[str] = []
        while url:
            body = self._get(url, params=params).json()
            ids += [str(m["id"]) for m in body.get("value", [])]
            url, params = body.get("@odata.nextLink"), None
        for message_id in ids:
            yield message_id, self._get(f"{self.base}/messages/{quote(message_id, safe='')}/$value").content

    def done(self, ref: str) -> None:
        self._call("PATCH", f"{self.base}/messages/{quote(ref, safe='')}", json={"isRead": True})

    def close(self) -> None:
        self.transport.close()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_mailbox(settings: Settings, source: str | None = None, maildir: Path | None = None) -> Mailbox:
    b = settings.bounces
    source = "maildir" if maildir is not None else (source or b.source)
    if source == "maildir" and maildir is not None:
        return Maildir(maildir)
    if source == "maildir":  # the configured folder (var/bounces in the demo) is made on first use, as the outbox is
        folder = Path(b.maildir) if Path(b.maildir).is_absolute() else settings.root / b.maildir
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return Maildir(folder)
    if source == "imap":
        password = b.imap_password.get_secret_value() if b.imap_password else ""
        cafile = str(settings.root / b.imap_cafile) if b.imap_cafile else ""  # relative to the project, as smtp_cafile
        return Imap(b.imap_host, b.imap_port, b.imap_username, password, b.imap_folder, cafile)
    from digest.delivery.transports import api

    transport = api.from_settings(settings)
    return GraphMailbox(transport, settings.delivery.api_graph_url, b.api_mailbox or transport.mailbox)
