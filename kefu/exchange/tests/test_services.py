"""Audited lookups and actions: who may call them, what they return, what the audit row says."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.exchange import services
from kefu.exchange.connector import (
    AccountNotFound,
    AccountStatus,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    FundStatus,
)
from kefu.exchange.demo_data import seed_demo_ledger
from kefu.exchange.models import DemoAccount
from kefu.exchange.reference_server import Fault
from kefu.exchange.tests.conftest import CUSTOMERS, KEY_ID, MAIN_UID, SECRET
from kefu.testing import factories

REASON = "Customer asks why the USDT withdrawal failed (conversation #12)"


@pytest.fixture
def main_contact(db):
    contacts = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS
    ]
    seed_demo_ledger(contacts)
    return contacts[0]


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_agent_account_lookup_is_audited(main_contact, agent_a, actor_of):
    actor = actor_of(agent_a)
    profile = services.account_lookup(contact=main_contact, actor=actor, reason=f"  {REASON} ")
    assert profile.uid == MAIN_UID
    assert profile.status == AccountStatus.ACTIVE
    [entry] = _entries("exchange.account_viewed")
    assert entry.actor_ref == actor.ref
    assert entry.object_type == "exchange_account"
    assert entry.object_id == MAIN_UID
    assert entry.data == {
        "uid": MAIN_UID, "contact_id": main_contact.pk, "reason": REASON, "outcome": "ok",
        "count": 1,
    }  # fmt: skip


def test_fund_records_lookup_filters_and_audits_without_amounts(main_contact, agent_a, actor_of):
    records = services.fund_records_lookup(
        contact=main_contact, actor=actor_of(agent_a), reason=REASON, direction="withdrawal",
        asset="usdt", network=" trc20 ", limit=10,
    )  # fmt: skip
    assert records
    assert all(
        (r.direction, r.asset, r.network) == (Direction.WITHDRAWAL, "USDT", "TRC20")
        for r in records
    )
    [entry] = _entries("exchange.fund_records_viewed")
    assert entry.data["filters"] == {
        "direction": "withdrawal", "asset": "USDT", "network": "TRC20", "limit": 10,
    }  # fmt: skip
    assert entry.data["count"] == len(records)
    stored = json.dumps(entry.data)
    for r in records:
        assert r.address not in stored
        assert str(r.amount) not in stored


def test_security_events_lookup_by_the_assistant(main_contact):
    assistant = Actor(kind=ActorKind.ASSISTANT, label="assistant")
    events = services.security_events_lookup(
        contact=main_contact, actor=assistant, reason="Customer reports a login they do not know",
        limit=3,
    )  # fmt: skip
    assert len(events) == 3
    [entry] = _entries("exchange.security_events_viewed")
    assert entry.data["count"] == 3
    assert entry.data["filters"] == {"limit": 3}
    assert entry.actor_kind == "assistant"


def test_system_actor_may_look_up(main_contact, system_actor):
    assert services.account_lookup(contact=main_contact, actor=system_actor, reason="sync")


def test_customer_may_not_look_up_even_their_own_account(main_contact, customer_1, actor_of):
    main_contact.user = customer_1
    with pytest.raises(PermissionDenied):
        services.account_lookup(contact=main_contact, actor=actor_of(customer_1), reason=REASON)
    with pytest.raises(PermissionDenied):
        services.fund_records_lookup(
            contact=main_contact, actor=Actor(kind=ActorKind.API, api_key_id=1), reason=REASON
        )
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


def test_deactivated_agent_may_not_look_up(main_contact, agent_a, actor_of):
    actor = actor_of(agent_a)
    agent_a.is_active = False
    agent_a.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        services.security_events_lookup(contact=main_contact, actor=actor, reason=REASON)
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_reason_is_required_and_bounded(main_contact, agent_a, actor_of, reason):
    with pytest.raises(ValidationFailed) as info:
        services.account_lookup(contact=main_contact, actor=actor_of(agent_a), reason=reason)
    assert "reason" in info.value.fields
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_is_bounded(main_contact, agent_a, actor_of, limit):
    with pytest.raises(ValidationFailed):
        services.fund_records_lookup(
            contact=main_contact, actor=actor_of(agent_a), reason=REASON, limit=limit
        )


def test_bad_direction_is_rejected(main_contact, agent_a, actor_of):
    with pytest.raises(ValidationFailed):
        services.fund_records_lookup(
            contact=main_contact, actor=actor_of(agent_a), reason=REASON, direction="sideways"
        )


def test_contact_without_uid_is_account_not_found_and_audited(db, agent_a, actor_of):
    contact = factories.ContactFactory(uid=None)
    with pytest.raises(AccountNotFound):
        services.account_lookup(contact=contact, actor=actor_of(agent_a), reason=REASON)
    [entry] = _entries("exchange.account_viewed")
    assert entry.data["outcome"] == "not_found"
    assert entry.object_id == f"contact:{contact.pk}"


def test_unknown_uid_is_account_not_found(db, agent_a, actor_of):
    contact = factories.ContactFactory(uid="U-unknown")
    with pytest.raises(AccountNotFound):
        services.fund_records_lookup(contact=contact, actor=actor_of(agent_a), reason=REASON)
    assert _entries("exchange.fund_records_viewed")[0].data["outcome"] == "not_found"


def _auth(kind: CaseKind, ref: str, *, prepared: str = "agent:7", approved: str = "agent:3"):
    return CaseAuthorisation(
        case_ref=ref, kind=kind, uid=MAIN_UID, prepared_by=prepared, approved_by=approved,
        approved_at=datetime(2026, 11, 20, tzinfo=UTC),
    )  # fmt: skip


def test_account_action_by_staff_is_audited(main_contact, supervisor, actor_of):
    result = services.account_action(
        authorisation=_auth(CaseKind.FREEZE, "VC-000042"), actor=actor_of(supervisor)
    )
    assert result.status == AccountStatus.FROZEN
    assert DemoAccount.objects.get(uid=MAIN_UID).status == AccountStatus.FROZEN
    [entry] = _entries("exchange.account_frozen")
    assert entry.data == {
        "uid": MAIN_UID, "case_ref": "VC-000042", "kind": "freeze", "prepared_by": "agent:7",
        "approved_by": "agent:3", "status": "frozen", "exchange_ref": result.exchange_ref,
    }  # fmt: skip
    services.account_action(
        authorisation=_auth(CaseKind.UNLOCK, "VC-000043"), actor=actor_of(supervisor)
    )
    services.account_action(
        authorisation=_auth(CaseKind.RESET_2FA, "VC-000044"), actor=actor_of(supervisor)
    )
    assert len(_entries("exchange.account_unlocked")) == 1
    assert len(_entries("exchange.two_factor_reset")) == 1


def test_unlock_needs_two_different_people(main_contact, supervisor, actor_of):
    with pytest.raises(ValidationFailed):
        services.account_action(
            authorisation=_auth(CaseKind.UNLOCK, "VC-1", prepared="agent:3", approved="agent:3"),
            actor=actor_of(supervisor),
        )
    assert DemoAccount.objects.get(uid=MAIN_UID).two_factor_enabled is True
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


def test_customer_may_freeze_only_their_own_account(main_contact, customer_2, actor_of):
    own = _auth(CaseKind.FREEZE, "VC-2", prepared="customer", approved="")
    with pytest.raises(PermissionDenied):
        services.account_action(authorisation=own, actor=actor_of(customer_2))
    with pytest.raises(PermissionDenied):  # not an unlock
        services.account_action(
            authorisation=_auth(CaseKind.UNLOCK, "VC-3", prepared="customer"),
            actor=Actor(kind=ActorKind.CUSTOMER, contact_id=main_contact.pk),
        )
    assert DemoAccount.objects.get(uid=MAIN_UID).status == AccountStatus.ACTIVE
    actor = Actor(kind=ActorKind.CUSTOMER, contact_id=main_contact.pk)  # the account's owner
    result = services.account_action(authorisation=own, actor=actor)
    assert result.status == AccountStatus.FROZEN


def test_assistant_may_not_take_actions(main_contact):
    with pytest.raises(PermissionDenied):
        services.account_action(
            authorisation=_auth(CaseKind.FREEZE, "VC-4"),
            actor=Actor(kind=ActorKind.ASSISTANT),
        )


def test_refused_action_is_audited_as_failed(main_contact, supervisor, actor_of):
    DemoAccount.objects.filter(uid=MAIN_UID).update(status=AccountStatus.DISABLED)
    with pytest.raises(ConnectorError):
        services.account_action(
            authorisation=_auth(CaseKind.UNLOCK, "VC-5"), actor=actor_of(supervisor)
        )
    [entry] = _entries("exchange.action_failed")
    assert entry.data["retryable"] is False
    assert entry.data["case_ref"] == "VC-5"


def test_services_use_the_http_connector_when_configured(
    main_contact, agent_a, actor_of, settings, reference_server, memory_backend
):
    """The whole path: service -> registry -> http adapter -> reference server on 127.0.0.1."""
    settings.KEFU_EXCHANGE_CONNECTOR = "http"
    settings.KEFU_EXCHANGE_API_URL = reference_server.url
    settings.KEFU_EXCHANGE_API_KEY_ID = KEY_ID
    settings.KEFU_EXCHANGE_API_SECRET = SECRET
    records = services.fund_records_lookup(
        contact=main_contact, actor=actor_of(agent_a), reason=REASON, limit=100
    )
    assert records == memory_backend.fund_records(uid=MAIN_UID, limit=100)
    assert any(r.status == FundStatus.BROADCAST for r in records)
    reference_server.faults.extend([Fault(status=503)] * 3)
    with pytest.raises(ConnectorError) as info:
        services.account_lookup(contact=main_contact, actor=actor_of(agent_a), reason=REASON)
    assert info.value.retryable is True
    entry = _entries("exchange.account_viewed")[-1]
    assert entry.data["outcome"] == "error"
    assert entry.data["retryable"] is True
