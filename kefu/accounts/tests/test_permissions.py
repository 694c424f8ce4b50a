"""The fixed capabilities of each staff role, and the Actor a signed-in user acts as."""

from __future__ import annotations

import pytest

from kefu.accounts import permissions
from kefu.accounts.models import Role
from kefu.accounts.services import actor_for_user
from kefu.core.actor import ActorKind
from kefu.testing import factories

ROLES = [Role.AGENT_L1, Role.AGENT_L2, Role.SUPERVISOR, Role.ADMIN]


@pytest.mark.parametrize(
    ("role", "tier", "sees_all", "manages_staff", "manages_keys"),
    [
        (Role.AGENT_L1, 1, False, False, False),
        (Role.AGENT_L2, 2, False, False, False),
        (Role.SUPERVISOR, 3, True, True, False),
        (Role.ADMIN, 3, True, True, True),
    ],
)
def test_role_capabilities(db, role, tier, sees_all, manages_staff, manages_keys):
    user = factories.StaffFactory(role=role)
    assert permissions.max_tier(user) == tier
    assert permissions.sees_all(user) is sees_all
    assert permissions.can_manage_staff(user) is manages_staff
    assert permissions.can_manage_workspace(user) is manages_staff
    assert permissions.can_manage_api_keys(user) is manages_keys


@pytest.mark.parametrize(
    ("granter", "grantable"),
    [
        (Role.AGENT_L1, set()),
        (Role.AGENT_L2, set()),
        (Role.SUPERVISOR, {Role.AGENT_L1, Role.AGENT_L2}),
        (Role.ADMIN, set(ROLES)),
    ],
)
def test_who_may_grant_which_role(db, granter, grantable):
    user = factories.StaffFactory(role=granter)
    assert {role for role in ROLES if permissions.can_grant_role(user, role)} == grantable


@pytest.mark.parametrize("role", ROLES)
def test_inactive_staff_have_no_capabilities(db, role):
    user = factories.StaffFactory(role=role, is_active=False)
    assert not user.is_agent
    assert not permissions.sees_all(user)
    assert not permissions.can_manage_staff(user)
    assert not permissions.can_manage_workspace(user)
    assert not permissions.can_manage_api_keys(user)
    assert not any(permissions.can_grant_role(user, r) for r in ROLES)


def test_customers_and_role_less_staff_have_no_capabilities(customer_1):
    role_less = factories.StaffFactory(role="")
    for user in (customer_1, role_less):
        assert not user.is_agent
        assert permissions.max_tier(user) == 0
        assert not permissions.sees_all(user)
        assert not permissions.can_manage_staff(user)
        assert not permissions.can_manage_api_keys(user)


def test_api_scopes_are_read_and_write_per_resource():
    assert permissions.API_SCOPES == (
        "customers:read",
        "customers:write",
        "conversations:read",
        "conversations:write",
    )


def test_actor_for_agent(agent_a):
    actor = actor_for_user(agent_a, ip="10.0.0.1")
    assert actor.kind == ActorKind.AGENT
    assert (actor.user_id, actor.contact_id, actor.ip) == (agent_a.pk, None, "10.0.0.1")
    assert actor.label == str(agent_a)
    assert actor.ref == f"agent:{agent_a.pk}"


def test_actor_for_customer_carries_their_contact(customer_1):
    actor = actor_for_user(customer_1)
    assert actor.kind == ActorKind.CUSTOMER
    assert (actor.user_id, actor.contact_id) == (customer_1.pk, customer_1.contact.pk)
    assert actor.ref == f"customer:{customer_1.pk}"
