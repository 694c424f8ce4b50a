"""contact_create and contact_update: customer records, unique by email and exchange uid."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Max

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact, VipTier
from kefu.contacts.services import contact_create, contact_update
from kefu.core.errors import Conflict, ValidationFailed
from kefu.testing import factories


@pytest.fixture
def audit_rows(db):
    """audit_rows() -> the audit rows written since the fixture was set up."""
    start = AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0

    def rows() -> list[tuple[Any, ...]]:
        return [
            (a.actor_kind, a.actor_ref, a.action, a.object_type, a.object_id, a.data)
            for a in AuditEntry.objects.filter(pk__gt=start).order_by("pk")
        ]

    return rows


# --- contact_create -------------------------------------------------------------------------


def test_agent_creates_a_contact(agent_a, actor_of, audit_rows):
    contact = contact_create(
        email="  Trader@Example.COM ",
        uid=" U778899 ",
        name="  Zhang San ",
        phone=" +86 138 0000 0000 ",
        language="zh-hans",
        vip_tier=VipTier.VIP2,
        actor=actor_of(agent_a),
    )
    contact.refresh_from_db()
    assert (contact.email, contact.uid, contact.name, contact.phone) == (
        "trader@example.com",
        "U778899",
        "Zhang San",
        "+86 138 0000 0000",
    )
    assert (contact.language, contact.vip_tier, contact.user) == ("zh-hans", 2, None)
    assert audit_rows() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "contact.created",
            "contact",
            str(contact.pk),
            {"uid": "U778899"},
        ),
    ]


def test_email_alone_or_uid_alone_is_enough(db, system_actor):
    by_email = contact_create(email="only@example.com", actor=system_actor)
    by_uid = contact_create(uid="U1", actor=system_actor)
    assert (by_email.email, by_email.uid) == ("only@example.com", None)
    assert (by_uid.email, by_uid.uid) == (None, "U1")
    # Several contacts without an email (or without a uid) may coexist.
    contact_create(uid="U2", actor=system_actor)
    contact_create(email="other@example.com", actor=system_actor)
    assert Contact.objects.filter(email__isnull=True).count() == 2
    assert Contact.objects.filter(uid__isnull=True).count() == 2


def test_email_or_uid_is_required(db, system_actor, audit_rows):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(email="  ", uid="  ", name="Nobody", actor=system_actor)
    assert excinfo.value.message == "Give an email address or an exchange account id."
    assert not Contact.objects.exists()
    assert audit_rows() == []


@pytest.mark.parametrize(
    ("kwargs", "duplicate"),
    [
        ({"email": "dup@example.com"}, {"email": "DUP@example.com "}),
        ({"uid": "U42"}, {"uid": " U42 ", "email": "new@example.com"}),
        ({"uid": "U43", "email": "a@example.com"}, {"uid": "U44", "email": "a@example.com"}),
    ],
)
def test_duplicate_email_or_uid_is_a_conflict(system_actor, audit_rows, kwargs, duplicate):
    contact_create(actor=system_actor, **kwargs)
    before = audit_rows()
    with pytest.raises(Conflict) as excinfo:
        contact_create(actor=system_actor, **duplicate)
    assert excinfo.value.message == "A customer with this email or account id already exists."
    assert Contact.objects.count() == 1
    assert audit_rows() == before


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("language", {"email": "x@example.com", "language": "fr"}),
        ("language", {"email": "x@example.com", "language": ""}),
        ("email", {"email": "not-an-email"}),
        ("email", {"email": "a@b@example.com"}),
        ("vip_tier", {"email": "x@example.com", "vip_tier": 9}),
    ],
)
def test_invalid_contact_is_refused(system_actor, audit_rows, field, kwargs):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=system_actor, **kwargs)
    assert list(excinfo.value.fields) == [field]
    assert not Contact.objects.exists()
    assert audit_rows() == []


# --- contact_update -------------------------------------------------------------------------


def test_agent_updates_a_contact(agent_a, actor_of, audit_rows):
    contact = factories.ContactFactory(name="Old", phone="", language="en")
    contact_update(
        contact=contact,
        name=" New Name ",
        phone=" 123 ",
        language="zh-hans",
        vip_tier=VipTier.VIP3,
        actor=actor_of(agent_a),
    )
    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.language, contact.vip_tier) == (
        "New Name",
        "123",
        "zh-hans",
        3,
    )
    assert audit_rows() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "contact.updated",
            "contact",
            str(contact.pk),
            {"name": "New Name", "phone": "123", "language": "zh-hans", "vip_tier": "3"},
        ),
    ]


def test_update_only_touches_given_fields(db, system_actor):
    contact = factories.ContactFactory(name="Keep", phone="555", language="en")
    contact_update(contact=contact, language="zh-hans", actor=system_actor)
    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.language) == ("Keep", "555", "zh-hans")


@pytest.mark.parametrize(
    ("field", "kwargs"), [("language", {"language": "de"}), ("vip_tier", {"vip_tier": -1})]
)
def test_invalid_update_changes_nothing(system_actor, audit_rows, field, kwargs):
    contact = factories.ContactFactory(name="Keep", language="en")
    with pytest.raises(ValidationFailed) as excinfo:
        contact_update(contact=contact, name="Changed", actor=system_actor, **kwargs)
    assert list(excinfo.value.fields) == [field]
    contact.refresh_from_db()
    assert (contact.name, contact.language) == ("Keep", "en")
    assert audit_rows() == []
