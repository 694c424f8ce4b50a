from __future__ import annotations

from django.urls import reverse

from kefu.audit.models import AuditEntry

URL = reverse("portal:account")


def test_account_page_shows_current_preferences(client_1, customer_1):
    customer_1.timezone = "Europe/Berlin"
    customer_1.save(update_fields=["timezone"])
    response = client_1.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in content
    assert 'for="id_language"' in content
    assert 'for="id_timezone"' in content


def test_customer_saves_language_and_timezone(client_1, customer_1):
    response = client_1.post(URL, {"language": "zh-hans", "timezone": "Asia/Shanghai"})
    assert response.status_code == 302
    assert response["Location"] == URL
    customer_1.refresh_from_db()
    assert (customer_1.language, customer_1.timezone) == ("zh-hans", "Asia/Shanghai")
    assert customer_1.contact.language == "zh-hans"
    entry = AuditEntry.objects.get(action="user.preferences_updated")
    assert entry.data == {"language": "zh-hans", "timezone": "Asia/Shanghai"}
    assert "您的偏好设置已保存。" in client_1.get(URL).content.decode()


def test_unknown_timezone_is_refused(client_1, customer_1):
    response = client_1.post(URL, {"language": "en", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    customer_1.refresh_from_db()
    assert customer_1.timezone == "UTC"
    assert not AuditEntry.objects.exists()
