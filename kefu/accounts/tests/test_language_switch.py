from kefu.audit.models import AuditEntry


def test_signed_in_user_language_switch_is_saved_and_audited(client, agent_a):
    client.force_login(agent_a)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/healthz"})
    assert response.status_code == 302
    assert response["Location"] == "/healthz"
    agent_a.refresh_from_db()
    assert agent_a.language == "zh-hans"
    entry = AuditEntry.objects.get(action="user.preferences_updated")
    assert entry.actor_ref == f"agent:{agent_a.pk}"


def test_anonymous_language_switch_sets_cookie_only(client, db):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/healthz"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"
    assert not AuditEntry.objects.exists()


def test_unknown_language_changes_nothing(client, agent_a):
    client.force_login(agent_a)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/healthz"})
    agent_a.refresh_from_db()
    assert agent_a.language == ""
    assert not AuditEntry.objects.exists()
