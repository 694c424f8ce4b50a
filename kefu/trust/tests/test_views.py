"""The public check page and API, reports, verification phrases and the management pages."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Conversation
from kefu.trust import views
from kefu.trust.models import OfficialChannel, VerificationPhrase

PAGE = "/trust/check/"
API = "/trust/api/check"
REPORT = "/trust/check/report"
PHRASE = "/trust/check/phrase"
MANAGE = "/agent/manage/official-channels/"

pytestmark = pytest.mark.usefixtures("registry_rows")


def _html(response) -> str:
    return response.content.decode()


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the page --------------------------------------------------------------------------------


def test_page_shows_both_forms():
    response = Client().get(PAGE)
    html = _html(response)
    assert response.status_code == 200
    assert 'name="value"' in html
    assert 'name="phrase"' in html
    assert 'hreflang="zh-hans"' in html


def test_page_gives_the_verdict_with_an_explanation():
    html = _html(Client().get(PAGE, {"value": "https://exarnple.com/login"}))
    assert "trust-suspicious" in html
    assert "This looks like example.com but uses look-alike characters" in html
    assert 'action="/trust/check/report' in html  # one click to report it


def test_page_in_chinese_with_lang_parameter():
    response = Client().get(PAGE, {"value": "example.com", "lang": "zh-hans"})
    html = _html(response)
    assert response["Content-Language"] == "zh-hans"
    assert "这是我们的官方网站之一。" in html
    assert "trust-official" in html
    assert 'action="/trust/check/report' not in html


def test_page_in_chinese_from_accept_language():
    html = _html(Client().get(PAGE, {"value": "+86 138 0013 8001"}, HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert "相差一位" in html


def test_page_rejects_unreadable_input():
    response = Client().get(PAGE, {"value": "no such thing !"})
    assert response.status_code == 400
    assert "We could not read this" in _html(response)


def test_page_is_rate_limited_per_ip(monkeypatch):
    monkeypatch.setattr(views, "CHECK_LIMIT", 2)
    client = Client()
    assert client.get(PAGE, {"value": "example.com"}).status_code == 200
    assert client.get(PAGE, {"value": "example.com"}).status_code == 200
    response = client.get(PAGE, {"value": "example.com"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.get(PAGE, {"value": "example.com"}).status_code == 200


# --- the API ---------------------------------------------------------------------------------


def test_api_get_returns_the_verdict_as_json():
    response = Client().get(API, {"value": "ＥＸＡＭＰＬＥ.com."})
    assert response.status_code == 200
    data = response.json()
    assert data == {
        "verdict": "official",
        "kind": "domain",
        "resembles": None,
        "reason": "official_domain",
        "explanation": "This is one of our official websites.",
        "normalised": "example.com",
    }


def test_api_post_json_and_lang():
    response = Client().post(
        f"{API}?lang=zh-hans",
        data=json.dumps({"value": "example-support.com"}),
        content_type="application/json",
    )
    data = response.json()
    assert (data["verdict"], data["reason"], data["resembles"]) == (
        "suspicious",
        "brand_in_domain",
        "example.com",
    )
    assert "example.com" in data["explanation"]
    assert "我们" in data["explanation"]


def test_api_post_form_and_accept_language():
    response = Client().post(API, {"value": "138 0013 8000"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["reason"] == "official_phone"
    assert response.json()["explanation"] == "这是我们的官方电话号码之一。"


@pytest.mark.parametrize("params", [{}, {"value": ""}, {"value": "hello world !"}])
def test_api_bad_input_is_a_400_with_an_error(params):
    response = Client().get(API, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_value"
    assert response.json()["error"]["message"]


def test_api_bad_json_is_a_400():
    response = Client().post(API, data="{nope", content_type="application/json")
    assert response.status_code == 400


def test_api_is_rate_limited(monkeypatch):
    monkeypatch.setattr(views, "CHECK_LIMIT", 1)
    client = Client()
    assert client.get(API, {"value": "example.com"}).status_code == 200
    response = client.get(API, {"value": "example.com"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


# --- reports ---------------------------------------------------------------------------------


def test_anonymous_report_needs_an_email_then_opens_a_security_conversation():
    client = Client()
    response = client.post(REPORT, {"value": "exarnple.com", "details": "Fake site"})
    assert response.status_code == 400
    assert not Conversation.objects.exists()
    response = client.post(
        REPORT, {"value": "exarnple.com", "details": "Fake site", "email": "me@mail.test"}
    )
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.category == "security"
    assert conversation.contact.email == "me@mail.test"
    assert conversation.reference in _html(response)


def test_logged_in_customer_reports_as_themselves(customer_1):
    client = _logged_in(customer_1)
    page = _html(client.get(PAGE, {"value": "@example_support_team"}))
    assert 'name="email"' not in page  # no email needed
    response = client.post(REPORT, {"value": "@example_support_team"})
    conversation = Conversation.objects.get()
    assert conversation.contact == customer_1.contact
    assert f"/portal/requests/{conversation.pk}/" in _html(
        response
    ) or conversation.reference in _html(response)


def test_official_channels_cannot_be_reported():
    response = Client().post(REPORT, {"value": "example.com", "email": "me@mail.test"})
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_reports_are_rate_limited(monkeypatch):
    monkeypatch.setattr(views, "REPORT_LIMIT", 1)
    client = Client()
    data = {"value": "exarnple.com", "email": "me@mail.test"}
    assert client.post(REPORT, data).status_code == 200
    response = client.post(REPORT, data)
    assert response.status_code == 429
    assert "Retry-After" in response
    assert Conversation.objects.count() == 1


# --- verification phrases --------------------------------------------------------------------


def _issue(agent, conversation) -> str:
    response = _logged_in(agent).post(f"/trust/agent/c/{conversation.pk}/phrase")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r"<strong>([^<]+)</strong>", _html(response))
    assert match is not None
    return match.group(1)


def test_workspace_conversation_page_offers_the_button(agent_a, conversation_a):
    html = _html(_logged_in(agent_a).get(f"/agent/c/{conversation_a.pk}/"))
    assert f'action="/trust/agent/c/{conversation_a.pk}/phrase"' in html
    assert "Give a verification phrase" in html


def test_phrase_flow_valid_once_then_used(agent_a, conversation_a):
    phrase = _issue(agent_a, conversation_a)
    customer = Client()
    html = _html(customer.post(PHRASE, {"phrase": phrase}))
    assert "This phrase was given by" in html
    assert agent_a.display_name in html
    html = _html(customer.post(PHRASE, {"phrase": phrase}))
    assert "Already used" in html
    assert VerificationPhrase.objects.get().used_at is not None


def test_phrase_check_in_chinese_and_invalid_phrase():
    html = _html(Client().post(f"{PHRASE}?lang=zh-hans", {"phrase": "apple apple apple apple"}))
    assert "我们没有发出过这个验证短语" in html


def test_phrase_checks_are_rate_limited(monkeypatch):
    monkeypatch.setattr(views, "PHRASE_LIMIT", 2)
    client = Client()
    for _ in range(2):
        assert client.post(PHRASE, {"phrase": "a b c d"}).status_code == 200
    response = client.post(PHRASE, {"phrase": "a b c d"})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_only_agents_who_see_the_conversation_can_issue(agent_b, customer_1, conversation_a):
    assert _logged_in(agent_b).post(f"/trust/agent/c/{conversation_a.pk}/phrase").status_code == 404
    assert (
        _logged_in(customer_1).post(f"/trust/agent/c/{conversation_a.pk}/phrase").status_code == 404
    )
    assert Client().post(f"/trust/agent/c/{conversation_a.pk}/phrase").status_code == 302
    assert not VerificationPhrase.objects.exists()


# --- the management pages --------------------------------------------------------------------


def test_admin_lists_adds_edits_and_deletes(admin_user):
    client = _logged_in(admin_user)
    assert "support@example.com" in _html(client.get(MANAGE))
    assert "Official channels" in _html(client.get("/agent/manage/"))
    response = client.post(
        f"{MANAGE}new/",
        {
            "kind": "domain",
            "value": "HTTPS://New.Example.ORG/",
            "label_en": "New",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    channel = OfficialChannel.objects.get(value="new.example.org")
    response = client.post(
        f"{MANAGE}{channel.pk}/edit/",
        {"kind": "domain", "value": "new.example.org", "label_en": "N2"},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.label_en, channel.is_active) == ("N2", False)
    assert client.post(f"{MANAGE}{channel.pk}/delete/").status_code == 302
    assert not OfficialChannel.objects.filter(pk=channel.pk).exists()


def test_invalid_value_shows_the_form_again(admin_user):
    response = _logged_in(admin_user).post(f"{MANAGE}new/", {"kind": "phone", "value": "call me"})
    assert response.status_code == 200
    assert "Enter a phone number" in _html(response)


@pytest.mark.parametrize("who", ["supervisor", "agent_a", "customer_1"])
def test_non_admins_get_404(request, who):
    client = _logged_in(request.getfixturevalue(who))
    channel = OfficialChannel.objects.first()
    before = AuditEntry.objects.count()
    assert client.get(MANAGE).status_code == 404
    assert client.post(f"{MANAGE}new/", {"kind": "domain", "value": "x.org"}).status_code == 404
    assert client.post(f"{MANAGE}{channel.pk}/delete/").status_code == 404
    assert OfficialChannel.objects.count() == 4
    assert AuditEntry.objects.count() == before


def test_contact_page_links_to_the_check():
    html = _html(Client().get("/help/en/contact/"))
    assert "/trust/check/?lang=en" in html
