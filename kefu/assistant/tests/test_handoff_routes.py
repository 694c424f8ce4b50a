"""Hand-off routes in the backoffice: the audited, validated services and the pages
(supervisors and admins) under /agent/manage/assistant/routes/, with the resolution matrix."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kefu.assistant import services
from kefu.assistant.demo import ROUTES as DEMO_ROUTES
from kefu.assistant.demo import seed_assistant_demo
from kefu.assistant.intents import INTENTS
from kefu.assistant.models import HandoffRoute
from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.demo import content
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"
BASE = "/agent/manage/assistant/routes/"


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


# --- services ---------------------------------------------------------------------------------


def test_a_supervisor_saves_and_deletes_a_route_with_audit(supervisor, team_a, team_b, actor_of):
    route = services.handoff_route_save(
        intent="kyc", language="zh-hans", team=team_a, actor=actor_of(supervisor)
    )
    assert (route.intent, route.language, route.team_id) == ("kyc", "zh-hans", team_a.pk)
    created = AuditEntry.objects.get(action="assistant_route.created")
    assert created.object_id == str(route.pk)
    assert created.data == {"intent": "kyc", "language": "zh-hans", "team": team_a.pk}

    services.handoff_route_save(
        route=route, intent="kyc", language="zh-hans", team=team_b, actor=actor_of(supervisor)
    )
    assert HandoffRoute.objects.get().team_id == team_b.pk
    assert AuditEntry.objects.filter(action="assistant_route.updated").count() == 1

    services.handoff_route_delete(route=route, actor=actor_of(supervisor))
    assert not HandoffRoute.objects.exists()
    assert AuditEntry.objects.filter(action="assistant_route.deleted").count() == 1


@pytest.mark.parametrize(
    ("intent", "language", "field"),
    [
        ("no_such_intent", "*", "intent"),
        ("kyc", "fr", "language"),
        ("kyc", "zh-hant", "language"),
    ],
)
def test_unknown_intents_and_languages_are_refused(
    admin_user, team_a, actor_of, intent, language, field
):
    with pytest.raises(ValidationFailed) as caught:
        services.handoff_route_save(
            intent=intent, language=language, team=team_a, actor=actor_of(admin_user)
        )
    assert field in caught.value.fields
    assert not HandoffRoute.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="assistant_route.").exists()


def test_a_team_that_does_not_exist_is_refused(admin_user, team_a, actor_of):
    gone = factories.TeamFactory(name="Gone")
    gone.delete()
    with pytest.raises(ValidationFailed) as caught:
        services.handoff_route_save(intent="*", language="*", team=gone, actor=actor_of(admin_user))
    assert "team" in caught.value.fields


def test_a_second_route_for_the_same_intent_and_language_is_refused(
    admin_user, team_a, team_b, actor_of
):
    first = services.handoff_route_save(
        intent="security", language="*", team=team_a, actor=actor_of(admin_user)
    )
    other = services.handoff_route_save(
        intent="security", language="en", team=team_b, actor=actor_of(admin_user)
    )
    with pytest.raises(ValidationFailed) as caught:
        services.handoff_route_save(
            intent="security", language="*", team=team_b, actor=actor_of(admin_user)
        )
    assert "already a route" in caught.value.message
    # Editing a route into another one's place is refused too; saving it unchanged is fine.
    with pytest.raises(ValidationFailed):
        services.handoff_route_save(
            route=other, intent="security", language="*", team=team_b, actor=actor_of(admin_user)
        )
    services.handoff_route_save(
        route=first, intent="security", language="*", team=team_b, actor=actor_of(admin_user)
    )
    assert HandoffRoute.objects.count() == 2


def test_agents_may_not_change_routes(agent_a, team_a, actor_of):
    with pytest.raises(PermissionDenied):
        services.handoff_route_save(
            intent="kyc", language="*", team=team_a, actor=actor_of(agent_a)
        )


def test_the_matrix_resolves_like_the_hand_off_does(team_a, team_b):
    fallback = factories.TeamFactory(name="Fallback")
    HandoffRoute.objects.create(intent="*", language="*", team=fallback)
    HandoffRoute.objects.create(intent="*", language="zh-hans", team=team_b)
    HandoffRoute.objects.create(intent="kyc", language="*", team=team_a)

    matrix = dict(services.handoff_route_matrix(services.handoff_route_list()))

    assert list(matrix) == list(INTENTS)
    for intent, cells in matrix.items():
        for language, route in zip(("en", "zh-hans"), cells, strict=True):
            expected = services.handoff_team(intent, language)
            assert route is not None, (intent, language)
            assert route.team == expected, (intent, language)
    assert [r.team for r in matrix["kyc"]] == [team_a, team_a]
    assert [r.team for r in matrix["trading"]] == [fallback, team_b]


def test_the_matrix_shows_gaps_when_no_route_matches(team_a):
    HandoffRoute.objects.create(intent="kyc", language="en", team=team_a)
    matrix = dict(services.handoff_route_matrix(services.handoff_route_list()))
    assert matrix["kyc"][0] is not None
    assert matrix["kyc"][1] is None
    assert matrix["trading"] == [None, None]


# --- pages ------------------------------------------------------------------------------------


def test_a_supervisor_adds_edits_and_deletes_a_route_in_the_backoffice(supervisor, team_a, team_b):
    client = login(supervisor)

    response = client.get(BASE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">Hand-off routes</a>' in html  # the section nav entry
    assert "No hand-off routes yet" in html

    response = client.post(
        f"{BASE}new/", {"intent": "kyc", "language": "zh-hans", "team": str(team_b.pk)}
    )
    assert response.status_code == 302
    assert response["Location"] == BASE
    route = HandoffRoute.objects.get()
    assert (route.intent, route.language, route.team_id) == ("kyc", "zh-hans", team_b.pk)
    assert AuditEntry.objects.get(action="assistant_route.created").actor_ref == (
        f"agent:{supervisor.pk}"
    )

    html = client.get(BASE).content.decode()
    assert "Hand-off route saved" in html
    assert "Identity verification (KYC) (kyc)" in html

    response = client.post(
        f"{BASE}{route.pk}/edit/", {"intent": "kyc", "language": "*", "team": str(team_a.pk)}
    )
    assert response.status_code == 302
    route.refresh_from_db()
    assert (route.language, route.team_id) == ("*", team_a.pk)

    response = client.post(f"{BASE}{route.pk}/delete/")
    assert response.status_code == 302
    assert not HandoffRoute.objects.exists()
    assert AuditEntry.objects.filter(action="assistant_route.deleted").count() == 1


def test_a_duplicate_shows_a_clear_error_on_the_form(admin_user, team_a, team_b, actor_of):
    services.handoff_route_save(
        intent="security", language="*", team=team_a, actor=actor_of(admin_user)
    )
    response = login(admin_user).post(
        f"{BASE}new/", {"intent": "security", "language": "*", "team": str(team_b.pk)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is already a route for intent security and language *" in html
    assert HandoffRoute.objects.count() == 1


def test_the_form_offers_only_known_intents_and_languages(admin_user, team_a):
    response = login(admin_user).post(
        f"{BASE}new/", {"intent": "bitcoin", "language": "fr", "team": str(team_a.pk)}
    )
    assert response.status_code == 200
    assert not HandoffRoute.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"intent", "language"}


def test_the_list_page_shows_where_each_intent_and_language_goes(supervisor, team_a, team_b):
    HandoffRoute.objects.create(intent="*", language="zh-hans", team=team_b)
    HandoffRoute.objects.create(intent="kyc", language="*", team=team_a)

    html = login(supervisor).get(BASE).content.decode()

    matrix = html[html.index("data-route-matrix") :]
    rows = {
        re.sub(r"<[^>]+>", "", m.group(1)).strip(): m.group(2)
        for m in re.finditer(r'<th scope="row">(.*?)</th>(.*?)</tr>', matrix, re.S)
    }
    assert len(rows) == len(INTENTS)
    kyc = rows["Identity verification (KYC) (kyc)"]
    assert kyc.count("Team A") == 2
    trading = rows["Trading (trading)"]
    assert "data-route-gap" in trading
    assert "Team B" in trading


def test_agents_and_customers_get_a_404(agent_a, customer_1, team_a):
    route = HandoffRoute.objects.create(intent="kyc", language="*", team=team_a)
    for user in (agent_a, customer_1):
        client = login(user)
        assert client.get(BASE).status_code == 404
        assert client.post(f"{BASE}{route.pk}/delete/").status_code == 404
    assert HandoffRoute.objects.exists()


# --- demo -------------------------------------------------------------------------------------


def test_the_demo_routes_name_real_demo_teams_and_are_seeded_once(admin_user, actor_of):
    for name, languages, skills in content.TEAMS:
        factories.TeamFactory(name=name, languages=list(languages), skills=list(skills))

    assert seed_assistant_demo(actor_of(admin_user)) == len(DEMO_ROUTES)
    assert services.handoff_team("kyc", "en").name == content.KYC
    assert services.handoff_team("security", "zh-hans").name == content.SECURITY
    chinese = services.handoff_team("trading", "zh-hans")
    assert "zh-hans" in chinese.languages
    assert services.handoff_team("trading", "en") is None  # the chat site's team

    assert seed_assistant_demo(actor_of(admin_user)) == 0  # never overwrites edited policy
