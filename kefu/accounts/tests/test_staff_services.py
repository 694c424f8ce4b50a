"""staff_create and staff_update: who may grant which role, and what the audit log records."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role, User, UserKind
from kefu.accounts.services import staff_create, staff_update
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed
from kefu.testing import factories

STRONG = "Long-and-unusual-passphrase-42"


def _create(actor, **overrides):
    data = {
        "email": "new.agent@kefu.test",
        "display_name": "New Agent",
        "role": Role.AGENT_L1,
        "password": STRONG,
    } | overrides
    return staff_create(actor=actor, **data)


# --- staff_create ---------------------------------------------------------------------------


def test_supervisor_creates_an_agent_in_teams(supervisor, team_a, team_b, actor_of, audit_watch):
    watch = audit_watch()
    user = _create(
        actor_of(supervisor),
        email="  New.Agent@KEFU.test ",
        display_name="  Li Wei ",
        team_ids=[team_b.pk, team_a.pk],
        language="zh-hans",
    )
    user.refresh_from_db()
    assert user.email == "new.agent@kefu.test"
    assert user.display_name == "Li Wei"
    assert (user.kind, user.role, user.language) == (UserKind.STAFF, Role.AGENT_L1, "zh-hans")
    assert user.is_active
    assert user.is_agent
    assert not user.is_staff  # only admins may use Django's admin site
    assert user.check_password(STRONG)
    assert set(user.teams.all()) == {team_a, team_b}
    assert watch.rows() == [
        (
            "agent",
            f"agent:{supervisor.pk}",
            "staff.created",
            "user",
            str(user.pk),
            {
                "email": "new.agent@kefu.test",
                "role": "agent_l1",
                "teams": sorted([team_a.pk, team_b.pk]),
            },
        ),
    ]


def test_team_ids_may_be_any_iterable(supervisor, team_a, team_b, actor_of, audit_watch):
    watch = audit_watch()
    user = _create(actor_of(supervisor), team_ids=(pk for pk in [team_a.pk, team_b.pk]))
    assert set(user.teams.all()) == {team_a, team_b}
    assert watch.rows()[0][5]["teams"] == sorted([team_a.pk, team_b.pk])


@pytest.mark.parametrize(
    ("role", "is_staff"), [(Role.AGENT_L2, False), (Role.SUPERVISOR, False), (Role.ADMIN, True)]
)
def test_admin_may_grant_any_role(admin_user, actor_of, role, is_staff):
    user = _create(actor_of(admin_user), role=role)
    user.refresh_from_db()
    assert (user.role, user.is_staff) == (role, is_staff)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisor_cannot_grant_supervisor_or_admin(supervisor, actor_of, audit_watch, role):
    watch = audit_watch()
    users_before = User.objects.count()
    with pytest.raises(PermissionDenied):
        _create(actor_of(supervisor), role=role)
    assert User.objects.count() == users_before
    assert watch.rows() == []


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_agents_and_customers_cannot_create_staff(request, actor_of, audit_watch, persona):
    actor = actor_of(request.getfixturevalue(persona))
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        _create(actor)
    assert not User.objects.filter(email="new.agent@kefu.test").exists()
    assert watch.rows() == []


def test_system_actor_cannot_create_staff(db, audit_watch):
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        _create(Actor.system("script"))
    assert watch.rows() == []


def test_duplicate_email_is_a_conflict(supervisor, agent_a, actor_of, audit_watch):
    watch = audit_watch()
    with pytest.raises(Conflict) as excinfo:
        _create(actor_of(supervisor), email=" AGENT.A@kefu.test ")
    assert list(excinfo.value.fields) == ["email"]
    assert User.objects.filter(email="agent.a@kefu.test").count() == 1
    assert watch.rows() == []


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "new.agent.kefu"])
def test_weak_password_is_refused(supervisor, actor_of, audit_watch, password):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        _create(actor_of(supervisor), password=password)
    assert excinfo.value.message == "Choose a stronger password."
    assert list(excinfo.value.fields) == ["password"]
    assert excinfo.value.fields["password"]  # the validators' own explanations
    assert not User.objects.filter(email="new.agent@kefu.test").exists()
    assert watch.rows() == []


@pytest.mark.parametrize(
    ("field", "overrides"), [("role", {"role": "god"}), ("language", {"language": "fr"})]
)
def test_unknown_role_or_language_is_refused(supervisor, actor_of, audit_watch, field, overrides):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        _create(actor_of(supervisor), **overrides)
    assert list(excinfo.value.fields) == [field]
    assert watch.rows() == []


# --- staff_update ---------------------------------------------------------------------------


def test_supervisor_updates_an_agents_name_role_and_teams(
    supervisor, agent_a, team_a, team_b, actor_of, audit_watch
):
    old_name = agent_a.display_name
    watch = audit_watch()
    staff_update(
        user=agent_a,
        display_name=" A. Agent ",
        role=Role.AGENT_L2,
        team_ids=[team_b.pk],
        actor=actor_of(supervisor),
    )
    agent_a.refresh_from_db()
    assert (agent_a.display_name, agent_a.role, agent_a.is_staff) == (
        "A. Agent",
        Role.AGENT_L2,
        False,
    )
    assert list(agent_a.teams.all()) == [team_b]
    assert watch.rows() == [
        (
            "agent",
            f"agent:{supervisor.pk}",
            "staff.updated",
            "user",
            str(agent_a.pk),
            {
                "display_name": [old_name, "A. Agent"],
                "role": ["agent_l1", "agent_l2"],
                "teams": [[team_a.pk], [team_b.pk]],
            },
        ),
    ]


def test_supervisor_deactivates_an_agent(supervisor, agent_a, actor_of, audit_watch):
    watch = audit_watch()
    staff_update(user=agent_a, is_active=False, actor=actor_of(supervisor))
    agent_a.refresh_from_db()
    assert not agent_a.is_active
    assert not agent_a.is_agent
    assert [r[5] for r in watch.rows()] == [{"is_active": [True, False]}]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisor_cannot_promote_to_supervisor_or_admin(
    supervisor, agent_a, actor_of, audit_watch, role
):
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        staff_update(user=agent_a, role=role, actor=actor_of(supervisor))
    agent_a.refresh_from_db()
    assert agent_a.role == Role.AGENT_L1
    assert watch.rows() == []


@pytest.mark.parametrize("target", ["admin_user", "supervisor"])
def test_supervisor_cannot_edit_supervisors_or_admins(request, actor_of, audit_watch, target):
    manager = factories.StaffFactory(role=Role.SUPERVISOR)
    user = request.getfixturevalue(target)
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        staff_update(user=user, display_name="Renamed", actor=actor_of(manager))
    with pytest.raises(PermissionDenied):
        staff_update(user=user, is_active=False, actor=actor_of(manager))
    user.refresh_from_db()
    assert user.display_name != "Renamed"
    assert user.is_active
    assert watch.rows() == []


def test_admin_promotes_and_demotes_admins(admin_user, agent_a, actor_of):
    staff_update(user=agent_a, role=Role.ADMIN, actor=actor_of(admin_user))
    agent_a.refresh_from_db()
    assert (agent_a.role, agent_a.is_staff) == (Role.ADMIN, True)
    staff_update(user=agent_a, role=Role.AGENT_L2, actor=actor_of(admin_user))
    agent_a.refresh_from_db()
    assert (agent_a.role, agent_a.is_staff) == (Role.AGENT_L2, False)


def test_nobody_can_deactivate_themselves(admin_user, actor_of, audit_watch):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        staff_update(user=admin_user, is_active=False, actor=actor_of(admin_user))
    assert excinfo.value.message == "You cannot deactivate yourself."
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert watch.rows() == []


def test_supervisor_cannot_deactivate_themselves_either(supervisor, actor_of, audit_watch):
    watch = audit_watch()
    with pytest.raises((PermissionDenied, ValidationFailed)):
        staff_update(user=supervisor, is_active=False, actor=actor_of(supervisor))
    supervisor.refresh_from_db()
    assert supervisor.is_active
    assert watch.rows() == []


def test_unknown_role_is_refused_on_update(admin_user, agent_a, actor_of, audit_watch):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        staff_update(user=agent_a, role="root", actor=actor_of(admin_user))
    assert list(excinfo.value.fields) == ["role"]
    assert watch.rows() == []


@pytest.mark.parametrize("persona", ["agent_b", "senior", "customer_1"])
def test_agents_and_customers_cannot_update_staff(request, agent_a, actor_of, audit_watch, persona):
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        staff_update(
            user=agent_a, display_name="Hacked", actor=actor_of(request.getfixturevalue(persona))
        )
    agent_a.refresh_from_db()
    assert agent_a.display_name != "Hacked"
    assert watch.rows() == []


def test_deactivated_supervisor_can_no_longer_manage_staff(supervisor, agent_a, actor_of):
    actor = actor_of(supervisor)
    User.objects.filter(pk=supervisor.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        staff_update(user=agent_a, display_name="x", actor=actor)
    with pytest.raises(PermissionDenied):
        _create(actor)
