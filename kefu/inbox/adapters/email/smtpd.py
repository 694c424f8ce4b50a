"""The built-in SMTP receiver (aiosmtpd): a domain's MX, or the next hop behind a relay.

``kefu email smtpd`` runs it. It accepts RCPT only for the configured domains
(``KEFU_EMAIL_DOMAINS``) and the addresses of the IMAP mailboxes in the database (550 for
anything else: never an open relay), advertises and enforces a SIZE limit (552), and answers
250 to DATA only after every recipient's copy was handed to ``deliver`` (stored); when storing
raises it answers 451, so the sending MTA keeps the message and retries. Bodies are never
logged: aiosmtpd's own logger (which logs DATA lines at DEBUG) is capped at WARNING.

The message is passed on exactly as received (no trace header is added): the adapter stores
the bytes the sender signed (DKIM) and the transport logs the peer and envelope instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from kefu.inbox.adapters.email.deliver import Deliver, default_deliver

log = logging.getLogger(__name__)

SOURCE = "smtp"
ADDRESS_CACHE_SECONDS = 30.0
DELIVER_THREADS = 4


def normalize_address(address: str) -> str | None:
    """``local@domain`` lower-cased, without angle brackets; None if it is not one."""
    text = (address or "").strip().strip("<>").strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in text):
        return None
    return f"{local}@{domain.rstrip('.')}".lower()


def mailbox_addresses() -> set[str]:
    """The addresses of the enabled IMAP mailboxes (their mail may also come in by SMTP)."""
    from kefu.inbox.models import EmailMailbox

    return {
        a.lower()
        for a in EmailMailbox.objects.filter(enabled=True).values_list("address", flat=True)
    }


class RecipientPolicy:
    """Which RCPT addresses the receiver accepts: a configured domain, or a known address.

    The address list is loaded (in a worker thread: it reads the database) at most every
    ``ADDRESS_CACHE_SECONDS``.
    """

    def __init__(
        self,
        *,
        domains: Iterable[str],
        addresses: Callable[[], set[str]] | None = mailbox_addresses,
    ) -> None:
        self.domains = frozenset(d.lower().rstrip(".") for d in domains if d)
        self._load = addresses
        self._cache: set[str] = set()
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _addresses(self) -> set[str]:
        if self._load is None:
            return set()
        with self._lock:
            if time.monotonic() - self._loaded_at > ADDRESS_CACHE_SECONDS:
                close_old_connections()
                self._cache = self._load()
                self._loaded_at = time.monotonic()
            return self._cache

    def accepts(self, address: str) -> bool:
        """``address`` is normalised (see ``normalize_address``)."""
        domain = address.rpartition("@")[2]
        return domain in self.domains or address in self._addresses()


@dataclass
class ReceiverConfig:
    domains: list[str] = field(default_factory=list)
    max_bytes: int = 40 * 1024 * 1024
    hostname: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    require_tls: bool = False
    timeout: float = 60.0
    max_connections: int = 100
    max_per_peer: int = 10
    max_recipients: int = 50

    @classmethod
    def from_settings(cls) -> ReceiverConfig:
        return cls(
            domains=list(settings.KEFU_EMAIL_DOMAINS),
            max_bytes=settings.KEFU_EMAIL_MAX_BYTES,
            hostname=settings.KEFU_EMAIL_SMTPD_HOSTNAME,
            tls_cert=settings.KEFU_EMAIL_SMTPD_TLS_CERT,
            tls_key=settings.KEFU_EMAIL_SMTPD_TLS_KEY,
            require_tls=settings.KEFU_EMAIL_SMTPD_REQUIRE_TLS,
            timeout=settings.KEFU_EMAIL_SMTPD_TIMEOUT_SECONDS,
            max_connections=settings.KEFU_EMAIL_SMTPD_MAX_CONNECTIONS,
            max_per_peer=settings.KEFU_EMAIL_SMTPD_MAX_PER_PEER,
            max_recipients=settings.KEFU_EMAIL_SMTPD_MAX_RECIPIENTS,
        )

    def tls_context(self) -> ssl.SSLContext | None:
        if not (self.tls_cert and self.tls_key):
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context


class _ConnectionLimits:
    """Open connections, in total and per peer address (used on the event loop only)."""

    def __init__(self, *, total: int, per_peer: int) -> None:
        self.total, self.per_peer = total, per_peer
        self.open: Counter[str] = Counter()

    def acquire(self, peer: str) -> bool:
        if sum(self.open.values()) >= self.total or self.open[peer] >= self.per_peer:
            return False
        self.open[peer] += 1
        return True

    def release(self, peer: str) -> None:
        self.open[peer] -= 1
        if self.open[peer] <= 0:
            del self.open[peer]


class _LimitedSMTP(SMTP):
    """aiosmtpd's protocol with per-peer and total connection limits (421 past them)."""

    # RFC 5321 says 1000; real senders exceed it, and refusing (500) would bounce their mail.
    line_length_limit = 64 * 1024

    def __init__(self, handler: Any, *, limits: _ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._peer_ip: str | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # a new connection (not the switch to TLS after STARTTLS)
            peer = transport.get_extra_info("peername")
            ip = str(peer[0]) if peer else "?"
            if not self._limits.acquire(ip):
                self._refused = True
                log.warning("smtpd: refused a connection from %s (connection limit)", ip)
                transport.write(b"421 4.7.0 Too many connections, try again later\r\n")  # type: ignore[attr-defined]
                transport.close()
                return
            self._peer_ip = ip
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._peer_ip is not None:
            self._limits.release(self._peer_ip)
            self._peer_ip = None
        super().connection_lost(error)


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        normalized = normalize_address(address)
        if normalized is None:
            return "553 5.1.3 Bad recipient address syntax"
        if normalized in envelope.rcpt_tos:  # the same recipient twice: one copy
            return "250 2.1.5 OK"
        if len(envelope.rcpt_tos) >= self.receiver.config.max_recipients:
            return "452 4.5.3 Too many recipients"
        try:
            accepted = await self.receiver.run(self.receiver.policy.accepts, normalized)
        except Exception:
            log.exception("smtpd: could not check recipient %s", normalized)
            return "451 4.3.0 Temporary failure, try again later"
        if not accepted:
            log.info("smtpd: %s refused recipient %s (not ours)", session.peer, normalized)
            return "550 5.7.1 Relaying denied: no such recipient here"
        envelope.rcpt_tos.append(normalized)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        try:
            await self.receiver.run(self.receiver.deliver_all, raw, recipients)
        except Exception as exc:
            # The traceback names the failure, never the message (no body in any log line).
            log.error(
                "smtpd: storing a message from %s (%s bytes, to %s) failed: %s; answered 451",
                session.peer,
                len(raw),
                ", ".join(recipients),
                type(exc).__name__,
                exc_info=True,
            )
            return "451 4.3.0 Temporary failure storing the message, try again later"
        log.info(
            "smtpd: accepted %s bytes from %s (mail from %s) for %s",
            len(raw),
            session.peer,
            envelope.mail_from,
            ", ".join(recipients),
        )
        return "250 2.0.0 Message accepted"


class SmtpReceiver:
    """The receiver: ``start()`` / ``stop()`` in a background thread (tests), or
    ``serve_forever()`` in the foreground (``kefu email smtpd``)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        deliver: Deliver | None = None,
        config: ReceiverConfig | None = None,
        policy: RecipientPolicy | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.deliver = deliver or default_deliver
        self.config = config or ReceiverConfig.from_settings()
        self.policy = policy or RecipientPolicy(domains=self.config.domains)
        self._tls = self.config.tls_context()
        self._limits = _ConnectionLimits(
            total=self.config.max_connections, per_peer=self.config.max_per_peer
        )
        self._executor = ThreadPoolExecutor(DELIVER_THREADS, thread_name_prefix="kefu-smtpd")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        # aiosmtpd logs DATA lines (the message) at DEBUG: never let that through.
        mail_log = logging.getLogger("mail.log")
        if mail_log.getEffectiveLevel() < logging.WARNING:
            mail_log.setLevel(logging.WARNING)

    # --- work done in threads (deliver touches the database) ------------------------------

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, func, *args)

    def deliver_all(self, raw: bytes, recipients: list[str]) -> None:
        """Hand one copy per recipient to ``deliver``; raises if any of them failed (the
        sender retries the whole message; storing is idempotent on the Message-ID)."""
        close_old_connections()
        try:
            for recipient in recipients:
                self.deliver(raw=raw, account=recipient, source=SOURCE)
        finally:
            close_old_connections()

    # --- the server ----------------------------------------------------------------------

    def _protocol(self) -> _LimitedSMTP:
        return _LimitedSMTP(
            _Handler(self),
            limits=self._limits,
            data_size_limit=self.config.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.config.hostname or None,
            ident="Kefu ESMTP",
            tls_context=self._tls,
            require_starttls=bool(self._tls and self.config.require_tls),
            timeout=self.config.timeout,
        )

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        self._server = await loop.create_server(self._protocol, host=self.host, port=self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "smtpd: listening on %s:%s for %s (STARTTLS %s, max %s bytes)",
            self.host,
            self.port,
            ", ".join(sorted(self.policy.domains)) or "mailbox addresses only",
            "on" if self._tls else "off",
            self.config.max_bytes,
        )

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=5)

    async def _main(self, ready: threading.Event | None = None) -> None:
        await self._open()
        if ready is not None:
            ready.set()
        assert self._stopped is not None
        await self._stopped.wait()
        await self._close()

    def start(self) -> None:
        """Listen in a background thread; returns once the socket is bound (``self.port``)."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(self._main(ready))
            except BaseException as exc:
                errors.append(exc)
                ready.set()

        self._thread = threading.Thread(target=target, name="kefu-smtpd", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._executor.shutdown(wait=True)

    def serve_forever(self) -> None:
        """Run until SIGINT or SIGTERM."""

        async def main() -> None:
            await self._open()
            assert self._stopped is not None
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, self._stopped.set)
            await self._stopped.wait()
            log.info("smtpd: stopping")
            await self._close()

        try:
            asyncio.run(main())
        finally:
            self._executor.shutdown(wait=True)
