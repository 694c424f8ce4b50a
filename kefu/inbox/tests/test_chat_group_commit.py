"""Group commit of chat messages (kefu.inbox.adapters.webchat.batch): the batched path keeps
every guarantee of the one-by-one path, and falls back to it message by message."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from kefu.audit.models import AuditEntry
from kefu.audit.verify import audit_verify
from kefu.conversations import search
from kefu.conversations.models import Conversation, Message, Status, TimelineEntry
from kefu.inbox.adapters.webchat import batch, protocol
from kefu.inbox.adapters.webchat.session import ChatSession
from kefu.inbox.models import ChatVisitor
from kefu.testing.realtime import chat_hello

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _start(site_key: str, key: str) -> tuple[object, int]:
    sock, _welcome = await chat_hello(site_key)
    await sock.send({"type": "message.send", "id": key, "body": "first"})
    ack = await sock.recv_type("message.ack")
    return sock, ack["conversation"]["id"]


def _count_batches(monkeypatch) -> tuple[list[int], list[str]]:
    """Record the size of each batch written, and every message sent the one-by-one way."""
    written: list[int] = []
    one_by_one: list[str] = []
    real_write, real_handle = batch._write, ChatSession.handle

    def counting(items, candidates):
        results = real_write(items, candidates)
        written.append(len(results))
        return results

    def handle(self, frame):
        one_by_one.append(getattr(frame, "id", ""))
        return real_handle(self, frame)

    monkeypatch.setattr(batch, "_write", counting)
    monkeypatch.setattr(ChatSession, "handle", handle)
    return written, one_by_one


async def test_messages_from_many_sockets_are_stored_in_one_batch_each_once(chat_site, monkeypatch):
    calls, one_by_one = _count_batches(monkeypatch)
    chats = [await _start(chat_site.key, f"start-key-{i}") for i in range(4)]
    calls.clear()
    one_by_one.clear()
    audit_before = await sync_to_async(AuditEntry.objects.count)()

    async def send(sock, cid, n):
        await sock.send(
            {
                "type": "message.send",
                "id": f"batch-key-{cid}-{n}",
                "body": f"word{n}",
                "conversation_id": cid,
            }
        )
        return await sock.recv_type("message.ack")

    acks = await asyncio.gather(*(send(sock, cid, 1) for sock, cid in chats))
    assert max(calls) > 1  # several sockets' messages went into one transaction
    assert sum(calls) == 4
    assert one_by_one == []  # none of them needed the fallback
    for (sock, cid), ack in zip(chats, acks, strict=True):
        assert ack["message"]["conversation_id"] == cid
        assert ack["message"]["seq"] == 2
        assert ack["conversation"]["last_seq"] == 2
        created = await sock.recv_type("message.created")
        while created["message"]["seq"] != 2:
            created = await sock.recv_type("message.created")
        assert created["message"]["id"] == ack["message"]["id"]

    def stored():
        rows = []
        for _sock, cid in chats:
            conversation = Conversation.objects.get(pk=cid)
            message = Message.objects.get(conversation_id=cid, seq=2)
            timeline = TimelineEntry.objects.filter(message=message, public=True).count()
            rows.append((conversation.last_seq, conversation.message_count, message, timeline))
        audits = AuditEntry.objects.filter(action="message.replied").count()
        return rows, AuditEntry.objects.count() - audit_before, audits, audit_verify().ok

    rows, new_audit, _replied, chain_ok = await sync_to_async(stored)()
    for last_seq, count, message, timeline in rows:
        assert (last_seq, count, message.public_seq, timeline) == (2, 2, 2, 1)
        assert message.body == "word1"
    assert new_audit == 4
    assert chain_ok  # the batch's audit rows are chained like four audit_record calls
    for sock, _cid in chats:
        await sock.close()


def _session(visitor_id: int, chat_site) -> ChatSession:
    visitor = ChatVisitor.objects.select_related("site", "contact").get(pk=visitor_id)
    return ChatSession(site=visitor.site, visitor=visitor, language="en")


def _frame(key: str, body: str, cid: int | None) -> protocol.MessageSend:
    frame = {"type": "message.send", "id": key, "body": body, "conversation_id": cid}
    return protocol.parse(json.dumps(frame))


async def test_mixed_batch_answers_each_message_as_the_one_by_one_path(chat_site, monkeypatch):
    (sock_a, cid_a), (sock_b, cid_b), (sock_c, cid_c) = [
        await _start(chat_site.key, f"mixed-start-{i}") for i in range(3)
    ]

    def run():
        visitors = {
            cid: ChatVisitor.objects.get(conversation_id=cid).pk for cid in (cid_a, cid_b, cid_c)
        }
        Conversation.objects.filter(pk=cid_c).update(status=Status.CLOSED)
        a, b, c = (_session(visitors[cid], chat_site) for cid in (cid_a, cid_b, cid_c))
        items = [
            batch.Item(a, _frame("mixed-new-01", "plain words", cid_a)),
            batch.Item(a, _frame("mixed-start-0", "a repeat of the first", cid_a)),
            batch.Item(b, _frame("mixed-secret", f"my seed phrase is {SEED}", cid_b)),
            batch.Item(c, _frame("mixed-closed", "too late", cid_c)),
            batch.Item(b, _frame("mixed-theirs", "not mine", cid_a)),
            batch.Item(b, _frame("mixed-new-02", "also plain", cid_b)),
            batch.Item(b, _frame("mixed-new-02", "also plain", cid_b)),  # the same key twice
        ]
        return batch.write_batch(items), visitors

    written, one_by_one = _count_batches(monkeypatch)
    results, _visitors = await sync_to_async(run)()
    assert written == [2]  # the two plain new messages, in one transaction
    assert one_by_one == [
        "mixed-start-0",
        "mixed-secret",
        "mixed-closed",
        "mixed-theirs",
        "mixed-new-02",
    ]
    kinds = [r.frames[0]["type"] for r in results]
    assert kinds[0] == "message.ack"
    assert results[0].frames[0]["message"]["seq"] == 2
    assert kinds[1] == "message.ack"
    assert results[1].frames[0]["message"]["seq"] == 1
    assert kinds[2] == "message.ack"
    assert "abandon ability" not in results[2].frames[0]["message"]["body"]  # redacted
    assert results[3].frames[0] == {
        **results[3].frames[0],
        "type": "error",
        "code": "conversation_closed",
    }
    assert results[4].frames[0]["type"] == "error"
    assert results[4].frames[0]["code"] == "not_found"
    assert kinds[5] == kinds[6] == "message.ack"
    assert results[5].frames[0]["message"]["id"] == results[6].frames[0]["message"]["id"]

    def counts():
        return (
            Message.objects.filter(conversation_id=cid_a).count(),
            Message.objects.filter(external_id__endswith=":mixed-new-02").count(),
            Conversation.objects.get(pk=cid_b).security_risk,
            Message.objects.filter(conversation_id=cid_c).count(),
        )

    assert await sync_to_async(counts)() == (2, 1, True, 1)
    for sock in (sock_a, sock_b, sock_c):
        await sock.close()


async def test_a_failed_batch_stores_every_message_one_by_one(chat_site, monkeypatch):
    chats = [await _start(chat_site.key, f"fail-start-{i}") for i in range(3)]

    def broken(texts):
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(search, "append_many", broken)

    def run():
        items = []
        for n, (_sock, cid) in enumerate(chats):
            visitor = ChatVisitor.objects.get(conversation_id=cid)
            items.append(
                batch.Item(
                    _session(visitor.pk, chat_site), _frame(f"fail-{n}-key", "hello again", cid)
                )
            )
        return batch.write_batch(items)

    results = await sync_to_async(run)()
    assert [r.frames[0]["type"] for r in results] == ["message.ack"] * 3
    assert [r.frames[0]["message"]["seq"] for r in results] == [2, 2, 2]

    def stored():
        return [Message.objects.filter(conversation_id=cid).count() for _s, cid in chats]

    assert await sync_to_async(stored)() == [2, 2, 2]
    for sock, _cid in chats:
        await sock.close()


async def test_a_batched_message_is_found_by_search(chat_site):
    sock, cid = await _start(chat_site.key, "search-start")
    await sock.send(
        {
            "type": "message.send",
            "id": "search-key-1",
            "body": "withdrawal zebracorn 提现失败",
            "conversation_id": cid,
        }
    )
    await sock.recv_type("message.ack")

    def found(q):
        return list(
            Conversation.objects.filter(pk__in=search.matching_ids(q)).values_list("pk", flat=True)
        )

    assert cid in await sync_to_async(found)("zebracorn")
    assert cid in await sync_to_async(found)("失败")
    assert cid in await sync_to_async(found)("first")  # the earlier terms are kept
    await sock.close()
