"""A chat site's identity secret is sealed at rest: the column never holds it in plain."""

from __future__ import annotations

import pytest
from django.db import connection

from kefu.inbox.models import ChatSite


@pytest.mark.django_db
def test_the_identity_secret_is_not_stored_in_plain():
    site = ChatSite.objects.create(name="Exchange", key="sealed-site")
    secret = site.identity_secret
    assert len(secret) >= 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM inbox_chatsite WHERE id = %s", [site.pk])
        row = cursor.fetchone()
    assert all(secret not in str(value) for value in row)
    assert ChatSite.objects.get(pk=site.pk).identity_secret == secret


@pytest.mark.django_db
def test_each_site_gets_its_own_secret_and_setting_one_seals_it():
    first = ChatSite.objects.create(name="A", key="site-a")
    second = ChatSite.objects.create(name="B", key="site-b")
    assert first.identity_secret != second.identity_secret
    first.identity_secret = "chosen-secret-value"
    first.save()
    assert "chosen-secret-value" not in first.identity_secret_sealed
    assert ChatSite.objects.get(pk=first.pk).identity_secret == "chosen-secret-value"
