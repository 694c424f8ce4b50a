import json

import pytest

from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.inbox.models import ChatSite
from kefu.inbox.sites import chat_site_save

LIST = "/agent/manage/chat-sites/"
NEW = "/agent/manage/chat-sites/new/"
VALID = {
    "name": "Exchange website",
    "allowed_origins": "https://www.example.com\r\n\r\nhttp://localhost:8000/\r\n",
    "team": "",
    "greeting_en": "Hi! How can we help?",
    "greeting_zh": "您好！请问有什么可以帮您？",
    "identity_required": "on",
    "is_active": "on",
}


def edit_url(site):
    return f"/agent/manage/chat-sites/{site.pk}/edit/"


def secret_url(site):
    return f"/agent/manage/chat-sites/{site.pk}/secret/"


def rotate_url(site):
    return f"/agent/manage/chat-sites/{site.pk}/secret/rotate/"


@pytest.fixture
def site(admin_user, actor_of, team_a):
    return chat_site_save(
        name="Demo Exchange website",
        allowed_origins=["http://127.0.0.1:8000"],
        identity_required=False,
        team=team_a,
        greeting_en="Hi!",
        greeting_zh="您好！",
        is_active=True,
        actor=actor_of(admin_user),
    )


def test_list_shows_sites_without_secrets(client_for, admin_user, site):
    response = client_for(admin_user).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Demo Exchange website" in html
    assert f"<code>{site.key}</code>" in html
    assert "<code>http://127.0.0.1:8000</code>" in html
    assert "Team A" in html
    assert edit_url(site) in html
    assert site.identity_secret not in html


def test_admin_creates_a_site_and_lands_on_its_page(client_for, admin_user, team_b):
    client = client_for(admin_user)
    response = client.post(NEW, {**VALID, "team": str(team_b.pk)})
    site = ChatSite.objects.get()
    assert response.status_code == 302
    assert response.url == edit_url(site)
    assert site.allowed_origins == ["https://www.example.com", "http://localhost:8000"]
    assert (site.team, site.identity_required, site.is_active) == (team_b, True, True)
    assert site.greeting_zh == "您好！请问有什么可以帮您？"
    entry = AuditEntry.objects.get(action="chat_site.created")
    assert (entry.object_id, entry.actor_ref) == (str(site.pk), f"agent:{admin_user.pk}")
    html = client.get(response.url).content.decode()
    assert "Chat site “Exchange website” saved." in html
    assert site.identity_secret not in html


def test_site_page_shows_the_embed_snippet_and_identity_help(
    client_for, admin_user, site, settings
):
    settings.KEFU_PUBLIC_URL = "https://support.example.com/"
    response = client_for(admin_user).get(edit_url(site))
    html = response.content.decode()
    snippet = (
        f'<script src="https://support.example.com/static/kefu/widget.js" '
        f'data-site="{site.key}" async></script>'
    )
    assert response.context["snippet"] == snippet
    # Escaped: shown as text, not run.
    assert (
        "&lt;script src=&quot;https://support.example.com/static/kefu/widget.js&quot; "
        f"data-site=&quot;{site.key}&quot; async&gt;&lt;/script&gt;"
    ) in html
    for claim in ("sub", "exp", "email", "name"):
        assert f"<dt><code>{claim}</code></dt>" in html
    assert "HS256" in html
    assert f'action="{secret_url(site)}"' in html
    assert f'action="{rotate_url(site)}"' in html
    assert site.identity_secret not in html
    assert response.context["form"].initial["allowed_origins"] == "http://127.0.0.1:8000"


def test_show_secret_is_a_post_that_is_audited(client_for, admin_user, site):
    client = client_for(admin_user)
    assert client.get(secret_url(site)).status_code == 405
    assert not AuditEntry.objects.filter(action="chat_site.secret_viewed").exists()
    response = client.post(secret_url(site))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert f'value="{site.identity_secret}"' in response.content.decode()
    assert [str(m) for m in response.context["messages"]] == []
    entry = AuditEntry.objects.get(action="chat_site.secret_viewed")
    assert (entry.object_id, entry.actor_ref) == (str(site.pk), f"agent:{admin_user.pk}")
    for row in AuditEntry.objects.all():
        assert site.identity_secret not in json.dumps(row.data)


def test_rotate_shows_the_new_secret_once(client_for, admin_user, site):
    client = client_for(admin_user)
    old = site.identity_secret
    response = client.post(rotate_url(site))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    site.refresh_from_db()
    assert site.identity_secret != old
    html = response.content.decode()
    assert f'value="{site.identity_secret}"' in html
    assert "Tokens signed with the old one no longer work" in html
    assert AuditEntry.objects.filter(action="chat_site.secret_rotated").count() == 1
    assert site.identity_secret not in client.get(edit_url(site)).content.decode()
    assert site.identity_secret not in json.dumps(dict(client.session.items()))
    for row in AuditEntry.objects.all():
        assert site.identity_secret not in json.dumps(row.data)
        assert old not in json.dumps(row.data)


def test_bad_origin_is_shown_on_the_form(client_for, admin_user):
    response = client_for(admin_user).post(
        NEW, {**VALID, "allowed_origins": "https://www.example.com/support"}
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["allowed_origins"]
    assert message.startswith("“https://www.example.com/support” is not an origin.")
    assert not ChatSite.objects.exists()
    assert not AuditEntry.objects.exists()


def test_admin_edits_a_site(client_for, admin_user, site):
    key, secret = site.key, site.identity_secret
    response = client_for(admin_user).post(
        edit_url(site), {**VALID, "name": "Renamed", "is_active": ""}
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.is_active, site.team) == ("Renamed", False, None)
    assert (site.key, site.identity_secret) == (key, secret)
    assert AuditEntry.objects.filter(action="chat_site.updated").count() == 1


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "senior", "customer_1"])
def test_only_admins_reach_chat_sites(request, client_for, persona, site):
    secret = site.identity_secret
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", NEW)
    assert_hidden(client, "get", edit_url(site))
    assert_hidden(client, "post", NEW, VALID)
    assert_hidden(client, "post", edit_url(site), {**VALID, "allowed_origins": ""})
    assert_hidden(client, "post", secret_url(site))
    assert_hidden(client, "post", rotate_url(site))
    site.refresh_from_db()
    assert (site.name, site.allowed_origins, site.identity_secret) == (
        "Demo Exchange website",
        ["http://127.0.0.1:8000"],
        secret,
    )
    assert ChatSite.objects.count() == 1


def test_supervisor_does_not_see_the_chat_sites_link(client_for, supervisor, admin_user):
    assert LIST not in client_for(supervisor).get("/agent/manage/").content.decode()
    assert f'href="{LIST}"' in client_for(admin_user).get("/agent/manage/").content.decode()


def test_missing_site_is_404(client_for, admin_user):
    assert_hidden(client_for(admin_user), "get", "/agent/manage/chat-sites/999999/edit/")
    assert_hidden(client_for(admin_user), "post", "/agent/manage/chat-sites/999999/secret/")


def test_anonymous_is_sent_to_sign_in(site):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, VALID)
    assert_login_redirect("post", secret_url(site))
    assert_login_redirect("post", rotate_url(site))
    assert ChatSite.objects.count() == 1
