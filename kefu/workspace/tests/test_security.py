"""The agent's sign-in security page (two-factor set-up, recovery codes, turning it off,
password) and the enrolment the security policy enforces (kefu.workspace.middleware)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kefu.accounts import twofactor
from kefu.accounts.models import Role
from kefu.accounts.tests.twofactor_kit import code_at, enrol, use_clock
from kefu.audit.models import AuditEntry
from kefu.testing.factories import PASSWORD
from kefu.workspace.tests.conftest import login

SECURITY = reverse("workspace:security")


@pytest.fixture
def clock(monkeypatch):
    return use_clock(monkeypatch)


def _require(*roles: str) -> None:
    from kefu.core.actor import Actor

    twofactor.security_policy_set(required_2fa_roles=list(roles), actor=Actor.system("test"))


# --- enforcement -----------------------------------------------------------------------------


def test_required_role_without_a_device_is_sent_to_enrolment_on_every_page(supervisor):
    _require(Role.SUPERVISOR)
    client = login(supervisor)
    for path in ("/agent/", "/agent/account/", "/agent/manage/", "/django-admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SECURITY + "?next="), path
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert 'id="tfa-required"' in page.content.decode()


def test_posts_are_refused_too(supervisor, conversation_a):
    _require(Role.SUPERVISOR)
    response = login(supervisor).post(
        reverse("workspace:reply", args=[conversation_a.pk]), {"body": "hi"}
    )
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert not conversation_a.messages.filter(body="hi").exists()


def test_roles_the_policy_does_not_name_pass(agent_a, supervisor):
    _require(Role.SUPERVISOR)
    assert login(agent_a).get("/agent/").status_code == 200
    _require()
    assert login(supervisor).get("/agent/").status_code == 200


def test_the_production_default_requires_admins_and_supervisors(
    admin_user, supervisor, agent_a, monkeypatch
):
    monkeypatch.setattr(
        twofactor, "DEFAULT_REQUIRED_ROLES", (Role.ADMIN.value, Role.SUPERVISOR.value)
    )
    assert login(admin_user).get("/agent/").status_code == 302
    assert login(supervisor).get("/agent/").status_code == 302
    assert login(agent_a).get("/agent/").status_code == 200


def test_enrolled_staff_pass(supervisor, clock):
    _require(Role.SUPERVISOR)
    enrol(supervisor, clock)
    assert login(supervisor).get("/agent/").status_code == 200


def test_customers_and_portal_pages_are_not_affected(customer_1, supervisor):
    _require(Role.SUPERVISOR, Role.AGENT_L1)
    assert login(customer_1).get(reverse("portal:request_list")).status_code == 200
    assert login(supervisor).post(reverse("portal:logout")).status_code == 302


# --- enrolment through the pages -------------------------------------------------------------


def test_enrolment_pages_end_to_end(supervisor, clock):
    _require(Role.SUPERVISOR)
    client = login(supervisor)
    response = client.post(reverse("workspace:security_enrol_start"), {"next": "/agent/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:security_enrol") + "?next=%2Fagent%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")

    wrong = client.post(reverse("workspace:security_enrol"), {"code": "000000", "next": "/agent/"})
    assert wrong.status_code == 400
    assert not twofactor.two_factor_enabled(supervisor)

    done = client.post(
        reverse("workspace:security_enrol"), {"code": code_at(secret, clock.at), "next": "/agent/"}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.content.decode())
    assert len(codes) == 10
    assert "no-store" in done["Cache-Control"]
    assert 'href="/agent/"' in done.content.decode()
    assert client.get("/agent/").status_code == 200  # enrolment no longer required


def test_regenerate_codes_from_the_page(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = login(agent_a)
    page = client.get(SECURITY).content.decode()
    assert "Unused recovery codes: 10" in page
    response = client.post(reverse("workspace:security_codes"))
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.content.decode())
    assert len(codes) == 10
    assert not set(codes) & set(enrolled.recovery_codes)


def test_turn_off_from_the_page(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = login(agent_a)
    refused = client.post(
        reverse("workspace:security_disable"), {"password": "nope", "code": enrolled.code(clock)}
    )
    assert refused.status_code == 400
    assert twofactor.two_factor_enabled(agent_a)
    response = client.post(
        reverse("workspace:security_disable"),
        {"password": PASSWORD, "code": enrolled.code(clock)},
    )
    assert response.status_code == 302
    assert not twofactor.two_factor_enabled(agent_a)


def test_required_role_sees_no_turn_off_form(supervisor, clock):
    _require(Role.SUPERVISOR)
    enrol(supervisor, clock)
    page = login(supervisor).get(SECURITY).content.decode()
    assert reverse("workspace:security_disable") not in page


# --- password, sessions ----------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_others(agent_a):
    mine, other = login(agent_a), login(agent_a)
    response = mine.post(
        reverse("workspace:security_password"),
        {"old_password": PASSWORD, "new_password": "a-new-long-passphrase-42"},
    )
    assert response.status_code == 302
    agent_a.refresh_from_db()
    assert agent_a.check_password("a-new-long-passphrase-42")
    assert mine.get(SECURITY).status_code == 200
    assert other.get(SECURITY).status_code == 302
    assert AuditEntry.objects.filter(action="user.password_changed").count() == 1


def test_change_password_refuses_a_wrong_current_one(agent_a):
    response = login(agent_a).post(
        reverse("workspace:security_password"),
        {"old_password": "wrong", "new_password": "a-new-long-passphrase-42"},
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in response.content.decode()
    agent_a.refresh_from_db()
    assert agent_a.check_password(PASSWORD)


def test_sign_out_everywhere_else(agent_a):
    mine, other = login(agent_a), login(agent_a)
    assert mine.post(reverse("workspace:security_sign_out_everywhere")).status_code == 302
    assert mine.get(SECURITY).status_code == 200
    assert other.get(SECURITY).status_code == 302
