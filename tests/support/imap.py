"""Debian's dovecot (make dovecot) as a real IMAP server for the tests: its own instance, as the
current user (or dovecot's own users under root), implicit TLS on a free port with a certificate
from a throwaway CA (trustme), one mailbox whose Maildir the test fills."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import trustme

from support.delivery import free_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "imap-test-password"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
auth_mechanisms = plain
first_valid_uid = {uid}
default_login_user = {login}
default_internal_user = {internal}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


class Dovecot:
    def __init__(self) -> None:
        # dovecot's own users must reach the folder: not under pytest's private tmp_path
        self.dir = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        (self.dir / "cert.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        (self.dir / "key.pem").write_bytes(cert.private_key_pem.bytes())
        self.cafile = self.dir / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.cafile))
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        root = os.getuid() == 0
        self.mail_user = pwd.getpwnam("dovecot") if root else pwd.getpwuid(os.getuid())
        me = pwd.getpwuid(os.getuid()).pw_name
        (self.dir / "dovecot.conf").write_text(
            CONFIG.format(
                d=self.dir,
                uid=self.mail_user.pw_uid,
                gid=self.mail_user.pw_gid,
                login="dovenull" if root else me,
                internal="dovecot" if root else me,
                port=self.port,
            )
        )
        self.maildir = self.dir / "home" / USER / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        self._own(self.dir / "home")
        self.process: subprocess.Popen | None = None

    def _own(self, top: Path) -> None:
        for path in [top, *top.rglob("*")]:
            os.chown(path, self.mail_user.pw_uid, self.mail_user.pw_gid)

    def deliver(self, name: str, raw: bytes) -> None:
        (self.maildir / "tmp" / name).write_bytes(raw)
        (self.maildir / "tmp" / name).rename(self.maildir / "new" / name)
        self._own(self.maildir)

    def __enter__(self) -> Dovecot:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60  # a hang guard, not a timing assert
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "dovecot.log").read_text() if (self.dir / "dovecot.log").exists() else ""
                    raise RuntimeError(f"dovecot did not start: {self.process.stdout.read()!r} {log}") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.communicate(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
