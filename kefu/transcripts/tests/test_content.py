"""What a transcript holds for each audience: never an internal note in the customer's copy."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from kefu.core import clock
from kefu.transcripts import keys
from kefu.transcripts.services import transcript_export

from .conftest import (
    AGENT_REPLY,
    CUSTOMER_TEXT,
    FIXED_NOW,
    NOTE_FILE,
    NOTE_TEXT,
    REPLY_FILE,
    png_bytes,
)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: FIXED_NOW)


def _json(conversation, audience, actor) -> dict:
    exported = transcript_export(
        conversation=conversation, audience=audience, fmt="json", actor=actor
    )
    return json.loads(exported.content)["transcript"]


def _pdf_text(conversation, audience, actor) -> str:
    exported = transcript_export(
        conversation=conversation, audience=audience, fmt="pdf", actor=actor
    )
    reader = PdfReader(io.BytesIO(exported.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_customer_copy_is_exactly_the_public_conversation(
    full_conversation, customer_1, agent_a, actor_of
):
    transcript = _json(full_conversation, "customer", actor_of(customer_1))
    messages = transcript.pop("messages")
    events = transcript.pop("events")
    assert transcript == {
        "format": "kefu-transcript/1",
        "issuer": "Example Exchange",
        "key_id": keys.signing_key().key_id,
        "audience": "customer",
        "generated_at": "2026-03-02T09:30:15Z",
        "generated_for": {"kind": "customer", "id": customer_1.contact.pk},
        "time_zone": "UTC",
        "language": "en",
        "conversation": {
            "reference": full_conversation.reference,
            "subject": "提现未到账 Withdrawal missing",
            "channel": "web",
            "status": "solved",
            "category": "other",
            "created_at": full_conversation.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "closed_at": None,
            "customer": {"name": str(customer_1.contact)},
        },
    }
    assert [(m["number"], m["kind"], m["internal"], m["author"], m["body"]) for m in messages] == [
        (1, "reply", False, {"role": "customer", "name": str(customer_1.contact)}, CUSTOMER_TEXT),
        (2, "reply", False, {"role": "agent", "name": agent_a.display_name}, AGENT_REPLY),
        (
            3,
            "reply",
            False,
            {"role": "customer", "name": str(customer_1.contact)},
            "Thank you! 谢谢",
        ),
    ]
    reply = full_conversation.messages.get(body=AGENT_REPLY)
    attachment = reply.attachments.get()
    assert messages[1]["attachments"] == [
        {
            "filename": REPLY_FILE,
            "content_type": "image/png",
            "size": len(png_bytes()),
            "sha256": attachment.sha256,
        }
    ]
    assert messages[1]["time"] == reply.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(e["kind"], e["from"], e["to"]) for e in events] == [
        ("status", "new", "open"),
        ("status", "open", "solved"),
    ]


def test_the_customer_copy_never_contains_internal_notes(full_conversation, customer_1, actor_of):
    exported = transcript_export(
        conversation=full_conversation, audience="customer", fmt="json", actor=actor_of(customer_1)
    )
    raw = exported.content.decode()
    assert "SECRET-NOTE" not in raw
    assert "内部备注" not in raw
    assert NOTE_FILE not in raw
    assert '"internal": true' not in raw
    text = _pdf_text(full_conversation, "customer", actor_of(customer_1))
    assert CUSTOMER_TEXT in text
    assert "SECRET-NOTE" not in text
    assert "内部备注" not in text
    assert NOTE_FILE not in text
    assert "Internal note" not in text


def test_an_agent_asking_for_the_customer_copy_gets_no_notes_either(
    full_conversation, agent_a, actor_of
):
    transcript = _json(full_conversation, "customer", actor_of(agent_a))
    assert [m["internal"] for m in transcript["messages"]] == [False, False, False]
    assert transcript["generated_for"] == {"kind": "agent", "id": agent_a.pk}
    assert "SECRET-NOTE" not in _pdf_text(full_conversation, "customer", actor_of(agent_a))


def test_the_internal_copy_marks_notes_as_internal(full_conversation, agent_a, actor_of):
    transcript = _json(full_conversation, "internal", actor_of(agent_a))
    assert transcript["audience"] == "internal"
    assert [(m["number"], m["kind"], m["internal"]) for m in transcript["messages"]] == [
        (1, "reply", False),
        (2, "reply", False),
        (3, "note", True),
        (4, "reply", False),
    ]
    note = transcript["messages"][2]
    assert note["body"] == NOTE_TEXT
    assert note["author"] == {"role": "agent", "name": str(agent_a)}
    assert [a["filename"] for a in note["attachments"]] == [NOTE_FILE]
    text = _pdf_text(full_conversation, "internal", actor_of(agent_a))
    assert "Internal note · 3. " in text
    assert "SECRET-NOTE" in text
    assert "Internal copy: it contains internal notes" in text


def test_the_customer_copy_names_agents_as_the_portal_does(
    full_conversation, customer_1, agent_a, actor_of
):
    shown = agent_a.display_name
    agent_a.display_name = ""
    agent_a.save(update_fields=["display_name"])
    from kefu.conversations.services import message_reply

    message_reply(conversation=full_conversation, body="later", actor=actor_of(agent_a))
    customer_copy = _json(full_conversation, "customer", actor_of(customer_1))
    # The name the customer saw at the time, never the email; none at all: "Support agent".
    assert customer_copy["messages"][1]["author"] == {"role": "agent", "name": shown}
    assert customer_copy["messages"][-1]["author"] == {"role": "agent", "name": "Support agent"}
    internal_copy = _json(full_conversation, "internal", actor_of(agent_a))
    assert internal_copy["messages"][1]["author"] == {"role": "agent", "name": agent_a.email}


def test_times_are_utc_plus_the_requesters_time_zone(full_conversation, customer_1, actor_of):
    customer_1.timezone = "Asia/Shanghai"
    customer_1.save(update_fields=["timezone"])
    transcript = _json(full_conversation, "customer", actor_of(customer_1))
    first = transcript["messages"][0]
    assert transcript["time_zone"] == "Asia/Shanghai"
    assert first["time"].endswith("Z")
    assert first["time_local"].endswith("+08:00")
    local = full_conversation.messages.first().created_at.astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    )
    assert first["time_local"] == local.replace(microsecond=0).isoformat()
    text = _pdf_text(full_conversation, "customer", actor_of(customer_1))
    assert "Asia/Shanghai (UTC+08:00)" in text
    assert local.strftime("%Y-%m-%d %H:%M:%S") in text


def test_an_unknown_time_zone_falls_back_to_utc(full_conversation, customer_1, actor_of):
    customer_1.timezone = "Mars/Olympus_Mons"
    customer_1.save(update_fields=["timezone"])
    transcript = _json(full_conversation, "customer", actor_of(customer_1))
    assert transcript["time_zone"] == "UTC"
    assert transcript["messages"][0]["time_local"].endswith("+00:00")


def test_a_chinese_speaking_customer_gets_chinese_labels(full_conversation, customer_1, actor_of):
    customer_1.language = "zh-hans"
    customer_1.save(update_fields=["language"])
    assert _json(full_conversation, "customer", actor_of(customer_1))["language"] == "zh-hans"
    text = _pdf_text(full_conversation, "customer", actor_of(customer_1))
    assert "对话记录" in text
    assert "客户副本" in text
    assert "签名方 Example Exchange" in text
    assert CUSTOMER_TEXT in text


def test_the_pdf_footer_names_the_issuer_key_and_verify_page(
    full_conversation, customer_1, actor_of
):
    text = _pdf_text(full_conversation, "customer", actor_of(customer_1))
    key_id = keys.signing_key().key_id
    assert (
        f"Signed by Example Exchange – key id {key_id} – verify at "
        "https://support.example.com/transcripts/verify/"
    ) in text
    assert f"Example Exchange · Conversation transcript · {full_conversation.reference}" in text


def test_markup_and_control_characters_in_a_message_are_printed_as_text(
    conversation_a, customer_1, actor_of
):
    from kefu.conversations.services import message_reply

    message_reply(
        conversation=conversation_a,
        body="<b>not bold</b> & <script>x</script>\x07 done",
        actor=actor_of(customer_1),
    )
    text = _pdf_text(conversation_a, "customer", actor_of(customer_1))
    assert "<b>not bold</b> & <script>x</script> done" in text
