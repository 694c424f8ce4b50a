"""Fault: a worker is killed with SIGKILL in the middle of inbound email processing and
outbound deliveries; after a worker is started again every job has its effect exactly once.

Jobs are queued first (inbound emails through ``email_ingest``, agent replies to email
conversations -> ``deliver_outbound``, agent replies on portal conversations ->
``notify_customer_of_reply``), interleaved. A local SMTP server (aiosmtpd) holds one chosen
recipient's transaction open at RCPT; while a worker is stuck there it is killed, so the kill
lands inside a job deterministically: first inside a reply notification (a job with no lease
of its own: before ADR 0027 it stayed RUNNING for ever and the email was lost), then inside a
channel delivery (recovered by its attempt lease). A third worker finishes the queue.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from kefu.ops.periodic import SCHEDULE
from tests.faults.infra import free_port, kefu_env, shell, sql, start_worker, wait_for

K = 6  # of each: new inbound emails, replies by email, replies notified by email

SETUP = """
import json
from kefu.accounts.services import actor_for_user
from kefu.conversations.models import Message
from kefu.conversations.services import message_reply
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.inbound import inbound_process
from kefu.testing import factories

K = %(k)d

def mail(name):
    return (
        f"From: {name} <{name}@customer.example>\\r\\nTo: support@kefu.test\\r\\n"
        f"Subject: Withdrawal {name}\\r\\nMessage-ID: <{name}@customer.example>\\r\\n"
        "Content-Type: text/plain; charset=utf-8\\r\\n\\r\\n"
        f"My withdrawal ({name}) has not arrived.\\r\\n"
    ).encode()

agent = factories.StaffFactory(email="fault.agent@kefu.test")
actor = actor_for_user(agent)
early = []
for i in range(K):  # conversations that came by email earlier
    event, _ = email_ingest(raw=mail(f"early-{i}"), account="support@kefu.test", source="test")
    assert inbound_process(event_pk=event.pk, attempts=0) == "processed"
    early.append(Message.objects.get(external_id=f"mid:early-{i}@customer.example").conversation)
replies = []
for i in range(K):  # the queue: inbound, notification, delivery, inbound, ...
    email_ingest(raw=mail(f"in-{i}"), account="support@kefu.test", source="test")
    contact = factories.ContactFactory(email=f"portal-{i}@customer.example")
    portal = factories.ConversationFactory(contact=contact)
    replies.append(message_reply(conversation=portal, body=f"Portal answer {i}", actor=actor).pk)
    replies.append(message_reply(conversation=early[i], body=f"Email answer {i}", actor=actor).pk)
print(json.dumps({"replies": replies}))
"""

VERIFY = """
import json
from kefu.conversations.models import Message
from kefu.inbox.adapters.email.threading import own_message_id
from kefu.inbox.models import InboundEvent, OutboundDelivery
replies = %(replies)s
names = [f"in-{i}" for i in range(%(k)d)] + [f"early-{i}" for i in range(%(k)d)]
print(json.dumps({
    "stored": {n: Message.objects.filter(external_id=f"mid:{n}@customer.example").count()
               for n in names},
    "events": sorted(set(InboundEvent.objects.values_list("state", flat=True))),
    "expected": {own_message_id(pk): pk for pk in replies},
    "deliveries": sorted(set(OutboundDelivery.objects.values_list("state", flat=True))),
    "notified": Message.objects.filter(pk__in=replies, customer_notified_at__isnull=False).count(),
}))
"""


@dataclass
class StallingHandler:
    """Keeps what it receives; holds the transaction of ``stall_for`` at RCPT until released."""

    received: list[tuple[str, str]] = field(default_factory=list)  # (message-id, recipient)
    stall_for: str = ""
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        if self.stall_for and address == self.stall_for:
            self.stall_for = ""
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        mid = str(message_from_bytes(envelope.original_content)["Message-ID"]).strip("<> ")
        for rcpt in envelope.rcpt_tos:
            self.received.append((mid.lower(), rcpt))
        return "250 OK"

    def stall(self, address: str) -> None:
        self.stalled.clear()
        self.release.clear()
        self.stall_for = address


def _task_states(url: str) -> dict[str, int]:
    rows = sql(
        url, "SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
    )
    return dict(rows)


def test_killed_worker_jobs_complete_exactly_once(procs, kefu_db, tmp_path, report):
    handler = StallingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        env = kefu_env(
            tmp_path,
            kefu_db,
            KEFU_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            KEFU_EMAIL_HOST="127.0.0.1",
            KEFU_EMAIL_PORT=str(smtp.port),
            KEFU_EMAIL_TIMEOUT="30",
            KEFU_EMAIL_ADDRESS="support@kefu.test",
            KEFU_EMAIL_DOMAINS="kefu.test",
            KEFU_WORKER_LEASE_SECONDS="2",
            KEFU_CHANNEL_ATTEMPT_LEASE_SECONDS="2",
        )
        setup: dict[str, Any] = json.loads(shell(env, SETUP % {"k": K}).strip().splitlines()[-1])
        started = time.monotonic()
        killed = []

        # 1. Killed inside a reply notification (its SMTP transaction is held open).
        handler.stall("portal-2@customer.example")
        worker = start_worker(procs, env)
        assert handler.stalled.wait(30), worker.tail()
        worker.kill9()
        handler.release.set()
        killed.append("notify_customer_of_reply")
        assert _task_states(kefu_db).get("RUNNING") == 1  # left claimed by the dead worker

        # 2. Killed inside a channel delivery by email.
        handler.stall("early-4@customer.example")
        worker = start_worker(procs, env)
        assert handler.stalled.wait(30), worker.tail()
        worker.kill9()
        handler.release.set()
        killed.append("deliver_outbound")

        # 3. A worker that is left alone finishes everything.
        start_worker(procs, env)

        def finished() -> bool:
            # The delivery's attempt lease (2 s here) has to pass, then the periodic
            # dispatcher re-drives it; its 30-s period is fast-forwarded here, nothing else,
            # and only while a delivery is still unsent.
            queued = sql(
                kefu_db, "SELECT COUNT(*) FROM inbox_outbounddelivery WHERE state <> 'sent'"
            )
            if queued[0][0]:
                sql(
                    kefu_db,
                    "UPDATE ops_periodicjobstate SET next_run_at = %s WHERE name = %s",
                    ["2000-01-01 00:00:00", "channels.dispatch_due"],
                )
            states = _task_states(kefu_db)
            return not states.get("READY") and not states.get("RUNNING") and queued[0][0] == 0

        wait_for(finished, timeout=40, interval=0.5, what="the queue to drain")
        elapsed = time.monotonic() - started
    finally:
        smtp.stop()

    result = json.loads(
        shell(env, VERIFY % {"replies": setup["replies"], "k": K}).strip().splitlines()[-1]
    )
    stored = result["stored"]
    inbound_dupes = sum(n - 1 for n in stored.values() if n > 1)
    inbound_lost = sum(1 for n in stored.values() if n == 0)
    counts = Counter(mid for mid, _ in handler.received)
    expected = result["expected"]
    delivered = sum(1 for mid in expected if counts[mid] >= 1)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = len(expected) - delivered
    states = _task_states(kefu_db)
    # The worker keeps running its periodic jobs while the results are read: a tick enqueued
    # after the drain (e.g. the last fast-forwarded dispatch) may still be waiting. Every other
    # job succeeded; none failed or was left claimed.
    unfinished = sql(
        kefu_db,
        "SELECT status, task_path FROM django_tasks_database_dbtaskresult "
        "WHERE status <> 'SUCCESSFUL'",
    )
    periodic = {job.task for job in SCHEDULE}
    report(
        f"worker killed -9 twice ({', '.join(killed)}): inbound emails sent={len(stored)} "
        f"stored={sum(1 for n in stored.values() if n)} duplicates={inbound_dupes} "
        f"lost={inbound_lost}; outbound replies={len(expected)} delivered={delivered} "
        f"duplicates={duplicates} lost={lost} (SMTP transactions {len(handler.received)}); "
        f"jobs {states}; recovered in {elapsed:.1f} s"
    )
    assert inbound_dupes == 0, stored
    assert inbound_lost == 0, stored
    assert duplicates == 0, counts
    assert lost == 0, (expected, counts)
    assert result["events"] == ["processed"]
    assert result["deliveries"] == ["sent"]
    assert result["notified"] == len(expected)
    assert all(status == "READY" and path in periodic for status, path in unfinished), unfinished
