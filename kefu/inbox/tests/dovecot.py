"""A private Dovecot (Debian's ``dovecot-imapd``) for the IMAP tests.

Its own config, base_dir, state, logs and maildirs live in one temporary directory; it listens
on 127.0.0.1 only, on two free ports (IMAP with STARTTLS, and IMAPS), with a certificate from a
throw-away CA, and authenticates one test user from a passwd-file. ``bootstrap.py test``
installs the package; without it the tests that need it are skipped (CI requires it).

Running as root (as here and in CI) needs three things: the login processes run as
``dovenull`` (Dovecot refuses to run them as root), Dovecot's internal processes as
``dovecot``, and mail is stored under an unprivileged uid (Dovecot refuses uid 0 for mail):
``nobody`` when we are root, else our own uid. The temporary directory is made traversable
for those users.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kefu.inbox.tests.tlscerts import TestCertificates, make_certificates

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support@kefu.test"
PASSWORD = "imap-test-Pa55word!"


def available() -> bool:
    return os.path.exists(DOVECOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    imap_port: int
    imaps_port: int
    certs: TestCertificates
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    def client(self) -> imaplib.IMAP4_SSL:
        """A logged-in client (to put messages in and look at folders)."""
        context = ssl.create_default_context(cafile=str(self.certs.ca_file))
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def messages(self, folder: str) -> list[bytes]:
        """Every message's bytes in ``folder`` (empty if the folder does not exist)."""
        conn = self.client()
        try:
            typ, _ = conn.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.uid("SEARCH", "ALL")
            uids = data[0].split() if data and data[0] else []
            out = []
            for uid in uids:
                typ, fetched = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                out.extend(bytes(i[1]) for i in fetched if isinstance(i, tuple))
            return out
        finally:
            conn.logout()

    def flags(self, folder: str = "INBOX") -> list[str]:
        conn = self.client()
        try:
            conn.select(f'"{folder}"', readonly=True)
            _, data = conn.uid("SEARCH", "ALL")
            uids = data[0].split() if data and data[0] else []
            result = []
            for uid in uids:
                _typ, fetched = conn.uid("FETCH", uid, "(FLAGS)")
                result.append(fetched[0].decode() if isinstance(fetched[0], bytes) else "")
            return result
        finally:
            conn.logout()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None


def _config(root: Path, imap_port: int, imaps_port: int, certs: TestCertificates) -> str:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    mail = root / "mail"
    mail.mkdir(mode=0o700)
    os.chown(mail, uid, gid)
    login_user = "dovenull" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    internal_user = "dovecot" if os.geteuid() == 0 else login_user
    passwd = root / "passwd"
    passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    passwd.chmod(0o644)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = kefu-test-{imap_port}
protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{certs.cert_file}
ssl_key = <{certs.key_file}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
first_valid_gid = 1
mail_uid = {uid}
mail_gid = {gid}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_user}
mail_location = maildir:{mail}/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


def _wait_ready(dovecot: Dovecot, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert dovecot.process is not None
        if dovecot.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", dovecot.imap_port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    log = dovecot.log_file.read_text() if dovecot.log_file.exists() else ""
    dovecot.stop()
    raise RuntimeError(f"Dovecot did not start:\n{log[-3000:]}")


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-"))
    root.chmod(0o755)  # Dovecot's unprivileged processes reach their sockets and files here
    try:
        certs = make_certificates(root / "tls")
        server = Dovecot(root=root, imap_port=_free_port(), imaps_port=_free_port(), certs=certs)
        conf = root / "dovecot.conf"
        conf.write_text(_config(root, server.imap_port, server.imaps_port, certs))
        server.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(server)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
