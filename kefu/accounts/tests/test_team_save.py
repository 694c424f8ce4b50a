"""team_save: create or update a team; supervisors and admins only."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Team
from kefu.accounts.services import team_save
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed


def test_supervisor_creates_a_team_with_clean_languages_and_skills(
    supervisor, actor_of, audit_watch
):
    watch = audit_watch()
    team = team_save(
        name="  Chinese desk ",
        languages=["zh-hans", "en", "en", " ", ""],
        skills=[" kyc ", "kyc", "withdrawals", ""],
        actor=actor_of(supervisor),
    )
    team.refresh_from_db()
    assert (team.name, team.languages, team.skills) == (
        "Chinese desk",
        ["en", "zh-hans"],
        ["kyc", "withdrawals"],
    )
    assert watch.rows() == [
        (
            "agent",
            f"agent:{supervisor.pk}",
            "team.created",
            "team",
            str(team.pk),
            {
                "name": "Chinese desk",
                "languages": ["en", "zh-hans"],
                "skills": ["kyc", "withdrawals"],
            },
        ),
    ]


def test_admin_updates_a_team(admin_user, team_a, actor_of, audit_watch):
    watch = audit_watch()
    team_save(
        team=team_a,
        name="Team A (EN)",
        languages=["en"],
        skills=["deposits"],
        actor=actor_of(admin_user),
    )
    team_a.refresh_from_db()
    assert (team_a.name, team_a.skills) == ("Team A (EN)", ["deposits"])
    assert watch.rows() == [
        (
            "agent",
            f"agent:{admin_user.pk}",
            "team.updated",
            "team",
            str(team_a.pk),
            {"name": "Team A (EN)", "languages": ["en"], "skills": ["deposits"]},
        ),
    ]


def test_a_team_may_keep_its_own_name(supervisor, team_a, actor_of):
    team_save(team=team_a, name="team a", languages=[], skills=[], actor=actor_of(supervisor))
    team_a.refresh_from_db()
    assert team_a.name == "team a"


def test_duplicate_name_is_a_conflict_whatever_the_case(
    supervisor, team_a, team_b, actor_of, audit_watch
):
    watch = audit_watch()
    with pytest.raises(Conflict) as excinfo:
        team_save(name="TEAM A", languages=[], skills=[], actor=actor_of(supervisor))
    assert list(excinfo.value.fields) == ["name"]
    with pytest.raises(Conflict):
        team_save(team=team_b, name="team a", languages=[], skills=[], actor=actor_of(supervisor))
    team_b.refresh_from_db()
    assert team_b.name == "Team B"
    assert Team.objects.count() == 2
    assert watch.rows() == []


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("name", {"name": "   "}),
        ("languages", {"name": "Desk", "languages": ["en", "klingon"]}),
    ],
)
def test_invalid_team_is_refused(supervisor, actor_of, audit_watch, field, data):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        team_save(**({"languages": [], "skills": []} | data), actor=actor_of(supervisor))
    assert list(excinfo.value.fields) == [field]
    assert not Team.objects.exists()
    assert watch.rows() == []


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_agents_and_customers_cannot_save_teams(request, team_a, actor_of, audit_watch, persona):
    actor = actor_of(request.getfixturevalue(persona))
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        team_save(name="Rogue", languages=[], skills=[], actor=actor)
    with pytest.raises(PermissionDenied):
        team_save(team=team_a, name="Renamed", languages=[], skills=[], actor=actor)
    assert list(Team.objects.values_list("name", flat=True)) == ["Team A"]
    assert watch.rows() == []


def test_system_actor_cannot_save_teams(db, audit_watch):
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        team_save(name="Bots", languages=[], skills=[], actor=Actor.system())
    assert watch.rows() == []
