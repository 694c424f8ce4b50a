"""Fault: attachment storage fails (disk full: ``OSError(ENOSPC)``, injected by
``kefu.testing.storage.FullDiskStorage``) while customers and agents send files.

The sender gets a clear error (HTTP 503 ``storage_unavailable`` with Retry-After on the chat
upload, the error shown on the agent's reply form); the message is not stored without its
attachment, nothing reaches a chat socket, no partly written file is left behind; once storage
works again, the same upload (same idempotency key) is stored once and reaches the socket once.
An inbound email with an attachment is retried by the pipeline, not stored without it.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import re
from pathlib import Path

import httpx
import pytest
import websockets
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.conversations.models import Attachment, Message
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.inbound import inbound_process
from kefu.inbox.models import ChatSite, InboundEvent, InboundState
from kefu.testing.storage import FullDiskStorage

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def full_disk(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "kefu.testing.storage.FullDiskStorage"},
    }
    FullDiskStorage.fail_after, FullDiskStorage.failures = 0, 0
    yield FullDiskStorage
    FullDiskStorage.fail_after, FullDiskStorage.failures = None, 0


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(base: str, token: str, key: str, conversation_id: int, names: list[str]):
    files = [("file", (name, PNG, "image/png")) for name in names]
    return httpx.post(
        f"{base}/chat/v1/upload",
        data={"id": key, "body": "receipt attached", "conversation_id": str(conversation_id)},
        files=files,
        headers={"Authorization": f"Visitor {token}"},
        timeout=15,
    )


@pytest.mark.django_db(transaction=True)
def test_chat_upload_on_a_full_disk_is_refused_clearly_and_stores_nothing(
    asgi_server, full_disk, team_a, settings, report
):
    ChatSite.objects.create(name="Full", key="full-site", team=team_a)
    media = Path(settings.MEDIA_ROOT)

    async def scenario() -> dict[str, object]:
        ws_url = asgi_server.url.replace("http://", "ws://") + "/ws/chat/v1"
        async with websockets.connect(ws_url) as sock:
            await sock.send(json.dumps({"type": "hello", "site": "full-site"}))
            welcome = json.loads(await sock.recv())
            token = welcome["visitor"]["token"]
            await sock.send(json.dumps({"type": "message.send", "id": "full-00001", "body": "hi"}))
            ack = await _recv(sock, "message.ack")
            cid = ack["conversation"]["id"]
            await _recv(sock, "message.created")

            # Disk full: one file, then two files where the second fails after the first.
            one = await asyncio.to_thread(
                _upload, asgi_server.url, token, "full-up-01", cid, ["a.png"]
            )
            full_disk.fail_after = 1
            two = await asyncio.to_thread(
                _upload, asgi_server.url, token, "full-up-02", cid, ["b.png", "c.png"]
            )
            quiet = await _frames_for(sock, 1.0)  # nothing may reach the socket

            # Storage is back: the same uploads, same keys, are stored once each.
            full_disk.fail_after = None
            again = [
                await asyncio.to_thread(_upload, asgi_server.url, token, key, cid, names)
                for key, names in (("full-up-01", ["a.png"]), ("full-up-02", ["b.png", "c.png"]))
            ]
            repeat = await asyncio.to_thread(
                _upload, asgi_server.url, token, "full-up-01", cid, ["a.png"]
            )
            later = await _frames_for(sock, 1.5)
            return {
                "one": one,
                "two": two,
                "quiet": quiet,
                "again": again,
                "repeat": repeat,
                "later": later,
                "cid": cid,
            }

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, scenario()).result(timeout=60)

    refused = [out["one"], out["two"]]
    created_later = [f for f in out["later"] if f["type"] == "message.created"]
    stored = list(Message.objects.filter(conversation_id=out["cid"]).order_by("seq"))
    keys = [m.external_id.split(":", 1)[1] for m in stored]
    report(
        f"storage full: uploads sent=2 (3 files) "
        f"refused 503={sum(r.status_code == 503 for r in refused)} "
        f"frames on the socket while full={len(out['quiet'])}; after recovery resent=2 "
        f"acknowledged={sum(r.status_code == 200 for r in out['again'])} "
        f"delivered on the socket={len(created_later)} duplicates={len(keys) - len(set(keys))} "
        f"lost={sum(1 for k in ('full-up-01', 'full-up-02') if k not in keys)}; "
        f"disk writes refused={full_disk.failures}"
    )
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        body = response.json()
        assert body["code"] == "storage_unavailable"
        assert "could not be saved" in body["message"]
    assert out["quiet"] == []
    assert [r.status_code for r in out["again"]] == [200, 200]
    assert out["repeat"].json()["message"]["id"] == out["again"][0].json()["message"]["id"]
    assert keys == ["full-00001", "full-up-01", "full-up-02"]
    assert [len(m.attachments.all()) for m in stored] == [0, 1, 2]
    assert sorted(f["message"]["id"] for f in created_later) == [m.pk for m in stored[1:]]
    # Only the three stored attachments are on disk: the first file of the failed pair was
    # removed when the second failed.
    assert len(_files(media)) == Attachment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_agent_reply_with_a_file_on_a_full_disk_shows_the_error_and_stores_nothing(
    client, agent_a, conversation_a, full_disk, settings
):
    client.force_login(agent_a)
    before = Message.objects.filter(conversation=conversation_a).count()
    response = client.post(
        f"/agent/c/{conversation_a.pk}/reply",
        {
            "body": "Here is the form",
            "set_status": "",
            "attachments": SimpleUploadedFile("form.png", PNG, content_type="image/png"),
        },
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUESTED_WITH="fetch",
    )
    text = response.content.decode()
    assert response.status_code >= 400, text[:300]
    assert re.search("could not be saved", text), text[:500]
    assert Message.objects.filter(conversation=conversation_a).count() == before
    assert _files(Path(settings.MEDIA_ROOT)) == []


@pytest.mark.django_db(transaction=True)
def test_inbound_email_with_an_attachment_waits_for_storage_instead_of_dropping_it(
    full_disk, settings
):
    settings.KEFU_EMAIL_ADDRESS = "support@kefu.test"
    raw = (
        (
            b"From: Ana <ana@customer.example>\r\nTo: support@kefu.test\r\nSubject: Proof\r\n"
            b"Message-ID: <full-disk-1@customer.example>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            b"Content-Type: text/plain\r\n\r\nMy receipt.\r\n--b\r\n"
            b'Content-Type: image/png; name="r.png"\r\n'
            b'Content-Disposition: attachment; filename="r.png"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        + base64.encodebytes(PNG).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )
    event, _ = email_ingest(raw=raw, account="support@kefu.test", source="test")
    event.refresh_from_db()
    if event.state == InboundState.RECEIVED:  # the immediate task backend already tried once
        assert inbound_process(event_pk=event.pk, attempts=event.attempts) == "retry"
    event.refresh_from_db()
    assert event.state == InboundState.RECEIVED
    assert "could not be saved" in event.last_error or "No space" in event.last_error
    assert not Message.objects.filter(external_id="mid:full-disk-1@customer.example").exists()

    full_disk.fail_after = None
    assert inbound_process(event_pk=event.pk, attempts=event.attempts) == "processed"
    message = Message.objects.get(external_id="mid:full-disk-1@customer.example")
    assert [a.filename for a in message.attachments.all()] == ["r.png"]
    assert InboundEvent.objects.get(pk=event.pk).state == InboundState.PROCESSED


async def _recv(sock, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(sock.recv(), 10))
        if frame["type"] == kind:
            return frame


async def _frames_for(sock, seconds: float) -> list[dict]:
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(sock.recv(), seconds)))
    except TimeoutError:
        return [f for f in frames if f["type"] not in ("pong",)]
