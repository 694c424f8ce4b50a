"""chat_site_save, chat_site_rotate_secret, chat_site_reveal_secret: admins only, the secret
never in the audit log."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.inbox.models import ChatSite
from kefu.inbox.sites import (
    chat_site_reveal_secret,
    chat_site_rotate_secret,
    chat_site_save,
    clean_origin,
)
from kefu.testing import factories


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English, whatever an earlier test left active in this thread."""
    with translation.override("en"):
        yield


def save(actor, **overrides):
    kwargs = {
        "name": "Exchange website",
        "allowed_origins": ["https://www.example.com"],
        "identity_required": False,
        "team": None,
        "greeting_en": "Hi!",
        "greeting_zh": "您好！",
        "is_active": True,
        **overrides,
    }
    return chat_site_save(actor=actor, **kwargs)


def assert_no_secret_in_audit(*secrets: str) -> None:
    for row in AuditEntry.objects.all():
        dumped = json.dumps(row.data)
        for secret in secrets:
            assert secret not in dumped


def test_admin_creates_a_site_with_a_key_and_secret(admin_user, actor_of, team_a):
    site = save(
        actor_of(admin_user),
        name="  Exchange website ",
        allowed_origins=[
            "https://WWW.Example.com/",
            "http://localhost:8000",
            " ",
            "https://www.example.com:443",
        ],
        identity_required=True,
        team=team_a,
    )
    site.refresh_from_db()
    assert site.name == "Exchange website"
    assert site.allowed_origins == ["https://www.example.com", "http://localhost:8000"]
    assert (site.identity_required, site.team, site.greeting_en, site.greeting_zh) == (
        True,
        team_a,
        "Hi!",
        "您好！",
    )
    assert len(site.key) >= 16
    assert len(site.identity_secret) >= 40
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_ref) == (
        "chat_site.created",
        "chat_site",
        str(site.pk),
        f"agent:{admin_user.pk}",
    )
    assert entry.data == {
        "name": "Exchange website",
        "site_key": site.key,
        "allowed_origins": ["https://www.example.com", "http://localhost:8000"],
        "identity_required": True,
        "team_id": team_a.pk,
        "is_active": True,
    }
    assert_no_secret_in_audit(site.identity_secret)


def test_update_keeps_the_key_and_secret(admin_user, actor_of):
    actor = actor_of(admin_user)
    site = save(actor)
    key, secret = site.key, site.identity_secret
    save(actor, site=site, name="Renamed", allowed_origins=[], is_active=False)
    site.refresh_from_db()
    assert (site.name, site.allowed_origins, site.is_active) == ("Renamed", [], False)
    assert (site.key, site.identity_secret) == (key, secret)
    assert AuditEntry.objects.filter(action="chat_site.updated").count() == 1
    assert site.allows_origin("https://anything.example")  # empty list: any origin


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("https://www.example.com/", "https://www.example.com"),
        ("HTTPS://WWW.EXAMPLE.COM", "https://www.example.com"),
        ("https://www.example.com:443", "https://www.example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_origins_are_normalised(origin, expected):
    assert clean_origin(origin) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "www.example.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "https://example.com/path",
        "https://example.com/chat/",
        "https://example.com?x=1",
        "https://example.com#top",
        "https://user@example.com",
        "https://*.example.com",
        "https://exa mple.com",
        "https://",
        "https://example.com:99999",
        "https://example.com:port",
        "null",
        "*",
    ],
)
def test_bad_origins_are_refused(admin_user, actor_of, origin):
    with pytest.raises(ValidationFailed) as excinfo:
        save(actor_of(admin_user), allowed_origins=["https://ok.example.com", origin])
    [message] = excinfo.value.fields["allowed_origins"]
    assert message.startswith(f"“{origin.strip().rstrip('/')[:100]}” is not an origin.")
    assert not ChatSite.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"name": " "}, {"name": ["Use a name of 1 to 120 characters."]}),
        ({"name": "x" * 121}, {"name": ["Use a name of 1 to 120 characters."]}),
        ({"greeting_en": "x" * 301}, {"greeting_en": ["Use at most 300 characters."]}),
        ({"greeting_zh": "字" * 301}, {"greeting_zh": ["Use at most 300 characters."]}),
        (
            {"allowed_origins": [f"https://s{i}.example.com" for i in range(21)]},
            {"allowed_origins": ["List at most 20 origins."]},
        ),
    ],
)
def test_invalid_sites_are_refused(admin_user, actor_of, overrides, fields):
    with pytest.raises(ValidationFailed) as excinfo:
        save(actor_of(admin_user), **overrides)
    assert excinfo.value.fields == fields
    assert not ChatSite.objects.exists()
    assert not AuditEntry.objects.exists()


def test_rotate_makes_a_new_secret_and_audits_without_it(admin_user, actor_of):
    actor = actor_of(admin_user)
    site = save(actor)
    old = site.identity_secret
    new = chat_site_rotate_secret(site=site, actor=actor)
    assert new != old
    assert len(new) >= 40
    assert ChatSite.objects.get(pk=site.pk).identity_secret == new
    assert site.identity_secret == new
    entry = AuditEntry.objects.get(action="chat_site.secret_rotated")
    assert (entry.object_id, entry.data) == (str(site.pk), {"name": "Exchange website"})
    assert_no_secret_in_audit(old, new)


def test_reveal_returns_the_secret_and_records_the_view(admin_user, actor_of):
    actor = actor_of(admin_user)
    site = save(actor)
    assert chat_site_reveal_secret(site=site, actor=actor) == site.identity_secret
    entry = AuditEntry.objects.get(action="chat_site.secret_viewed")
    assert (entry.object_id, entry.actor_ref, entry.data) == (
        str(site.pk),
        f"agent:{admin_user.pk}",
        {"name": "Exchange website"},
    )
    assert_no_secret_in_audit(site.identity_secret)


@pytest.fixture
def refused_actor(request, agent_a, senior, supervisor, customer_1, actor_of):
    return {
        "agent_l1": lambda: actor_of(agent_a),
        "agent_l2": lambda: actor_of(senior),
        "supervisor": lambda: actor_of(supervisor),
        "customer": lambda: actor_of(customer_1),
        "system": lambda: Actor.system("test"),
        "inactive_admin": lambda: actor_of(factories.StaffFactory(role="admin", is_active=False)),
    }[request.param]()


@pytest.mark.parametrize(
    "refused_actor",
    ["agent_l1", "agent_l2", "supervisor", "customer", "system", "inactive_admin"],
    indirect=True,
)
def test_only_admins_manage_chat_sites(refused_actor, admin_user, actor_of):
    site = save(actor_of(admin_user))
    secret = site.identity_secret
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        save(refused_actor)
    with pytest.raises(PermissionDenied):
        save(refused_actor, site=site, allowed_origins=["https://evil.example"])
    with pytest.raises(PermissionDenied):
        chat_site_rotate_secret(site=site, actor=refused_actor)
    with pytest.raises(PermissionDenied):
        chat_site_reveal_secret(site=site, actor=refused_actor)
    site.refresh_from_db()
    assert site.allowed_origins == ["https://www.example.com"]
    assert site.identity_secret == secret
    assert ChatSite.objects.count() == 1
    assert AuditEntry.objects.count() == before
