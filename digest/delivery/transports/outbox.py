"""The default transport: a Maildir folder (var/outbox/) that any mail client opens.

Each message is written to tmp/, fsynced, then renamed into new/, so a crash never
leaves a half-written message where a reader of the folder would see it.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from digest.delivery.transports.base import TransientError, Transport, nothing
from digest.files import deliver_file

_counter = itertools.count()


class Outbox(Transport):
    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        unique = f"{time.time_ns()}.P{os.getpid()}Q{next(_counter)}.{socket.gethostname().replace('/', '_')}"
        handing_over()  # the rename into new/ delivers it
        try:
            deliver_file(self.folder / "tmp" / unique, self.folder / "new" / unique, message)
        except OSError as exc:
            raise TransientError(f"cannot write to outbox {self.folder}: {exc.strerror or exc}") from None
        return unique
