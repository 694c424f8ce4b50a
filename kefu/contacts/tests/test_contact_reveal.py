"""contact_reveal: staff get the full value, and the read is in the audit log."""

from __future__ import annotations

import pytest

from kefu.audit.models import AuditEntry
from kefu.contacts.services import contact_reveal
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.testing import factories


@pytest.fixture
def contact(db):
    return factories.ContactFactory(email="alice@example.com", phone="+86 13812348000")


def test_reveal_returns_the_value_and_audits_the_read(contact):
    actor = Actor(kind=ActorKind.AGENT, user_id=5, ip="192.0.2.9")

    value = contact_reveal(contact=contact, field="phone", actor=actor, conversation_id=77)

    assert value == "+86 13812348000"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_ref) == (
        "contact.revealed",
        "contact",
        str(contact.pk),
        "agent:5",
    )
    assert entry.data == {"field": "phone", "conversation": 77}
    assert "13812348000" not in str(entry.data)  # the audit log names the field, not the value


def test_every_reveal_is_recorded(contact):
    actor = Actor(kind=ActorKind.AGENT, user_id=5)

    assert contact_reveal(contact=contact, field="email", actor=actor) == "alice@example.com"
    contact_reveal(contact=contact, field="email", actor=actor)

    assert list(AuditEntry.objects.values_list("action", "data")) == [
        ("contact.revealed", {"field": "email"}),
        ("contact.revealed", {"field": "email"}),
    ]


@pytest.mark.parametrize(
    "actor",
    [
        Actor(kind=ActorKind.CUSTOMER, contact_id=1),
        Actor.system(),
        Actor(kind=ActorKind.API, api_key_id=3),
    ],
    ids=["customer", "system", "api"],
)
def test_only_staff_may_reveal(contact, actor):
    with pytest.raises(PermissionDenied):
        contact_reveal(contact=contact, field="email", actor=actor)

    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("field", ["name", "uid", "user", "password", ""])
def test_only_personal_fields_are_revealed(contact, field):
    with pytest.raises(ValidationFailed):
        contact_reveal(contact=contact, field=field, actor=Actor(kind=ActorKind.AGENT, user_id=5))

    assert not AuditEntry.objects.exists()
