"""API keys: the secret is shown once, only its hash is stored; authenticate and revoke."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from kefu.accounts import services
from kefu.accounts.models import ApiKey
from kefu.accounts.services import apikey_authenticate, apikey_create, apikey_revoke
from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed

SCOPES = ["conversations:read", "customers:read"]


@pytest.fixture
def created(admin_user, actor_of):
    return apikey_create(name="Exchange backend", scopes=SCOPES, actor=actor_of(admin_user))


def test_admin_creates_a_key_and_gets_the_secret_once(admin_user, actor_of, audit_watch):
    watch = audit_watch()
    key, secret = apikey_create(
        name="  Exchange backend ",
        scopes=["customers:read", "conversations:read", "customers:read"],
        actor=actor_of(admin_user),
    )
    prefix, raw = secret.split("_", 2)[1:]
    assert secret.startswith(f"kf_{key.prefix}_")
    assert prefix == key.prefix
    assert len(raw) >= 40
    key.refresh_from_db()
    assert key.name == "Exchange backend"
    assert key.scopes == SCOPES
    assert key.created_by == admin_user
    assert key.is_active
    # Only a hash is stored: the secret appears in no column and no audit row.
    assert key.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert all(raw not in str(value) for value in stored.values())
    assert watch.rows() == [
        (
            "agent",
            f"agent:{admin_user.pk}",
            "apikey.created",
            "apikey",
            str(key.pk),
            {"name": "Exchange backend", "scopes": SCOPES},
        ),
    ]
    assert not any(raw in str(a.data) for a in AuditEntry.objects.all())


def test_each_key_gets_its_own_prefix_and_secret(admin_user, actor_of):
    secrets = {
        apikey_create(name=f"k{i}", scopes=SCOPES, actor=actor_of(admin_user))[1] for i in range(5)
    }
    assert len(secrets) == 5
    assert ApiKey.objects.values("prefix").distinct().count() == 5


def test_authenticate_with_the_secret_returns_the_key_and_marks_it_used(created, monkeypatch):
    key, secret = created
    assert key.last_used_at is None
    first = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: first)
    assert apikey_authenticate(secret) == key
    assert apikey_authenticate(f"  {secret}\n") == key
    key.refresh_from_db()
    assert key.last_used_at == first
    # Within a minute the timestamp is not rewritten on every request.
    monkeypatch.setattr(clock, "now", lambda: first + timedelta(seconds=30))
    apikey_authenticate(secret)
    key.refresh_from_db()
    assert key.last_used_at == first
    later = first + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    apikey_authenticate(secret)
    key.refresh_from_db()
    assert key.last_used_at == later


def test_secret_with_underscores_still_authenticates(admin_user, actor_of, monkeypatch):
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda n: "abc_def_ghi-jkl")
    key, secret = apikey_create(name="k", scopes=SCOPES, actor=actor_of(admin_user))
    assert secret == f"kf_{key.prefix}_abc_def_ghi-jkl"
    assert apikey_authenticate(secret) == key


def test_wrong_secret_is_refused(created):
    key, secret = created
    with pytest.raises(NotFound):
        apikey_authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    with pytest.raises(NotFound):
        apikey_authenticate(f"kf_{key.prefix}_")
    with pytest.raises(NotFound):
        apikey_authenticate(f"kf_00000000_{secret.split('_', 2)[2]}")
    key.refresh_from_db()
    assert key.last_used_at is None


def test_revoked_key_is_refused(created, admin_user, actor_of):
    key, secret = created
    apikey_revoke(key=key, actor=actor_of(admin_user))
    with pytest.raises(NotFound):
        apikey_authenticate(secret)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "kf",
        "kf_",
        "kf__",
        "abc",
        "Bearer kf_x_y",
        "KF_abc_def",
        "xx_abcd1234_secret",
        "kf_abcd1234",
    ],
)
def test_malformed_keys_are_refused(created, raw):
    with pytest.raises(NotFound):
        apikey_authenticate(raw)


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "customer_1"])
def test_only_admins_create_keys(request, actor_of, audit_watch, persona):
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        apikey_create(name="k", scopes=SCOPES, actor=actor_of(request.getfixturevalue(persona)))
    assert not ApiKey.objects.exists()
    assert watch.rows() == []


@pytest.mark.parametrize(
    ("field", "name", "scopes"),
    [
        ("name", "  ", SCOPES),
        ("scopes", "k", []),
        ("scopes", "k", ["customers:read", "admin:everything"]),
    ],
)
def test_invalid_key_requests_are_refused(admin_user, actor_of, audit_watch, field, name, scopes):
    watch = audit_watch()
    with pytest.raises(ValidationFailed) as excinfo:
        apikey_create(name=name, scopes=scopes, actor=actor_of(admin_user))
    assert list(excinfo.value.fields) == [field]
    assert not ApiKey.objects.exists()
    assert watch.rows() == []


def test_revoke_is_audited_once_and_idempotent(
    created, admin_user, actor_of, audit_watch, monkeypatch
):
    key, _secret = created
    at = datetime(2025, 2, 2, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: at)
    watch = audit_watch()
    apikey_revoke(key=key, actor=actor_of(admin_user))
    apikey_revoke(key=key, actor=actor_of(admin_user))
    key.refresh_from_db()
    assert key.revoked_at == at
    assert not key.is_active
    assert watch.rows() == [
        (
            "agent",
            f"agent:{admin_user.pk}",
            "apikey.revoked",
            "apikey",
            str(key.pk),
            {"name": "Exchange backend"},
        ),
    ]


def test_supervisor_cannot_revoke(created, supervisor, actor_of, audit_watch):
    key, secret = created
    watch = audit_watch()
    with pytest.raises(PermissionDenied):
        apikey_revoke(key=key, actor=actor_of(supervisor))
    key.refresh_from_db()
    assert key.revoked_at is None
    assert apikey_authenticate(secret) == key
    assert watch.rows() == []
