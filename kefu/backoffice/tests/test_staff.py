import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import Role, User, UserKind
from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.testing import factories

LIST = "/agent/manage/staff/"
NEW = "/agent/manage/staff/new/"
STRONG = "violet-harbour-lantern-42"


def edit_url(user):
    return f"/agent/manage/staff/{user.pk}/edit/"


def new_staff(team, **overrides):
    data = {
        "email": "New.Agent@kefu.test",
        "display_name": "New Agent",
        "role": Role.AGENT_L1,
        "teams": [team.pk],
        "password": STRONG,
        "language": "zh-hans",
    }
    data.update(overrides)
    return data


# --- list -----------------------------------------------------------------------------------


def test_supervisor_sees_every_staff_user_with_teams(
    client_for, supervisor, admin_user, agent_a, agent_b, senior
):
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for user in (supervisor, admin_user, agent_a, agent_b, senior):
        assert user.email in html
    assert "Team A" in html
    assert "Team B" in html
    rows = {user.email: editable for user, editable in response.context["rows"]}
    assert rows == {
        "admin@kefu.test": False,
        "agent.a@kefu.test": True,
        "agent.b@kefu.test": True,
        "senior@kefu.test": True,
        "supervisor@kefu.test": False,
    }


def test_staff_list_does_not_list_customers(client_for, admin_user, customer_1):
    html = client_for(admin_user).get(LIST).content.decode()
    assert customer_1.email not in html


def test_admin_can_edit_every_staff_user(client_for, admin_user, supervisor, agent_a):
    response = client_for(admin_user).get(LIST)
    assert all(editable for _, editable in response.context["rows"])


def test_staff_list_query_count_does_not_grow_with_rows(client_for, admin_user, team_a, team_b):
    client = client_for(admin_user)
    factories.StaffFactory(teams=[team_a])
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(8):
        factories.StaffFactory(teams=[team_a, team_b])
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)


# --- create ---------------------------------------------------------------------------------


def test_supervisor_creates_an_l1_agent(client_for, supervisor, team_a):
    client = client_for(supervisor)
    response = client.post(NEW, new_staff(team_a))
    assert response.status_code == 302
    assert response.url == LIST
    user = User.objects.get(email="new.agent@kefu.test")
    assert (user.kind, user.role, user.display_name, user.language) == (
        UserKind.STAFF,
        Role.AGENT_L1,
        "New Agent",
        "zh-hans",
    )
    assert list(user.teams.values_list("pk", flat=True)) == [team_a.pk]
    assert user.check_password(STRONG)
    assert user.is_active is True
    assert user.is_staff is False
    entry = AuditEntry.objects.get(action="staff.created")
    assert entry.object_type == "user"
    assert entry.object_id == str(user.pk)
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert entry.ip == "127.0.0.1"
    assert entry.data == {"email": "new.agent@kefu.test", "role": "agent_l1", "teams": [team_a.pk]}
    assert STRONG not in str(entry.data)
    follow = client.get(LIST)
    assert "Staff user new.agent@kefu.test created." in follow.content.decode()


def test_admin_creates_supervisor_and_admin(client_for, admin_user, team_a):
    client = client_for(admin_user)
    client.post(NEW, new_staff(team_a, email="sup2@kefu.test", role=Role.SUPERVISOR))
    client.post(NEW, new_staff(team_a, email="admin2@kefu.test", role=Role.ADMIN, teams=[]))
    sup = User.objects.get(email="sup2@kefu.test")
    adm = User.objects.get(email="admin2@kefu.test")
    assert (sup.role, sup.is_staff) == (Role.SUPERVISOR, False)
    assert (adm.role, adm.is_staff) == (Role.ADMIN, True)
    assert list(adm.teams.all()) == []
    assert AuditEntry.objects.filter(action="staff.created").count() == 2


def test_supervisor_form_offers_only_agent_roles(client_for, supervisor):
    response = client_for(supervisor).get(NEW)
    assert response.status_code == 200
    choices = [value for value, _ in response.context["form"].fields["role"].choices]
    assert choices == [Role.AGENT_L1, Role.AGENT_L2]
    html = response.content.decode()
    assert 'value="supervisor"' not in html
    assert 'value="admin"' not in html


def test_admin_form_offers_every_role(client_for, admin_user):
    response = client_for(admin_user).get(NEW)
    choices = [value for value, _ in response.context["form"].fields["role"].choices]
    assert choices == [Role.AGENT_L1, Role.AGENT_L2, Role.SUPERVISOR, Role.ADMIN]


def test_every_create_input_has_a_label(client_for, admin_user, team_a):
    html = client_for(admin_user).get(NEW).content.decode()
    for field_id in (
        "id_email",
        "id_display_name",
        "id_role",
        "id_password",
        "id_language",
        "id_teams_0",
    ):
        assert f'for="{field_id}"' in html


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisor_cannot_create_supervisor_or_admin(client_for, supervisor, team_a, role):
    response = client_for(supervisor).post(NEW, new_staff(team_a, role=role))
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(email="new.agent@kefu.test").exists()
    assert not AuditEntry.objects.exists()


def test_duplicate_email_rerenders_with_message(client_for, supervisor, agent_a, team_a):
    before = User.objects.count()
    response = client_for(supervisor).post(NEW, new_staff(team_a, email="AGENT.A@kefu.test"))
    assert response.status_code == 200
    assert "A user with this email already exists." in response.content.decode()
    assert response.context["form"].errors["email"] == ["A user with this email already exists."]
    assert User.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_weak_password_rerenders_with_message(client_for, supervisor, team_a):
    response = client_for(supervisor).post(NEW, new_staff(team_a, password="password"))
    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert "This password is too common." in errors
    assert "This password is too common." in response.content.decode()
    assert 'value="password"' not in response.content.decode()  # never echoed back
    assert not User.objects.filter(email="new.agent@kefu.test").exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_cannot_list_or_create_staff(request, client_for, persona, team_a):
    client = client_for(request.getfixturevalue(persona))
    before = User.objects.count()
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", NEW)
    assert_hidden(client, "post", NEW, new_staff(team_a, role=Role.ADMIN))
    assert User.objects.count() == before


def test_anonymous_is_sent_to_sign_in(team_a):
    before = User.objects.count()
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, new_staff(team_a))
    assert User.objects.count() == before


# --- edit -----------------------------------------------------------------------------------


def test_supervisor_edits_an_agent(client_for, supervisor, agent_a, team_a, team_b):
    old_name = agent_a.display_name
    client = client_for(supervisor)
    form = client.get(edit_url(agent_a)).context["form"]
    assert form.initial["role"] == Role.AGENT_L1
    assert form.initial["is_active"] is True
    response = client.post(
        edit_url(agent_a),
        {
            "display_name": "Ann A.",
            "role": Role.AGENT_L2,
            "teams": [team_b.pk],
        },
    )  # "is_active" unticked
    assert response.status_code == 302
    assert response.url == LIST
    agent_a.refresh_from_db()
    assert (agent_a.display_name, agent_a.role, agent_a.is_active) == (
        "Ann A.",
        Role.AGENT_L2,
        False,
    )
    assert list(agent_a.teams.values_list("pk", flat=True)) == [team_b.pk]
    entry = AuditEntry.objects.get(action="staff.updated")
    assert entry.object_id == str(agent_a.pk)
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert entry.data == {
        "display_name": [old_name, "Ann A."],
        "role": [Role.AGENT_L1, Role.AGENT_L2],
        "is_active": [True, False],
        "teams": [[team_a.pk], [team_b.pk]],
    }


@pytest.mark.parametrize("target", ["admin_user", "supervisor"])
def test_supervisor_cannot_edit_managers(request, client_for, supervisor, target):
    user = request.getfixturevalue(target)
    client = client_for(supervisor)
    assert_hidden(client, "get", edit_url(user))
    assert_hidden(
        client,
        "post",
        edit_url(user),
        {"display_name": "Hacked", "role": Role.AGENT_L1, "is_active": ""},
    )
    user.refresh_from_db()
    assert user.display_name != "Hacked"
    assert user.is_active is True


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisor_cannot_promote_an_agent(client_for, supervisor, agent_a, role):
    response = client_for(supervisor).post(
        edit_url(agent_a), {"display_name": "A", "role": role, "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    agent_a.refresh_from_db()
    assert agent_a.role == Role.AGENT_L1
    assert not AuditEntry.objects.exists()


def test_admin_promotes_agent_to_admin(client_for, admin_user, agent_a):
    client_for(admin_user).post(
        edit_url(agent_a), {"display_name": "A", "role": Role.ADMIN, "is_active": "on", "teams": []}
    )
    agent_a.refresh_from_db()
    assert (agent_a.role, agent_a.is_staff) == (Role.ADMIN, True)


def test_admin_cannot_deactivate_themselves(client_for, admin_user):
    response = client_for(admin_user).post(
        edit_url(admin_user), {"display_name": "Boss", "role": Role.ADMIN}
    )
    assert response.status_code == 200
    assert "You cannot deactivate yourself." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert not AuditEntry.objects.exists()


def test_customer_accounts_are_not_editable_here(client_for, admin_user, customer_1):
    assert_hidden(client_for(admin_user), "get", edit_url(customer_1))


def test_missing_user_is_404(client_for, admin_user):
    assert_hidden(client_for(admin_user), "get", "/agent/manage/staff/999999/edit/")


@pytest.mark.parametrize("persona", ["agent_b", "senior", "customer_1"])
def test_non_managers_cannot_edit_staff(request, client_for, persona, agent_a):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", edit_url(agent_a))
    assert_hidden(
        client,
        "post",
        edit_url(agent_a),
        {"display_name": "X", "role": Role.ADMIN, "is_active": "on"},
    )
    agent_a.refresh_from_db()
    assert agent_a.role == Role.AGENT_L1


def test_anonymous_cannot_edit_staff(agent_a):
    assert_login_redirect("post", edit_url(agent_a), {"display_name": "X", "role": Role.ADMIN})
    agent_a.refresh_from_db()
    assert agent_a.role == Role.AGENT_L1


def test_supervisor_sets_an_agents_live_chat_capacity(client, supervisor, agent_a):
    from kefu.audit.models import AuditEntry

    client.force_login(supervisor)
    url = f"/agent/manage/staff/{agent_a.pk}/edit/"
    page = client.get(url)
    assert 'name="chat_capacity"' in page.content.decode()
    data = {
        "display_name": agent_a.display_name or "Agent A",
        "role": agent_a.role,
        "teams": [t.pk for t in agent_a.teams.all()],
        "is_active": "on",
        "chat_capacity": "6",
    }
    assert client.post(url, data).status_code == 302
    agent_a.refresh_from_db()
    assert agent_a.chat_capacity == 6
    assert AuditEntry.objects.filter(action="staff.updated", object_id=str(agent_a.pk)).exists()
    data["chat_capacity"] = "50"
    assert client.post(url, data).status_code == 200  # refused with the form's error
    agent_a.refresh_from_db()
    assert agent_a.chat_capacity == 6
