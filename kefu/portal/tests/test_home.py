from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_for_visitors_offers_sign_in_and_contact_options():
    response = Client().get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Official contact options" in content
    assert "Service hours" in content
    assert f'href="{reverse("portal:login")}"' in content
    assert f'href="{reverse("portal:signup")}"' in content


def test_home_page_for_customers_links_to_their_requests(client_1):
    content = client_1.get("/").content.decode()
    assert f'href="{reverse("portal:request_list")}"' in content
    assert f'href="{reverse("portal:request_new")}"' in content
    assert f'action="{reverse("portal:logout")}"' in content


@pytest.mark.django_db
def test_pages_have_no_inline_scripts_or_styles(client_1, conversation_a):
    for url in (
        "/",
        reverse("portal:request_list"),
        reverse("portal:request_new"),
        reverse("portal:request_detail", args=[conversation_a.pk]),
        reverse("portal:account"),
    ):
        content = client_1.get(url).content.decode()
        assert "style=" not in content
        assert "onclick" not in content
        assert "<script>" not in content
        assert "portal/portal.css" in content
