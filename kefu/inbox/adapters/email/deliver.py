"""What the email transports hand each received message to.

The SMTP receiver (``smtpd``) and IMAP polling (``imap``) only move bytes: each message they
receive is passed, exactly as received, to a *deliver* callable, which stores it (as an
``InboundEvent``, idempotent on the Message-ID) and queues its processing. A transport
acknowledges a message (SMTP 250, IMAP move/flag) only after deliver returned; if deliver
raises, the message stays with the sender (SMTP 451) or in the mailbox (IMAP) for a later try.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.module_loading import import_string

# The email adapter's ingest function (stores raw RFC 822 bytes and queues processing).
INGEST = "kefu.inbox.adapters.email.ingest.email_ingest"


class Deliver(Protocol):
    def __call__(self, *, raw: bytes, account: str, source: str) -> object: ...


def default_deliver(*, raw: bytes, account: str, source: str) -> object:
    """Store ``raw`` through the email adapter's ``email_ingest`` (imported when called)."""
    ingest = import_string(INGEST)
    return ingest(raw=raw, account=account, source=source)
