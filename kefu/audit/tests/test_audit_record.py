"""audit_record: one append-only row per change, with secrets redacted."""

from __future__ import annotations

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind


def test_writes_one_row_with_the_actor_reference_and_address(db):
    actor = Actor(kind=ActorKind.AGENT, user_id=7, label="Agent Seven", ip="192.0.2.1")
    entry = audit_record(
        actor=actor,
        action="conversation.viewed",
        object_type="conversation",
        object_id=42,
        data={"contact": 3},
    )
    stored = AuditEntry.objects.get()
    assert stored == entry
    assert (
        stored.actor_kind,
        stored.actor_ref,
        stored.action,
        stored.object_type,
        stored.object_id,
        stored.data,
        stored.ip,
    ) == (
        "agent",
        "agent:7",
        "conversation.viewed",
        "conversation",
        "42",
        {"contact": 3},
        "192.0.2.1",
    )
    assert str(stored) == "agent:7 conversation.viewed conversation:42"


def test_secret_values_are_never_stored(db):
    audit_record(
        actor=Actor.system(),
        action="apikey.created",
        object_type="apikey",
        object_id=1,
        data={
            "password": "hunter2",
            "secret": "s3",
            "token": "t0k",
            "api_key": "kf_x_y",
            "key": "k",
            "name": "Backend",
        },
    )
    assert AuditEntry.objects.get().data == {
        "password": "[redacted]",
        "secret": "[redacted]",
        "token": "[redacted]",
        "api_key": "[redacted]",
        "key": "[redacted]",
        "name": "Backend",
    }


def test_actor_references():
    assert Actor.system().ref == "system"
    assert Actor(kind=ActorKind.CUSTOMER, user_id=5, contact_id=9).ref == "customer:5"
    assert Actor(kind=ActorKind.CUSTOMER, contact_id=9).ref == "customer:9"
    assert Actor(kind=ActorKind.API, api_key_id=3).ref == "api:3"
    assert Actor(kind=ActorKind.ASSISTANT).ref == "assistant"


def test_no_data_is_an_empty_object_and_no_address_is_null(db):
    audit_record(actor=Actor.system(), action="x.done", object_type="x", object_id="abc")
    entry = AuditEntry.objects.get()
    assert (entry.data, entry.ip, entry.object_id) == ({}, None, "abc")


def test_newest_rows_come_first(db):
    for action in ("a", "b", "c"):
        audit_record(actor=Actor.system(), action=action, object_type="x", object_id=1)
    assert [e.action for e in AuditEntry.objects.all()] == ["c", "b", "a"]
