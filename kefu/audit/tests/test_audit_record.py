"""audit_record: one append-only, hash-chained row per change, with secrets redacted."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from django.db import transaction

from kefu.audit.chain import GENESIS_HASH, canonical_data, entry_hash
from kefu.audit.models import AuditChainHead, AuditEntry
from kefu.audit.services import audit_record
from kefu.audit.tests.conftest import tamper
from kefu.audit.verify import audit_verify
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind


def verify_ok() -> bool:
    return audit_verify().ok


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


# --- the hash chain -------------------------------------------------------------------------


def test_entries_are_numbered_from_one_and_each_commits_to_the_previous(five_entries):
    stored = list(AuditEntry.objects.order_by("seq"))

    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert [entry_hash(e.chain_fields()) for e in stored] == [e.hash for e in stored]
    assert len({e.hash for e in stored}) == 5


def test_the_head_names_the_newest_entry(five_entries):
    head = AuditChainHead.objects.get()

    assert (head.pk, head.seq, head.hash) == (1, 5, five_entries[-1].hash)


def test_the_hash_covers_the_encoding_of_every_field(monkeypatch, db):
    at = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: at)
    actor = Actor(kind=ActorKind.AGENT, user_id=3, ip="2001:DB8:0:0:0:0:0:1")

    entry = audit_record(
        actor=actor, action="a.b", object_type="t", object_id=9, data={"b": 1, "a": "é"}
    )

    encoding = (
        '["kefu-audit/1",1,"' + GENESIS_HASH + '","2026-03-04T05:06:07.000089Z",'
        '"agent","agent:3","a.b","t","9",{"a":"é","b":1},"2001:db8::1"]'
    ).encode()
    assert entry.hash == hashlib.sha256(encoding).hexdigest()
    stored = AuditEntry.objects.get()
    assert (stored.created_at, stored.ip) == (at, "2001:db8::1")


def test_data_is_stored_as_both_databases_give_it_back(record):
    record(whole=2.0, big=1e16, tiny=1.5e-7, odd=float("nan"), nested={"z": 1, "a": [0.5, 3.0]})

    assert AuditEntry.objects.get().data == {
        "whole": 2,
        "big": 10000000000000000,
        "tiny": 1.5e-7,
        "odd": "nan",
        "nested": {"a": [0.5, 3], "z": 1},
    }
    assert verify_ok()


def test_a_rolled_back_change_leaves_no_gap(record):
    def change_that_fails() -> None:
        with transaction.atomic():
            record("rolled.back")
            raise RuntimeError

    record("kept.first")
    with pytest.raises(RuntimeError):
        change_that_fails()
    record("kept.second")

    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "kept.first"),
        (2, "kept.second"),
    ]
    assert AuditChainHead.objects.get().seq == 2


def test_a_missing_head_is_rebuilt_from_the_newest_entry(record):
    record("one")
    two = record("two")
    tamper("DELETE FROM audit_auditchainhead")

    three = record("three")

    assert (three.seq, three.prev_hash) == (3, two.hash)
    assert AuditChainHead.objects.get().seq == 3


def test_canonical_data_is_idempotent():
    value = {"b": [1.0, 2.5, {"x": None}], 3: "three", "when": datetime(2026, 1, 1, tzinfo=UTC)}

    once = canonical_data(value)

    assert once == {"b": [1, 2.5, {"x": None}], "3": "three", "when": "2026-01-01T00:00:00Z"}
    assert canonical_data(once) == once
