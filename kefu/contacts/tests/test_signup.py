"""customer_signup: a portal login for a customer, linked to their contact record."""

from __future__ import annotations

import pytest
from django.db.models import Max

from kefu.accounts.models import User, UserKind
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.contacts.services import customer_signup
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, ValidationFailed
from kefu.testing import factories

STRONG = "Moon-lambo-hodl-2049"
ANON = Actor.system("signup")


@pytest.fixture
def new_audit(db):
    start = AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0
    return lambda: list(AuditEntry.objects.filter(pk__gt=start).order_by("pk"))


def test_signup_creates_a_customer_and_a_contact(new_audit):
    user = customer_signup(
        email=" New.Trader@Example.com ",
        password=STRONG,
        name=" 李雷 ",
        language="zh-hans",
        actor=ANON,
    )
    user.refresh_from_db()
    assert (user.email, user.display_name, user.kind, user.language) == (
        "new.trader@example.com",
        "李雷",
        UserKind.CUSTOMER,
        "zh-hans",
    )
    assert user.role == ""
    assert not user.is_agent
    assert user.check_password(STRONG)
    contact = Contact.objects.get(user=user)
    assert (contact.email, contact.name, contact.language) == (
        "new.trader@example.com",
        "李雷",
        "zh-hans",
    )
    [row] = new_audit()
    assert (
        row.actor_kind,
        row.actor_ref,
        row.action,
        row.object_type,
        row.object_id,
        row.data,
    ) == (
        "system",
        "system",
        "customer.signed_up",
        "contact",
        str(contact.pk),
        {"user": user.pk, "new_contact": True},
    )


def test_signup_links_the_existing_contact_with_the_same_email(new_audit):
    existing = factories.ContactFactory(
        email="known@example.com", name="From the exchange", uid="U555", language="en"
    )
    user = customer_signup(
        email="KNOWN@example.com", password=STRONG, name="Known", language="zh-hans", actor=ANON
    )
    existing.refresh_from_db()
    assert existing.user == user
    # The exchange's record keeps its name, uid and language.
    assert (existing.name, existing.uid, existing.language) == ("From the exchange", "U555", "en")
    assert Contact.objects.filter(email="known@example.com").count() == 1
    [row] = new_audit()
    assert (row.action, row.object_id, row.data) == (
        "customer.signed_up",
        str(existing.pk),
        {"user": user.pk, "new_contact": False},
    )


def test_second_signup_with_the_same_email_is_a_conflict(customer_1, new_audit):
    users = User.objects.count()
    with pytest.raises(Conflict) as excinfo:
        customer_signup(
            email="ALICE@example.com",
            password=STRONG,
            name="Alice again",
            language="en",
            actor=ANON,
        )
    assert excinfo.value.fields == {"email": ["An account with this email already exists."]}
    assert User.objects.count() == users
    assert new_audit() == []


def test_staff_email_cannot_be_used_for_a_customer_account(agent_a, new_audit):
    with pytest.raises(Conflict):
        customer_signup(
            email="agent.a@kefu.test", password=STRONG, name="x", language="en", actor=ANON
        )
    assert not Contact.objects.filter(email="agent.a@kefu.test").exists()
    assert new_audit() == []


def test_contact_already_linked_to_another_login_is_a_conflict(customer_1, new_audit):
    contact = customer_1.contact
    User.objects.filter(pk=customer_1.pk).update(email="alice.new@example.com")
    users = User.objects.count()
    with pytest.raises(Conflict):
        customer_signup(
            email=contact.email, password=STRONG, name="Impostor", language="en", actor=ANON
        )
    assert User.objects.count() == users  # the half-created login was rolled back
    contact.refresh_from_db()
    assert contact.user_id == customer_1.pk
    assert new_audit() == []


@pytest.mark.parametrize(
    "password", ["short", "password1", "1234567890", "signup.person.example.com"]
)
def test_weak_password_is_refused(new_audit, password):
    with pytest.raises(ValidationFailed) as excinfo:
        customer_signup(
            email="signup.person@example.com",
            password=password,
            name="Signup Person",
            language="en",
            actor=ANON,
        )
    assert excinfo.value.message == "Choose a stronger password."
    assert excinfo.value.fields["password"]
    assert not User.objects.filter(email="signup.person@example.com").exists()
    assert not Contact.objects.exists()
    assert new_audit() == []


@pytest.mark.parametrize(
    ("field", "email", "language"),
    [("email", "not-an-email", "en"), ("email", "", "en"), ("language", "ok@example.com", "jp")],
)
def test_invalid_signup_is_refused(new_audit, field, email, language):
    with pytest.raises(ValidationFailed) as excinfo:
        customer_signup(email=email, password=STRONG, name="x", language=language, actor=ANON)
    assert list(excinfo.value.fields) == [field]
    assert not User.objects.exists()
    assert new_audit() == []
