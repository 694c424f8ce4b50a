"""Contact selectors: agents look customers up; customers reach only their own record."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role
from kefu.contacts.selectors import contact_for_user, contact_get_for_agent, contact_list_for_agent
from kefu.core.errors import NotFound
from kefu.testing import factories


@pytest.fixture
def contacts(db):
    return {
        "alice": factories.ContactFactory(email="alice.trader@example.com", uid="U100"),
        "alan": factories.ContactFactory(email="alan@example.com", uid="U200"),
        "bob": factories.ContactFactory(email="bob@example.com", uid="ALICE"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"alice", "alan", "bob"}),
        ("al", {"alice", "alan"}),
        ("  ALICE.T ", {"alice"}),
        ("U200", {"alan"}),
        ("ALICE", {"alice", "bob"}),  # email prefix (case-insensitive) or exact uid
        ("u200", set()),  # the uid is matched exactly
        ("zed", set()),
    ],
)
def test_agents_find_customers_by_email_prefix_or_exact_uid(contacts, agent_a, query, expected):
    by_pk = {c.pk: name for name, c in contacts.items()}
    found = {
        by_pk[c.pk] for c in contact_list_for_agent(user=agent_a, query=query) if c.pk in by_pk
    }
    assert found == expected


def test_non_agents_find_nobody(contacts, customer_1):
    inactive = factories.StaffFactory(role=Role.SUPERVISOR, is_active=False)
    for user in (customer_1, inactive):
        assert list(contact_list_for_agent(user=user)) == []
        with pytest.raises(NotFound):
            contact_get_for_agent(user=user, pk=contacts["alice"].pk)


def test_agent_gets_a_contact_by_id(contacts, agent_b):
    assert contact_get_for_agent(user=agent_b, pk=contacts["bob"].pk) == contacts["bob"]
    with pytest.raises(NotFound):
        contact_get_for_agent(user=agent_b, pk=999_999)


def test_customer_reaches_only_their_own_contact(customer_1, customer_2):
    assert contact_for_user(customer_1) == customer_1.contact
    assert contact_for_user(customer_2) == customer_2.contact
    staff = factories.StaffFactory()
    with pytest.raises(NotFound):
        contact_for_user(staff)
