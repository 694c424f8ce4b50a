"""Sign-in security in the backoffice: the two-factor policy per role and the admin's reset of
someone's two-factor sign-in (admins only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.accounts import twofactor
from kefu.accounts.models import Role, SecurityPolicy
from kefu.accounts.tests.twofactor_kit import enrol, use_clock
from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect

POLICY = reverse("backoffice:security_policy")


@pytest.fixture
def clock(monkeypatch):
    return use_clock(monkeypatch)


def _reset_url(user) -> str:
    return reverse("backoffice:staff_2fa_reset", args=[user.pk])


def test_admin_sets_the_policy(client_for, admin_user, supervisor):
    client = client_for(admin_user)
    page = client.get(POLICY)
    assert page.status_code == 200
    assert 'name="required_2fa_roles"' in page.content.decode()
    response = client.post(POLICY, {"required_2fa_roles": [Role.SUPERVISOR, Role.AGENT_L2]})
    assert response.status_code == 302
    assert SecurityPolicy.objects.get().required_2fa_roles == ["agent_l2", "supervisor"]
    entry = AuditEntry.objects.get(action="security_policy.updated")
    assert entry.actor_ref == f"agent:{admin_user.pk}"
    page = client.get(POLICY).content.decode()
    assert 'id="missing-2fa"' in page
    assert supervisor.email in page


def test_admin_sees_the_security_link(client_for, admin_user, supervisor):
    assert POLICY in client_for(admin_user).get(reverse("backoffice:index")).content.decode()
    assert POLICY not in client_for(supervisor).get(reverse("backoffice:index")).content.decode()


@pytest.mark.parametrize("who", ["supervisor", "senior", "agent_a"])
def test_non_admins_cannot_see_or_change_the_policy(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    assert_hidden(client, "get", POLICY)
    assert_hidden(client, "post", POLICY, {"required_2fa_roles": []})
    assert not SecurityPolicy.objects.exists()


def test_anonymous_is_sent_to_login(db):
    assert_login_redirect("get", POLICY)


def test_admin_resets_a_staff_members_two_factor(client_for, admin_user, agent_a, clock):
    enrol(agent_a, clock)
    client = client_for(admin_user)
    edit = client.get(reverse("backoffice:staff_edit", args=[agent_a.pk])).content.decode()
    assert _reset_url(agent_a) in edit
    confirm = client.get(_reset_url(agent_a))
    assert confirm.status_code == 200
    assert 'name="reason"' in confirm.content.decode()
    assert twofactor.two_factor_enabled(agent_a)  # a GET changes nothing

    missing_reason = client.post(_reset_url(agent_a), {"reason": ""})
    assert missing_reason.status_code == 200
    assert twofactor.two_factor_enabled(agent_a)

    response = client.post(_reset_url(agent_a), {"reason": "Lost phone, video call"})
    assert response.status_code == 302
    assert not twofactor.two_factor_enabled(agent_a)
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert (entry.object_id, entry.data) == (str(agent_a.pk), {"reason": "Lost phone, video call"})


@pytest.mark.parametrize("who", ["supervisor", "senior", "agent_b"])
def test_non_admins_cannot_reset_two_factor(client_for, request, agent_a, clock, who):
    enrol(agent_a, clock)
    client = client_for(request.getfixturevalue(who))
    assert_hidden(client, "get", _reset_url(agent_a))
    assert_hidden(client, "post", _reset_url(agent_a), {"reason": "please"})
    assert twofactor.two_factor_enabled(agent_a)


def test_staff_list_shows_who_uses_two_factor(client_for, admin_user, agent_a, clock):
    enrol(agent_a, clock)
    page = client_for(admin_user).get(reverse("backoffice:staff_list")).content.decode()
    assert "Two-factor" in page
