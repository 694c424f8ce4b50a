import pytest

from kefu.accounts.models import Team
from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect

LIST = "/agent/manage/teams/"
NEW = "/agent/manage/teams/new/"


def edit_url(team):
    return f"/agent/manage/teams/{team.pk}/edit/"


def test_list_shows_member_counts(client_for, supervisor, agent_a, senior, agent_b, team_a, team_b):
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    counts = {team.name: team.member_count for team in response.context["teams"]}
    assert counts == {"Team A": 2, "Team B": 1}
    html = response.content.decode()
    assert "Team A" in html
    assert edit_url(team_a) in html


def test_supervisor_creates_a_team(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(
        NEW,
        {
            "name": " Futures desk ",
            "languages": ["zh-hans", "en"],
            "skills": "kyc, withdrawals , ,futures",
        },
    )
    assert response.status_code == 302
    assert response.url == LIST
    team = Team.objects.get(name="Futures desk")
    assert team.languages == ["en", "zh-hans"]
    assert team.skills == ["futures", "kyc", "withdrawals"]
    entry = AuditEntry.objects.get(action="team.created")
    assert (entry.object_type, entry.object_id) == ("team", str(team.pk))
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert entry.data == {
        "name": "Futures desk",
        "languages": ["en", "zh-hans"],
        "skills": ["futures", "kyc", "withdrawals"],
    }
    assert "Team “Futures desk” saved." in client.get(LIST).content.decode()


def test_admin_edits_a_team(client_for, admin_user, team_a):
    team_a.skills = ["kyc", "deposits"]
    team_a.save()
    client = client_for(admin_user)
    form = client.get(edit_url(team_a)).context["form"]
    assert form.initial == {"name": "Team A", "languages": ["en"], "skills": "kyc, deposits"}
    response = client.post(edit_url(team_a), {"name": "Team Alpha", "skills": "otc"})
    assert response.status_code == 302
    team_a.refresh_from_db()
    assert (team_a.name, team_a.languages, team_a.skills) == ("Team Alpha", [], ["otc"])
    entry = AuditEntry.objects.get(action="team.updated")
    assert entry.object_id == str(team_a.pk)
    assert Team.objects.count() == 1


def test_language_checkboxes_are_labelled(client_for, supervisor):
    html = client_for(supervisor).get(NEW).content.decode()
    assert '<label for="id_languages_0"><input type="checkbox" name="languages" value="en"' in html
    assert 'value="zh-hans"' in html
    assert 'for="id_name"' in html
    assert 'for="id_skills"' in html


def test_duplicate_team_name_rerenders_with_message(client_for, supervisor, team_a):
    response = client_for(supervisor).post(NEW, {"name": "team a", "languages": ["en"]})
    assert response.status_code == 200
    assert "A team with this name already exists." in response.content.decode()
    assert Team.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_unknown_language_is_rejected(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {"name": "X", "languages": ["fr"]})
    assert response.status_code == 200
    assert response.context["form"].errors["languages"]
    assert not Team.objects.exists()


def test_missing_team_is_404(client_for, supervisor):
    assert_hidden(client_for(supervisor), "get", "/agent/manage/teams/999999/edit/")


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_changes(request, client_for, persona, team_a):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "post", NEW, {"name": "Rogue", "languages": ["en"]})
    assert_hidden(client, "post", edit_url(team_a), {"name": "Renamed", "languages": ["en"]})
    assert list(Team.objects.values_list("name", flat=True)) == ["Team A"]


def test_anonymous_is_sent_to_sign_in(team_a):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, {"name": "Rogue"})
    assert Team.objects.count() == 1
