"""What the chat widget shows before the first message: help-center suggestions while the
visitor types (the public search API, source=widget, and the "submitted anyway" report) and the
open incidents in the site configuration."""

from __future__ import annotations

import json

import pytest

from kefu.helpcenter import searching
from kefu.helpcenter.models import SearchSource, SuggestionShown
from kefu.helpcenter.services import (
    article_create,
    article_publish,
    category_save,
    section_save,
)
from kefu.status import services as status_services
from kefu.status.models import Impact, IncidentKind, IncidentState

ORIGIN = "http://127.0.0.1:8000"
SEARCH = "/help/api/search"
SUBMITTED = "/help/api/suggestions/submitted"


@pytest.fixture(autouse=True)
def _fresh_index():
    # The search index is per process (the root conftest also resets it; harmless twice).
    searching.reset()
    yield
    searching.reset()


@pytest.fixture
def articles(db, system_actor):
    """Two live articles: the pending-withdrawal one and an unrelated 2FA one."""
    category = category_save(
        slug="withdrawals", names={"en": "Withdrawals", "zh-hans": "提现"}, actor=system_actor
    )
    section = section_save(
        category=category,
        slug="issues",
        names={"en": "Withdrawal issues", "zh-hans": "提现问题"},
        actor=system_actor,
    )
    live = {}
    for slug, title, body in [
        (
            "withdrawal-pending",
            "Why is my withdrawal pending?",
            "Withdrawals wait for network confirmations and a security review.",
        ),
        ("reset-2fa", "How to reset 2FA", "Lost your authenticator? Request a 2FA reset."),
    ]:
        draft = article_create(
            section=section,
            slug=slug,
            language="en",
            title=title,
            body=body,
            summary=title,
            actor=system_actor,
        )
        live[slug] = article_publish(translation=draft, actor=system_actor)
    return live


@pytest.fixture
def manager(supervisor, actor_of):
    return actor_of(supervisor)


def _config(client, chat_site, lang="en"):
    response = client.get(f"/chat/v1/sites/{chat_site.key}/config?lang={lang}", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    return response.json()


# --- incidents in the site configuration -------------------------------------------------------


def test_config_lists_no_incidents_when_all_is_well(client, chat_site):
    assert _config(client, chat_site)["incidents"] == []


def test_config_lists_open_public_incidents_with_absolute_links(client, chat_site, manager):
    incident = status_services.incident_create(
        kind=IncidentKind.INCIDENT,
        title_en="ETH withdrawals delayed",
        title_zh="ETH 提现延迟",
        impact=Impact.MAJOR,
        body_en="Withdrawals are slow.",
        actor=manager,
    )
    status_services.incident_create(
        kind=IncidentKind.INCIDENT,
        title_en="A draft nobody may see",
        body_en="Not yet.",
        is_public=False,
        actor=manager,
    )

    assert _config(client, chat_site)["incidents"] == [
        {
            "id": incident.pk,
            "kind": "incident",
            "impact": "major",
            "state": IncidentState.INVESTIGATING.value,
            "title": "ETH withdrawals delayed",
            "url": f"http://testserver/help/en/status/incidents/{incident.pk}/",
        }
    ]
    chinese = _config(client, chat_site, lang="zh-hans")["incidents"]
    assert [(i["title"], i["url"]) for i in chinese] == [
        ("ETH 提现延迟", f"http://testserver/help/zh-hans/status/incidents/{incident.pk}/")
    ]


def test_config_carries_the_new_widget_strings_in_both_languages(client, chat_site):
    english = _config(client, chat_site)["strings"]
    chinese = _config(client, chat_site, lang="zh-hans")["strings"]
    assert english["suggestions_title"] == "These articles may answer your question"
    assert chinese["suggestions_title"] == "这些文章或许能解答您的问题"
    for key in ("suggestions_count", "opens_new_tab", "status_title", "status_incident"):
        assert chinese[key] != english[key], key
    assert "{count}" in chinese["suggestions_count"]


# --- suggestions while typing -----------------------------------------------------------------


def test_widget_search_returns_a_token_and_records_what_was_shown(client, articles):
    response = client.get(
        SEARCH,
        {"q": "withdrawal pend", "lang": "en", "limit": "3", "prefix": "1", "source": "widget"},
        HTTP_ORIGIN="https://exchange.example",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    token = data["token"]
    assert isinstance(token, str)
    assert token
    pending = articles["withdrawal-pending"].article
    assert data["results"][0]["article_id"] == pending.pk
    assert data["results"][0]["title"] == "Why is my withdrawal pending?"
    assert data["results"][0]["url"] == f"/help/en/articles/withdrawal-pending/?s={token}"
    row = SuggestionShown.objects.get()
    assert (row.token, row.source, row.language, row.query) == (
        token,
        SearchSource.WIDGET,
        "en",
        "withdrawal pend",
    )
    assert row.article_ids[0] == pending.pk
    assert (row.submitted, row.opened_article_id) == (False, None)


def test_search_without_a_suggestion_source_records_nothing(client, articles):
    data = client.get(SEARCH, {"q": "withdrawal", "lang": "en"}).json()
    assert data["results"]
    assert data["token"] is None
    assert not SuggestionShown.objects.exists()


def test_widget_search_with_no_results_records_nothing(client, articles):
    data = client.get(SEARCH, {"q": "zzqx", "lang": "en", "source": "widget"}).json()
    assert data == {"results": [], "token": None}
    assert not SuggestionShown.objects.exists()


def test_submitted_marks_the_suggestion_as_not_deflected(client, articles):
    token = client.get(SEARCH, {"q": "withdrawal", "lang": "en", "source": "widget"}).json()[
        "token"
    ]
    # As the widget sends it: JSON in a text/plain body, so no preflight is needed.
    response = client.post(
        SUBMITTED,
        data=json.dumps({"token": token}),
        content_type="text/plain;charset=UTF-8",
        HTTP_ORIGIN="https://exchange.example",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert SuggestionShown.objects.get(token=token).submitted is True


def test_submitted_accepts_a_json_content_type_too(client, articles):
    token = client.get(SEARCH, {"q": "withdrawal", "lang": "en", "source": "widget"}).json()[
        "token"
    ]
    response = client.post(SUBMITTED, {"token": token}, content_type="application/json")
    assert response.status_code == 204
    assert SuggestionShown.objects.get(token=token).submitted is True


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"token": "never-issued-token"}),
        json.dumps({"token": "x" * 200}),
        json.dumps({"token": 12345}),
        json.dumps(["not", "an", "object"]),
        "not json at all",
        "",
    ],
)
def test_a_bad_token_is_ignored(client, articles, body):
    token = client.get(SEARCH, {"q": "withdrawal", "lang": "en", "source": "widget"}).json()[
        "token"
    ]

    response = client.post(SUBMITTED, data=body, content_type="text/plain")

    assert response.status_code == 204
    row = SuggestionShown.objects.get()
    assert (row.token, row.submitted) == (token, False)


@pytest.mark.parametrize("url", [SEARCH, SUBMITTED])
def test_preflight_allows_any_origin(client, db, url):
    response = client.options(
        url,
        HTTP_ORIGIN="https://exchange.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert not SuggestionShown.objects.exists()
