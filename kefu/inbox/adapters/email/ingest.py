"""The entry point for the email transports (the SMTP receiver and IMAP polling).

    email_ingest(raw=..., account="support@example.com", source="smtp")

stores the raw RFC 822 bytes first (an ``InboundEvent`` on the email channel, idempotent on
the Message-ID, or on the SHA-256 of the bytes when there is none or it is malformed) and
queues processing on commit: the worker parses, threads and receives it through the normal
pipeline (``inbound_process`` -> ``EmailAdapter.parse`` -> ``message_receive``).
"""

from __future__ import annotations

from functools import partial

from kefu.inbox.adapters.email.adapter import CONTENT_TYPE, EmailAdapter
from kefu.inbox.adapters.email.parse import raw_key
from kefu.inbox.inbound import inbound_store
from kefu.inbox.models import InboundEvent

SOURCES = frozenset({"smtp", "imap", "test", "bench"})


def email_ingest(*, raw: bytes, account: str, source: str) -> tuple[InboundEvent, bool]:
    """Store one raw message received for mailbox ``account`` (the recipient address) by
    ``source`` ("smtp", "imap", "test"); (event, created). A redelivery (same Message-ID to
    the same mailbox) returns the stored event and queues nothing."""
    adapter = EmailAdapter()
    event_id = adapter.event_id(raw)
    store = partial(
        inbound_store,
        adapter=adapter,
        payload=raw,
        content_type=CONTENT_TYPE,
        headers={"x-kefu-source": source if source in SOURCES else "other"},
        account=account.strip().lower(),
    )
    event, created = store(event_id=event_id)
    if not created and event_id.startswith("mid:") and bytes(event.payload) != raw:
        # The same Message-ID with other bytes: a relay's redelivery with new trace headers,
        # or someone reusing a Message-ID. Either way it is kept (keyed on its bytes); the
        # pipeline does not store the same message twice.
        return store(event_id=raw_key(raw))
    return event, created
