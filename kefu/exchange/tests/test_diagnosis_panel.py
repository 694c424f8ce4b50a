"""The diagnosis service over the demo adapter, a real chain node and the status page, and the
workspace's Funds panel: permissions, rendering, audit rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.chain.tests.nodes import EvmNode
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.exchange.connector import AccountStatus, Direction, FailureReason, FundStatus
from kefu.exchange.demo_data import MAIN_EMAIL, seed_demo_ledger
from kefu.exchange.diagnosis import (
    DiagnosisQuery,
    Outcome,
    diagnosis_for,
    open_incidents_for_diagnosis,
)
from kefu.exchange.models import DemoAccount, DemoFundRecord
from kefu.status.models import Incident, IncidentKind, IncidentState
from kefu.testing import factories

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def demo_contact(db):
    contact = factories.ContactFactory(email=MAIN_EMAIL, uid="31000000", name="Alex Morgan")
    seed_demo_ledger([contact])
    return contact


@pytest.fixture
def conversation(demo_contact, team_a):
    return factories.ConversationFactory(contact=demo_contact, team=team_a)


def _record(**filters) -> DemoFundRecord:
    return DemoFundRecord.objects.filter(account__uid="31000000", **filters).first()


def _audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- the service ------------------------------------------------------------------------------


def test_diagnosis_for_explains_a_demo_record_and_audits_the_lookups(
    demo_contact, agent_a, actor_of
):
    row = _record(failure_reason=FailureReason.DAILY_LIMIT)
    result = diagnosis_for(
        contact=demo_contact,
        actor=actor_of(agent_a),
        query=DiagnosisQuery(txid=row.txid)
        if row.txid
        else DiagnosisQuery(asset="BTC", amount=row.amount),
        reason="conversation KF-000123",
    )
    assert result.outcome == Outcome.MATCHED
    assert result.findings[0].code == "withdrawal.daily_limit"
    assert "daily withdrawal limit" in result.customer_message("en")
    assert "每日提现额度" in result.customer_message("zh-hans")
    viewed = _audit("exchange.account_viewed") + _audit("exchange.fund_records_viewed")
    assert len(viewed) >= 2
    assert {e.data["reason"] for e in viewed} == {"conversation KF-000123"}
    assert {e.actor_ref for e in viewed} == {f"agent:{agent_a.pk}"}


def test_every_demo_record_gets_a_finding(demo_contact, system_actor):
    rows = list(DemoFundRecord.objects.filter(account__uid="31000000"))
    assert {r.status for r in rows} == {s.value for s in FundStatus}
    for row in rows:
        query = (
            DiagnosisQuery(txid=row.txid)
            if row.txid
            else DiagnosisQuery(
                asset=row.asset,
                network=row.network,
                amount=row.amount,
                at=row.created_at,
                direction=Direction(row.direction),
            )
        )
        result = diagnosis_for(contact=demo_contact, actor=system_actor, query=query, reason="test")
        assert result.outcome in {Outcome.MATCHED, Outcome.SEVERAL}, row.ref
        assert row.ref in {f.record.id for f in result.findings}
        assert result.customer_message("en")
        assert result.customer_message("zh-hans") != result.customer_message("en")


def test_no_account_and_nothing_matching(db, demo_contact, system_actor):
    without_uid = factories.ContactFactory(uid="")
    result = diagnosis_for(
        contact=without_uid, actor=system_actor, query=DiagnosisQuery(), reason="test"
    )
    assert result.outcome == Outcome.NO_ACCOUNT
    nothing = diagnosis_for(
        contact=demo_contact, actor=system_actor, query=DiagnosisQuery(txid="0xdead"), reason="test"
    )
    assert nothing.outcome == Outcome.NONE
    assert "transaction ID" in nothing.customer_message("en")


def test_a_locked_account_explains_a_blocked_withdrawal(demo_contact, system_actor):
    DemoAccount.objects.filter(uid="31000000").update(
        status=AccountStatus.LOCKED,
        status_reason="too_many_failed_logins",
        status_since=clock.now(),
    )
    row = _record(status=FundStatus.PENDING_REVIEW, failure_reason="")
    result = diagnosis_for(
        contact=demo_contact,
        actor=system_actor,
        query=DiagnosisQuery(asset=row.asset, network=row.network, amount=row.amount),
        reason="test",
    )
    assert result.findings[0].code == "withdrawal.account_locked"
    assert any("too_many_failed_logins" in n for n in result.agent_notes)


@pytest.fixture
def evm(settings) -> Iterator[EvmNode]:
    node = EvmNode().start()
    settings.KEFU_CHAIN_RPC = {"ETH": {"kind": "evm", "url": node.url}, "ERC20": "ETH"}
    settings.KEFU_CHAIN_CONFIRMATIONS = ""
    settings.KEFU_CHAIN_CACHE_SECONDS = 0
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 5
    yield node
    node.stop()


def test_chain_says_failed_while_the_record_says_broadcast(demo_contact, system_actor, evm):
    tx = evm.call_contract(evm.deploy_reverting_contract())
    evm.mine(15)
    row = _record(status=FundStatus.BROADCAST)
    DemoFundRecord.objects.filter(pk=row.pk).update(network="ERC20", txid=tx)
    result = diagnosis_for(
        contact=demo_contact,
        actor=system_actor,
        query=DiagnosisQuery(txid=tx.upper()[2:]),
        reason="t",
    )
    finding = result.findings[0]
    assert finding.code == "withdrawal.chain_problem"
    assert result.alerts
    assert "failed" in dict(finding.agent_facts)["On chain"]


def test_chain_says_confirmed_while_the_record_says_broadcast(demo_contact, system_actor, evm):
    tx = evm.transfer()
    evm.mine(30)
    row = _record(status=FundStatus.BROADCAST)
    DemoFundRecord.objects.filter(pk=row.pk).update(
        network="ERC20", txid=tx, required_confirmations=12
    )
    result = diagnosis_for(
        contact=demo_contact, actor=system_actor, query=DiagnosisQuery(txid=tx), reason="t"
    )
    assert result.findings[0].code == "withdrawal.arriving"
    assert "receiving wallet shortly" in result.customer_message("en")


def test_an_unreachable_node_means_not_checked(demo_contact, system_actor, settings):
    settings.KEFU_CHAIN_RPC = {"ETH": {"kind": "evm", "url": "http://127.0.0.1:9"}, "ERC20": "ETH"}
    settings.KEFU_CHAIN_CACHE_SECONDS = 0
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 1
    tx = "0x" + "ab" * 32
    row = _record(status=FundStatus.BROADCAST)
    DemoFundRecord.objects.filter(pk=row.pk).update(network="ERC20", txid=tx)
    result = diagnosis_for(
        contact=demo_contact, actor=system_actor, query=DiagnosisQuery(txid=tx), reason="t"
    )
    assert result.findings[0].code == "withdrawal.broadcast"
    assert dict(result.findings[0].agent_facts)["On chain"] == "not checked"


def _incident(**kw) -> Incident:
    values = {
        "kind": IncidentKind.INCIDENT,
        "title_en": "SOL withdrawals suspended",
        "title_zh": "SOL 提现暂停",
        "affected": [{"asset": "SOL", "network": "SOL"}],
        "state": IncidentState.INVESTIGATING,
        "started_at": clock.now() - timedelta(hours=1),
    }
    values.update(kw)
    return Incident.objects.create(**values)


def test_open_incidents_are_read_from_the_status_page(db):
    open_one = _incident()
    _incident(title_en="resolved", state=IncidentState.RESOLVED, resolved_at=clock.now())
    _incident(title_en="draft", is_public=False)
    _incident(title_en="no assets", affected=[])
    found = open_incidents_for_diagnosis()
    assert [i.title_en for i in found] == ["SOL withdrawals suspended"]
    assert found[0].affected == (("SOL", "SOL"),)
    assert found[0].url_en == reverse("status:incident", args=["en", open_one.pk])
    assert found[0].url_zh == reverse("status:incident", args=["zh-hans", open_one.pk])


def test_an_incident_is_linked_to_a_suspended_network(demo_contact, system_actor):
    incident = _incident()
    row = _record(failure_reason=FailureReason.NETWORK_SUSPENDED)
    result = diagnosis_for(
        contact=demo_contact,
        actor=system_actor,
        query=DiagnosisQuery(asset="SOL", network="SOL", amount=row.amount, at=row.created_at),
        reason="t",
    )
    assert result.findings[0].code == "withdrawal.network_suspended"
    assert reverse("status:incident", args=["en", incident.pk]) in result.customer_message("en")
    assert "SOL 提现暂停" in result.customer_message("zh-hans")


# --- the panel --------------------------------------------------------------------------------


def test_the_conversation_page_has_the_funds_placeholder_without_looking_anything_up(
    conversation, agent_a
):
    page = login(agent_a).get(reverse("workspace:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert 'data-exchange-panel="' + reverse("exchange:funds", args=[conversation.pk]) in html
    assert "/static/exchange/panel.js" in html
    assert "<script>" not in html
    assert _audit("exchange.account_viewed") == []


def test_the_panel_shows_account_and_records_and_audits_the_look(conversation, agent_a):
    response = login(agent_a).get(reverse("exchange:funds", args=[conversation.pk]), **XHR)
    assert response.status_code == 200
    html = response.content.decode()
    assert "31000000" in html
    assert "Active" in html
    assert html.count("data-record=") == 8
    assert 'action="' + reverse("exchange:diagnose", args=[conversation.pk]) in html
    assert "<html" not in html  # a fragment
    (viewed,) = _audit("exchange.account_viewed")
    assert viewed.data["reason"] == f"conversation {conversation.reference}"
    assert viewed.actor_ref == f"agent:{agent_a.pk}"
    assert len(_audit("exchange.fund_records_viewed")) == 1


def test_without_javascript_the_panel_is_a_page(conversation, agent_a):
    response = login(agent_a).get(reverse("exchange:funds", args=[conversation.pk]))
    html = response.content.decode()
    assert "<html" in html
    assert "Back to the conversation" in html


def test_a_locked_account_shows_its_status(conversation, agent_a):
    DemoAccount.objects.filter(uid="31000000").update(
        status=AccountStatus.FROZEN, status_reason="user_emergency_freeze"
    )
    html = login(agent_a).get(reverse("exchange:funds", args=[conversation.pk]), **XHR).content
    assert b"Frozen" in html
    assert b"user_emergency_freeze" in html


def test_a_customer_without_an_exchange_account(db, agent_a, team_a):
    conversation = factories.ConversationFactory(
        contact=factories.ContactFactory(uid=""), team=team_a
    )
    html = login(agent_a).get(reverse("exchange:funds", args=[conversation.pk]), **XHR).content
    assert b"No exchange account is linked" in html


@pytest.mark.parametrize("who", ["agent_b", "customer_1"])
def test_others_get_404_and_nothing_is_looked_up(request, conversation, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("exchange:funds", args=[conversation.pk]), **XHR).status_code == 404
    response = client.post(reverse("exchange:diagnose", args=[conversation.pk]), {"txid": "x"})
    assert response.status_code == 404
    assert _audit("exchange.account_viewed") == []
    assert _audit("exchange.fund_records_viewed") == []


def test_anonymous_visitors_are_sent_to_sign_in(conversation):
    response = Client().get(reverse("exchange:funds", args=[conversation.pk]))
    assert response.status_code == 302


def test_diagnose_shows_the_finding_and_the_explanation_in_the_customers_language(
    conversation, agent_a
):
    conversation.language = "zh-hans"
    conversation.save(update_fields=["language"])
    row = _record(failure_reason=FailureReason.ADDRESS_NOT_WHITELISTED)
    response = login(agent_a).post(
        reverse("exchange:diagnose", args=[conversation.pk]),
        {"txid": row.txid, "asset": "", "network": "", "amount": ""}
        if row.txid
        else {"asset": row.asset, "network": row.network, "amount": str(row.amount)},
        **XHR,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-finding="withdrawal.address_not_whitelisted"' in html
    text = re.search(r"<textarea[^>]*data-insert-text>(.*?)</textarea>", html, re.S)
    assert text is not None
    assert "白名单" in text.group(1)
    assert "data-insert-reply" in html
    assert "Explanation for the customer (Simplified Chinese)" in html
    reasons = {e.data["reason"] for e in _audit("exchange.fund_records_viewed")}
    assert reasons == {f"conversation {conversation.reference}"}


def test_diagnose_without_javascript_and_with_nothing_matching(conversation, agent_a):
    response = login(agent_a).post(
        reverse("exchange:diagnose", args=[conversation.pk]), {"txid": "0xnotthere"}
    )
    html = response.content.decode()
    assert "<html" in html
    assert "Nothing matches" in html
    assert "roughly when you made it" in html


def test_diagnose_rejects_a_bad_amount(conversation, agent_a):
    response = login(agent_a).post(
        reverse("exchange:diagnose", args=[conversation.pk]), {"amount": "lots"}, **XHR
    )
    assert response.status_code == 400
    assert _audit("exchange.fund_records_viewed") == []


def test_several_matches_ask_which_one(conversation, agent_a):
    response = login(agent_a).post(
        reverse("exchange:diagnose", args=[conversation.pk]), {"asset": "USDT"}, **XHR
    )
    html = response.content.decode()
    assert "Several records match" in html
    assert "Which one do you mean?" in html


def test_the_system_actor_is_used_by_the_assistant(demo_contact):
    result = diagnosis_for(
        contact=demo_contact,
        actor=Actor.system("assistant"),
        query=DiagnosisQuery(asset="XRP", network="XRP", direction=Direction.DEPOSIT),
        reason="assistant conversation KF-000001",
    )
    assert result.outcome in {Outcome.MATCHED, Outcome.SEVERAL}
