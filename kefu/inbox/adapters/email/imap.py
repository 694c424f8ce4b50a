"""IMAP polling: fetch a mailbox's new messages and hand them to ``deliver``, one by one.

One poll: connect (IMAPS, or IMAP + STARTTLS, always with a verifying TLS context and a socket
timeout), log in, select the folder, list the unprocessed messages by UID, and in bounded
batches fetch each one with ``BODY.PEEK[]`` (which does not mark it read), deliver it, and
only then move it to the processed folder (``UID MOVE``, or ``UID COPY`` + ``\\Deleted`` +
``EXPUNGE`` where the server lacks MOVE) or flag it (``\\Seen`` + the ``KefuProcessed``
keyword). A message whose deliver raised stays where it is for the next poll, and the
others go on. Connection, TLS and login failures raise ``ImapError`` with a message that is
safe to store and show: it never contains the password.

This module writes no models: ``kefu.inbox.mailboxes`` claims the mailbox, calls ``poll``
and records the outcome.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

from kefu.inbox.adapters.email.deliver import Deliver

log = logging.getLogger(__name__)

SOURCE = "imap"
PROCESSED_KEYWORD = "KefuProcessed"
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    """A poll failed before or while talking to the server (``kind``: connect, tls, auth,
    folder, protocol). ``str()`` is safe to store: no password, no message content."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ImapMailbox:
    address: str
    host: str
    port: int
    security: str  # "ssl" or "starttls"
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    after: str = "move"  # or "flag"


@dataclass
class PollResult:
    delivered: int = 0
    failed: int = 0  # deliver raised: left in place for the next poll
    errors: list[str] = field(default_factory=list)  # per-message problems (no content)
    more: bool = False  # stopped at the per-poll cap with messages left


def quote(name: str) -> str:
    """An IMAP quoted string (mailbox names, keywords)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_mailbox_name(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501, 5.1.3), as servers and other mail
    clients expect it: printable ASCII stays, ``&`` becomes ``&-``, and any other run of
    characters is UTF-16BE in base64 (``,`` for ``/``, no padding) between ``&`` and ``-``.
    So an admin can name the processed folder ``已处理`` (``&XfJZBHQG-`` on the wire)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            encoded = base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            run.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def folder_arg(name: str) -> str:
    """A folder name ready for an IMAP command: modified UTF-7, quoted."""
    return quote(encode_mailbox_name(name))


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying client context (hostname and chain), trusting ``ca_file`` if given."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _safe(text: object, secret: str) -> str:
    if isinstance(text, BaseException) and text.args:
        text = text.args[0]  # imaplib's errors carry the server's line as bytes
    value = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if secret:
        value = value.replace(secret, "[redacted]")
    return value[:250]


def _check(typ: str, data: Sequence[object], what: str, secret: str) -> None:
    if typ != "OK":
        detail = _safe(data[0] if data else b"", secret)
        raise ImapError("protocol", f"{what} failed: {detail}")


class _Session:
    def __init__(self, mailbox: ImapMailbox, *, timeout: float, ca_file: str) -> None:
        self.mailbox = mailbox
        self.timeout = timeout
        self.ca_file = ca_file
        self.conn: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()

    # --- connect and log in ---------------------------------------------------------------

    def open(self) -> imaplib.IMAP4:
        mb = self.mailbox
        context = tls_context(self.ca_file)
        where = f"{mb.host}:{mb.port}"
        try:
            if mb.security == "starttls":
                conn: imaplib.IMAP4 = imaplib.IMAP4(mb.host, mb.port, timeout=self.timeout)
                self.conn = conn
                typ, data = conn.starttls(ssl_context=context)
                _check(typ, data, "STARTTLS", "")
            else:
                conn = imaplib.IMAP4_SSL(
                    mb.host, mb.port, ssl_context=context, timeout=self.timeout
                )
                self.conn = conn
        except ssl.SSLCertVerificationError as exc:
            raise ImapError(
                "tls",
                f"TLS certificate of {where} is not trusted: {exc.verify_message or exc.reason}",
            ) from None
        except ssl.SSLError as exc:
            raise ImapError("tls", f"TLS with {where} failed: {exc.reason or exc}") from None
        except TimeoutError:
            raise ImapError("connect", f"Timed out connecting to {where}") from None
        except OSError as exc:
            raise ImapError(
                "connect", f"Cannot connect to {where}: {exc.strerror or exc}"
            ) from None
        except imaplib.IMAP4.error as exc:
            raise ImapError("protocol", f"{where}: {_safe(exc, '')}") from None
        try:
            conn.login(mb.username, mb.password)
        except imaplib.IMAP4.error as exc:
            raise ImapError(
                "auth", f"Login to {where} as {mb.username} failed: {_safe(exc, mb.password)}"
            ) from None
        cap_typ, cap_data = conn.capability()
        _check(cap_typ, cap_data, "CAPABILITY", mb.password)
        raw = cap_data[0] if cap_data and isinstance(cap_data[0], bytes) else b""

        self.capabilities = {c.upper() for c in raw.decode("ascii", "replace").split()}
        return conn

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.logout()
        except Exception:  # already gone: nothing to clean up
            try:
                self.conn.shutdown()
            except Exception:
                log.debug("imap: closing the connection failed", exc_info=True)
        self.conn = None

    # --- folders and messages -------------------------------------------------------------

    def ensure_folder(self, name: str) -> None:
        assert self.conn is not None
        typ, data = self.conn.list('""', folder_arg(name))
        if typ == "OK" and any(item for item in data if item):
            return
        typ, data = self.conn.create(folder_arg(name))
        if typ != "OK":
            detail = _safe(data[0] if data else b"", self.mailbox.password)
            # Created meanwhile by another client: fine.
            if "ALREADYEXISTS" not in detail.upper():
                raise ImapError("folder", f"Cannot create folder {name}: {detail}")
        self.conn.subscribe(folder_arg(name))

    def select(self, name: str) -> None:
        assert self.conn is not None
        typ, data = self.conn.select(folder_arg(name))
        if typ != "OK":
            detail = _safe(data[0] if data else b"", self.mailbox.password)
            raise ImapError("folder", f"Cannot open folder {name}: {detail}")

    def pending_uids(self) -> list[int]:
        assert self.conn is not None
        if self.mailbox.after == "flag":
            typ, data = self.conn.uid("SEARCH", "UNKEYWORD", PROCESSED_KEYWORD)
        else:
            typ, data = self.conn.uid("SEARCH", "ALL")
        _check(typ, data, "SEARCH", self.mailbox.password)
        raw = data[0] if data and isinstance(data[0], bytes) else b""
        return sorted(int(uid) for uid in raw.split())

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each message (one command for the batch)."""
        assert self.conn is not None
        typ, data = self.conn.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        _check(typ, data, "FETCH", self.mailbox.password)
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
                if uid is not None and size is not None:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch(self, uid: int) -> bytes | None:
        """The message's exact bytes, without setting \\Seen; None if it vanished."""
        assert self.conn is not None
        typ, data = self.conn.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
        _check(typ, data, "FETCH", self.mailbox.password)
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _FETCH_UID.search(item[0])
                if match is None or int(match.group(1)) == uid:
                    return bytes(item[1])
        return None

    def acknowledge(self, uids: list[int]) -> None:
        """Move or flag the delivered messages (one command for the batch)."""
        assert self.conn is not None
        if not uids:
            return
        uid_set = ",".join(str(u) for u in uids)
        password = self.mailbox.password
        if self.mailbox.after == "flag":
            typ, data = self.conn.uid(
                "STORE", uid_set, "+FLAGS.SILENT", f"(\\Seen {PROCESSED_KEYWORD})"
            )
            _check(typ, data, "STORE", password)
            return
        target = folder_arg(self.mailbox.processed_folder)
        if "MOVE" in self.capabilities:
            typ, data = self.conn.uid("MOVE", uid_set, target)
            _check(typ, data, "MOVE", password)
            return
        typ, data = self.conn.uid("COPY", uid_set, target)
        _check(typ, data, "COPY", password)
        typ, data = self.conn.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
        _check(typ, data, "STORE", password)
        if "UIDPLUS" in self.capabilities:  # expunge only these, never another client's
            typ, data = self.conn.uid("EXPUNGE", uid_set)
        else:
            typ, data = self.conn.expunge()
        _check(typ, data, "EXPUNGE", password)


def poll(
    mailbox: ImapMailbox,
    *,
    deliver: Deliver,
    timeout: float = 30.0,
    ca_file: str = "",
    batch_size: int = 20,
    max_messages: int = 200,
    max_bytes: int = 0,
    use_move: bool = True,
) -> PollResult:
    """Poll ``mailbox`` once; raises ``ImapError`` if it could not be read at all.

    Per message, deliver first, acknowledge (move / flag) after: a crash in between means
    the message is delivered again next time, which the idempotent ingest absorbs.
    """
    session = _Session(mailbox, timeout=timeout, ca_file=ca_file)
    result = PollResult()
    try:
        session.open()
        if not use_move:
            session.capabilities.discard("MOVE")
        if mailbox.after == "move":
            session.ensure_folder(mailbox.processed_folder)
        session.select(mailbox.folder)
        uids = session.pending_uids()
        if len(uids) > max_messages:
            uids, result.more = uids[:max_messages], True
        for start in range(0, len(uids), max(1, batch_size)):
            delivered: list[int] = []
            batch = uids[start : start + batch_size]
            sizes = session.sizes(batch) if max_bytes else {}
            for uid in batch:
                if max_bytes and sizes.get(uid, 0) > max_bytes:
                    # Never loaded into memory, never dropped: it stays, and the admin sees it.
                    result.failed += 1
                    result.errors.append(f"UID {uid}: larger than {max_bytes} bytes")
                    log.warning(
                        "imap: message UID %s of %s is %s bytes, over the limit; left in place",
                        uid,
                        mailbox.address,
                        sizes[uid],
                    )
                    continue
                raw = session.fetch(uid)
                if raw is None:
                    continue
                try:
                    deliver(raw=raw, account=mailbox.address, source=SOURCE)
                except Exception as exc:
                    result.failed += 1
                    result.errors.append(f"UID {uid}: {type(exc).__name__}")
                    log.error(
                        "imap: storing message UID %s of %s failed (%s); left for the next poll",
                        uid,
                        mailbox.address,
                        type(exc).__name__,
                        exc_info=True,
                    )
                    continue
                delivered.append(uid)
            session.acknowledge(delivered)
            result.delivered += len(delivered)
    except ImapError:
        raise
    except TimeoutError:
        raise ImapError("connect", f"Timed out talking to {mailbox.host}") from None
    except (imaplib.IMAP4.abort, OSError) as exc:
        detail = _safe(exc, mailbox.password)
        raise ImapError("connect", f"Connection to {mailbox.host} lost: {detail}") from None
    except imaplib.IMAP4.error as exc:
        raise ImapError("protocol", _safe(exc, mailbox.password)) from None
    finally:
        session.close()
    return result
