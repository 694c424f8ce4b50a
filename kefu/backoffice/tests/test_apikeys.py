import json

import pytest

from kefu.accounts.models import ApiKey
from kefu.accounts.services import apikey_authenticate, apikey_create
from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.core.errors import NotFound

LIST = "/agent/manage/api-keys/"
NEW = "/agent/manage/api-keys/new/"


def revoke_url(key):
    return f"/agent/manage/api-keys/{key.pk}/revoke/"


@pytest.fixture
def existing_key(admin_user, actor_of):
    key, _secret = apikey_create(
        name="Back end", scopes=["customers:read"], actor=actor_of(admin_user)
    )
    return key


def test_admin_lists_keys_without_secrets(client_for, admin_user, existing_key):
    response = client_for(admin_user).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Back end" in html
    assert f"kf_{existing_key.prefix}_" in html
    assert "customers:read" in html
    assert existing_key.secret_hash not in html
    assert f'action="{revoke_url(existing_key)}"' in html
    assert "data-confirm=" in html


def test_create_shows_the_secret_once_and_it_works(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(
        NEW, {"name": "Exchange back end", "scopes": ["conversations:read", "customers:read"]}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    key = ApiKey.objects.get()
    assert secret.startswith(f"kf_{key.prefix}_")
    assert f'value="{secret}"' in response.content.decode()
    assert (key.name, key.scopes, key.created_by) == (
        "Exchange back end",
        ["conversations:read", "customers:read"],
        admin_user,
    )
    assert apikey_authenticate(secret) == key

    entry = AuditEntry.objects.get(action="apikey.created")
    assert (entry.object_type, entry.object_id) == ("apikey", str(key.pk))
    assert entry.actor_ref == f"agent:{admin_user.pk}"
    assert entry.data == {
        "name": "Exchange back end",
        "scopes": ["conversations:read", "customers:read"],
    }

    # Shown once: no flash message (those are stored in a cookie or the session), not on the
    # list, not in the session, not in any cookie.
    assert [str(m) for m in response.context["messages"]] == []
    assert secret not in client.get(LIST).content.decode()
    assert secret not in client.get(NEW).content.decode()
    assert secret not in json.dumps({k: str(v) for k, v in client.session.items()})
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    for row in AuditEntry.objects.all():
        assert secret not in json.dumps(row.data)
        assert secret.split("_", 2)[2] not in json.dumps(row.data)


def test_key_without_scope_is_rejected(client_for, admin_user):
    response = client_for(admin_user).post(NEW, {"name": "No scopes"})
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"] == ["Choose at least one valid scope."]
    assert "Choose at least one valid scope." in response.content.decode()
    assert "secret" not in response.context
    assert not ApiKey.objects.exists()
    assert not AuditEntry.objects.exists()


def test_unknown_scope_is_rejected(client_for, admin_user):
    response = client_for(admin_user).post(NEW, {"name": "X", "scopes": ["admin:everything"]})
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"]
    assert not ApiKey.objects.exists()


def test_scope_checkboxes_are_labelled(client_for, admin_user):
    html = client_for(admin_user).get(NEW).content.decode()
    for i, scope in enumerate(
        ["customers:read", "customers:write", "conversations:read", "conversations:write"]
    ):
        assert (
            f'<label for="id_scopes_{i}"><input type="checkbox" name="scopes" value="{scope}"'
            in html
        )


def test_admin_revokes_a_key(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(NEW, {"name": "Temp", "scopes": ["customers:read"]})
    secret = response.context["secret"]
    key = ApiKey.objects.get()
    response = client.post(revoke_url(key))
    assert response.status_code == 302
    assert response.url == LIST
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(NotFound):
        apikey_authenticate(secret)
    entry = AuditEntry.objects.get(action="apikey.revoked")
    assert (entry.object_id, entry.data) == (str(key.pk), {"name": "Temp"})
    html = client.get(LIST).content.decode()
    assert "API key “Temp” revoked." in html
    assert f'action="{revoke_url(key)}"' not in html


def test_revoke_needs_post(client_for, admin_user, existing_key):
    assert client_for(admin_user).get(revoke_url(existing_key)).status_code == 405
    existing_key.refresh_from_db()
    assert existing_key.revoked_at is None


def test_missing_key_is_404(client_for, admin_user):
    assert_hidden(client_for(admin_user), "post", "/agent/manage/api-keys/999999/revoke/")


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "senior", "customer_1"])
def test_only_admins_manage_keys(request, client_for, persona, existing_key):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", NEW)
    assert_hidden(client, "post", NEW, {"name": "Rogue", "scopes": ["customers:write"]})
    assert_hidden(client, "post", revoke_url(existing_key))
    assert list(ApiKey.objects.all()) == [existing_key]
    existing_key.refresh_from_db()
    assert existing_key.revoked_at is None


def test_supervisor_does_not_see_the_api_keys_link(client_for, supervisor):
    html = client_for(supervisor).get("/agent/manage/staff/").content.decode()
    assert LIST not in html


def test_anonymous_is_sent_to_sign_in(existing_key):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, {"name": "Rogue", "scopes": ["customers:write"]})
    assert_login_redirect("post", revoke_url(existing_key))
    assert ApiKey.objects.count() == 1
    existing_key.refresh_from_db()
    assert existing_key.revoked_at is None
