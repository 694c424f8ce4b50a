"""UserPreferencesMiddleware: the signed-in user's language and timezone are activated."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from kefu.core.middleware import UserPreferencesMiddleware
from kefu.testing import factories


def _run(user, *, language_before="en"):
    """Run the middleware for ``user``; return (language, timezone, request.LANGUAGE_CODE)."""
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["timezone"] = timezone.get_current_timezone_name()
        seen["request_language"] = getattr(request, "LANGUAGE_CODE", None)
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user
    translation.activate(language_before)
    request.LANGUAGE_CODE = language_before
    UserPreferencesMiddleware(view)(request)
    return seen["language"], seen["timezone"], seen["request_language"]


@pytest.mark.parametrize("persona", ["agent_a", "customer_1"])
def test_users_language_and_timezone_are_activated(request, persona):
    user = request.getfixturevalue(persona)
    user.language, user.timezone = "zh-hans", "Asia/Shanghai"
    user.save()
    assert _run(user) == ("zh-hans", "Asia/Shanghai", "zh-hans")


def test_english_preference_overrides_a_chinese_browser(agent_a):
    agent_a.language, agent_a.timezone = "en", "Europe/London"
    assert _run(agent_a, language_before="zh-hans") == ("en", "Europe/London", "en")


def test_without_a_language_preference_the_browsers_language_stays(agent_a):
    agent_a.language, agent_a.timezone = "", "America/New_York"
    assert _run(agent_a, language_before="zh-hans") == ("zh-hans", "America/New_York", "zh-hans")


@pytest.mark.parametrize("tz_name", ["Nowhere/Land", "", "../../etc/passwd"])
def test_unknown_timezone_falls_back_to_utc(agent_a, tz_name):
    agent_a.timezone = tz_name
    assert _run(agent_a)[1] == "UTC"


def test_anonymous_visitors_get_utc(db):
    timezone.activate("Asia/Tokyo")
    assert _run(AnonymousUser(), language_before="zh-hans") == ("zh-hans", "UTC", "zh-hans")


def test_whole_stack_answers_in_the_users_language(client, db):
    user = factories.StaffFactory(language="zh-hans", timezone="Asia/Shanghai")
    client.force_login(user)
    response = client.get("/no-such-page/", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "页面不存在" in page


def test_whole_stack_uses_the_browser_language_when_signed_out(client, db):
    response = client.get("/no-such-page/", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert response["Content-Language"] == "zh-hans"
    response = client.get("/no-such-page/", headers={"accept-language": "en-US"})
    assert response["Content-Language"] == "en"
    assert "Page not found" in response.content.decode()
