"""The agent's language and time zone."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.audit.models import AuditEntry
from kefu.workspace.tests.conftest import flashes, login


def test_preferences_form_shows_the_current_values(client_a, agent_a):
    agent_a.timezone = "Europe/Berlin"
    agent_a.save(update_fields=["timezone"])

    response = client_a.get("/agent/account/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in html
    assert '<option value="" selected>Use the browser&#x27;s language</option>' in html
    assert '<a href="/agent/account/" aria-current="page">Preferences</a>' in html


def test_saving_preferences_switches_language_and_time_zone(client_a, agent_a):
    response = client_a.post(
        "/agent/account/", {"language": "zh-hans", "timezone": "Asia/Shanghai"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/agent/account/"
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.timezone) == ("zh-hans", "Asia/Shanghai")
    entry = AuditEntry.objects.get(action="user.preferences_updated")
    assert entry.data == {"language": "zh-hans", "timezone": "Asia/Shanghai"}
    page = client_a.get("/agent/account/")
    assert flashes(page) == ["偏好设置已保存。"]
    assert '<html lang="zh-hans">' in page.content.decode()


def test_unknown_time_zone_is_refused(client_a, agent_a):
    response = client_a.post("/agent/account/", {"language": "en", "timezone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "Select a valid choice. Mars/Olympus is not one of the available choices." in (
        response.content.decode()
    )
    assert User.objects.get(pk=agent_a.pk).timezone == "UTC"


def test_unknown_language_is_refused(client_a, agent_a):
    response = client_a.post("/agent/account/", {"language": "xx", "timezone": "UTC"})

    assert response.status_code == 400
    assert User.objects.get(pk=agent_a.pk).language == ""


def test_customer_cannot_use_workspace_preferences(customer_1):
    response = login(customer_1).post("/agent/account/", {"language": "zh-hans", "timezone": "UTC"})

    assert response.status_code == 404
    assert User.objects.get(pk=customer_1.pk).language == ""
