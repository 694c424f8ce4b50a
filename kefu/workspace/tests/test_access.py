"""Who may enter the workspace, and the navigation bar each role gets."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.testing import factories
from kefu.workspace.tests.conftest import login


@pytest.mark.parametrize("path", ["/agent/", "/agent/account/"])
def test_anonymous_visitor_is_sent_to_sign_in(db, path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login?next={path}"


def test_anonymous_visitor_opening_a_conversation_is_sent_to_sign_in(conversation_a):
    path = f"/agent/c/{conversation_a.pk}/"

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login?next=/agent/c/{conversation_a.pk}/"


@pytest.mark.parametrize("path", ["/agent/", "/agent/account/"])
def test_customer_gets_404_in_the_workspace(customer_1, path):
    response = login(customer_1).get(path)

    assert response.status_code == 404


def test_customer_gets_404_on_their_own_conversation_in_the_workspace(customer_1, conversation_a):
    response = login(customer_1).get(f"/agent/c/{conversation_a.pk}/")

    assert response.status_code == 404


def test_deactivated_agent_is_signed_out_of_the_workspace(team_a):
    former = factories.StaffFactory(teams=[team_a], is_active=True)
    client = login(former)
    former.is_active = False
    former.save(update_fields=["is_active"])

    response = client.get("/agent/")

    # Django signs inactive users out, so they are sent to sign in instead of seeing anything.
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/agent/"


def test_staff_user_without_a_role_gets_404(db):
    no_role = factories.StaffFactory(role="")

    response = login(no_role).get("/agent/")

    assert response.status_code == 404


def test_agent_gets_the_inbox_with_navigation(client_a):
    response = client_a.get("/agent/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="brand" href="/agent/">' in html
    assert '<a href="/agent/" aria-current="page">Inbox</a>' in html
    assert '<a href="/agent/account/">Preferences</a>' in html
    assert '<form class="ws-signout" action="/logout" method="post">' in html
    assert '<main id="main" class="wide">' in html


def test_agent_has_no_link_to_management_or_the_all_view(client_a):
    html = client_a.get("/agent/").content.decode()

    assert "/agent/manage/" not in html
    assert "view=all" not in html


@pytest.mark.parametrize("persona", ["supervisor", "admin_user"])
def test_supervisors_and_admins_get_management_and_all_links(request, persona):
    client = login(request.getfixturevalue(persona))

    html = client.get("/agent/").content.decode()

    assert '<a href="/agent/manage/">Manage</a>' in html
    assert 'href="/agent/?view=all"' in html


def test_pages_have_no_inline_scripts_or_styles(client_a, conversation_a):
    for path in ("/agent/", f"/agent/c/{conversation_a.pk}/", "/agent/account/"):
        html = client_a.get(path).content.decode()
        assert "style=" not in html
        assert "<style" not in html
        assert html.count("<script") == html.count("<script src=")


def test_inbox_form_inputs_all_have_labels(client_a, conversation_a):
    import re

    for path in ("/agent/", f"/agent/c/{conversation_a.pk}/", "/agent/account/"):
        html = client_a.get(path).content.decode()
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        controls = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html)
        for attrs in controls:
            if 'type="hidden"' in attrs or 'type="checkbox"' in attrs:
                continue  # hidden fields need none; checkboxes sit inside their <label>
            match = re.search(r'id="([^"]+)"', attrs)
            assert match, f"control without an id on {path}: {attrs}"
            assert match.group(1) in labelled, f"{match.group(1)} has no label on {path}"
