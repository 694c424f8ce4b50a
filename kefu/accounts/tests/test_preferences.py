"""user_set_preferences: language and timezone, for staff and customers alike."""

from __future__ import annotations

import pytest

from kefu.accounts.services import user_set_preferences
from kefu.core.errors import ValidationFailed


@pytest.mark.parametrize("persona", ["agent_a", "customer_1"])
def test_user_saves_language_and_timezone(request, actor_of, audit_watch, persona):
    user = request.getfixturevalue(persona)
    watch = audit_watch()
    user_set_preferences(
        user=user, language="zh-hans", timezone_name="Asia/Shanghai", actor=actor_of(user)
    )
    user.refresh_from_db()
    assert (user.language, user.timezone) == ("zh-hans", "Asia/Shanghai")
    kind = "agent" if persona == "agent_a" else "customer"
    assert watch.rows() == [
        (
            kind,
            f"{kind}:{user.pk}",
            "user.preferences_updated",
            "user",
            str(user.pk),
            {"language": "zh-hans", "timezone": "Asia/Shanghai"},
        ),
    ]


def test_only_the_given_preference_changes(agent_a, actor_of, audit_watch):
    watch = audit_watch()
    user_set_preferences(user=agent_a, timezone_name="Europe/Berlin", actor=actor_of(agent_a))
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.timezone) == ("", "Europe/Berlin")
    user_set_preferences(user=agent_a, language="en", actor=actor_of(agent_a))
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.timezone) == ("en", "Europe/Berlin")
    assert [r[5] for r in watch.rows()] == [
        {"language": None, "timezone": "Europe/Berlin"},
        {"language": "en", "timezone": None},
    ]


def test_empty_language_means_use_the_browsers(agent_a, actor_of):
    user_set_preferences(user=agent_a, language="zh-hans", actor=actor_of(agent_a))
    user_set_preferences(user=agent_a, language="", actor=actor_of(agent_a))
    agent_a.refresh_from_db()
    assert agent_a.language == ""


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("language", {"language": "fr"}),
        ("language", {"language": "zh", "timezone_name": "Asia/Shanghai"}),
        ("timezone", {"timezone_name": "Mars/Olympus_Mons"}),
        ("timezone", {"timezone_name": "../../etc/passwd"}),
        ("timezone", {"language": "zh-hans", "timezone_name": ""}),
    ],
)
def test_unknown_language_or_timezone_is_refused(agent_a, actor_of, audit_watch, field, kwargs):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        user_set_preferences(user=agent_a, actor=actor_of(agent_a), **kwargs)
    assert list(excinfo.value.fields) == [field]
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.timezone) == ("", "UTC")
    assert watch.rows() == []
