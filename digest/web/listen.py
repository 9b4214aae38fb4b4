"""Where the local servers listen (`digest serve`, `digest preview`), and the address they
put in the links they mail while no public address is set."""

from __future__ import annotations

import contextlib
import socket

from digest.errors import DigestError
from digest.settings import Settings


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a clear error (port taken, no such address)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise DigestError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another with --port, or --host)"
        ) from None
    # Connections accepted from it inherit this (Linux). uvicorn sets it on the connections of
    # a socket it binds itself, not on those of one it is given: without it, every POST (its
    # body sent after its headers) waited 40 ms for a delayed ACK (Nagle's algorithm).
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def address(sock: socket.socket, host: str) -> str:
    """http://HOST:PORT/ of a bound socket, as a browser on this machine would open it (an
    address that listens everywhere, 0.0.0.0 or ::, is reached at 127.0.0.1)."""
    port = sock.getsockname()[1]
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def explicit_base_url(settings: Settings) -> bool:
    """site.base_url was set (digest.toml, DIGEST_BASE_URL), not left at its example default."""
    return "base_url" in settings.site.model_fields_set


def with_base_url(settings: Settings, url: str) -> Settings:
    """settings whose links start with url (a local server's own address), unless
    site.base_url was set: then that public address is kept."""
    if explicit_base_url(settings):
        return settings
    return settings.model_copy(update={"site": settings.site.model_copy(update={"base_url": url})})
