import re

import pytest
from django.urls import reverse

from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect

INDEX = "/agent/manage/"


def test_index_is_mounted_under_agent_manage():
    assert reverse("backoffice:index") == INDEX


def test_supervisor_sees_sections_without_api_keys(client_for, supervisor):
    response = client_for(supervisor).get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    for url in (
        "/agent/manage/staff/",
        "/agent/manage/teams/",
        "/agent/manage/tags/",
        "/agent/manage/macros/",
        "/agent/manage/calendars/",
        "/agent/manage/contacts/",
        "/agent/manage/audit/",
    ):
        assert f'href="{url}"' in html
    assert "/agent/manage/api-keys/" not in html
    assert "/agent/manage/chat-sites/" not in html


def test_admin_sees_api_keys_and_chat_sites_sections(client_for, admin_user):
    html = client_for(admin_user).get(INDEX).content.decode()
    assert 'href="/agent/manage/api-keys/"' in html
    assert 'href="/agent/manage/chat-sites/"' in html


def test_nav_links_to_inbox_and_manage(client_for, supervisor):
    html = client_for(supervisor).get(INDEX).content.decode()
    assert '<a class="brand" href="/agent/">' in html
    assert '<a href="/agent/">' in html
    assert f'<a href="{INDEX}" aria-current="page">' in html


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404(request, client_for, persona):
    assert_hidden(client_for(request.getfixturevalue(persona)), "get", INDEX)


def test_anonymous_is_sent_to_sign_in(db):
    assert_login_redirect("get", INDEX)


@pytest.mark.parametrize(
    "url",
    [
        INDEX,
        "/agent/manage/staff/",
        "/agent/manage/staff/new/",
        "/agent/manage/teams/new/",
        "/agent/manage/tags/",
        "/agent/manage/macros/new/",
        "/agent/manage/api-keys/",
        "/agent/manage/api-keys/new/",
        "/agent/manage/calendars/",
        "/agent/manage/calendars/new/",
        "/agent/manage/contacts/",
        "/agent/manage/contacts/new/",
        "/agent/manage/chat-sites/",
        "/agent/manage/chat-sites/new/",
        "/agent/manage/audit/",
    ],
)
def test_pages_have_no_inline_script_or_style(client_for, admin_user, url):
    html = client_for(admin_user).get(url).content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert " style=" not in html
    assert "<style" not in html
    assert " onclick=" not in html
