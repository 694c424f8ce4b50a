"""The diagnosis policy: the service levels diagnoses quote to customers and check records
against, kept in the database, edited by admins (service and management page), audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.exchange import selectors, service_levels, services
from kefu.exchange.connector import FundStatus
from kefu.exchange.demo_data import MAIN_EMAIL, seed_demo_ledger
from kefu.exchange.diagnosis import DiagnosisQuery, Severity, diagnose, diagnosis_for
from kefu.exchange.models import DemoFundRecord, DiagnosisPolicy
from kefu.exchange.service_levels import ServiceLevels
from kefu.exchange.tests.test_diagnosis import BY_TXID, NOW, account, record
from kefu.testing import factories

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
URL = "backoffice:diagnosis_policy:edit"
AUDIT = "exchange.diagnosis_policy_updated"
VALUES = {
    "review_hours": 48,
    "processing_minutes": 45,
    "whitelist_lock_hours": 12,
    "recovery_days": 10,
}


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def save(actor: Actor, **changes: object):
    values = {**VALUES, **changes}
    return services.diagnosis_policy_save(**values, actor=actor)  # type: ignore[arg-type]


@pytest.fixture
def demo_contact(db):
    contact = factories.ContactFactory(email=MAIN_EMAIL, uid="31000000", name="Alex Morgan")
    seed_demo_ledger([contact])
    return contact


def _in_review() -> DemoFundRecord:
    return DemoFundRecord.objects.get(
        account__uid="31000000", status=FundStatus.PENDING_REVIEW, failure_reason=""
    )


def _diagnose_in_review(contact, actor):
    row = _in_review()
    query = DiagnosisQuery(asset=row.asset, network=row.network, amount=row.amount)
    return diagnosis_for(contact=contact, actor=actor, query=query, reason="test")


# --- the pure diagnosis with given levels ---------------------------------------------------


def test_the_levels_given_to_diagnose_reach_the_customer_wording():
    levels = ServiceLevels(
        review_hours=36, processing_minutes=50, whitelist_lock_hours=6, recovery_days=14
    )

    def message(rec) -> tuple[str, str]:
        result = diagnose(
            records=[rec], account=account(), chain={}, incidents=[], query=BY_TXID, now=NOW,
            levels=levels,
        )  # fmt: skip
        return result.customer_message("en"), result.customer_message("zh-hans")

    en, zh = message(record(status=FundStatus.PENDING_REVIEW))
    assert "within 36 hours" in en
    assert "36 小时内" in zh
    en, zh = message(record(status=FundStatus.PROCESSING))
    assert "within 50 minutes" in en
    assert "50 分钟内" in zh


def test_a_withdrawal_in_review_longer_than_the_policy_is_flagged_to_the_agent():
    rec = record(status=FundStatus.PENDING_REVIEW, created_at=NOW - timedelta(hours=30))

    def run(levels: ServiceLevels):
        return diagnose(
            records=[rec], account=account(), chain={}, incidents=[], query=BY_TXID, now=NOW,
            levels=levels,
        )  # fmt: skip

    late = run(ServiceLevels(review_hours=24))
    (finding,) = late.findings
    assert (finding.code, finding.severity) == ("withdrawal.pending_review_overdue", Severity.ALERT)
    assert late.alerts == [
        "Pending review too long: waiting 30 hours, longer than the 24 hours customers are "
        "told. Ask the review team to look at it."
    ]
    assert "taking longer than usual" in late.customer_message("en")
    assert "within 24 hours; we have asked the review team" in late.customer_message("en")
    assert "Pending review" not in late.customer_message("en")

    in_time = run(ServiceLevels(review_hours=48))
    assert in_time.findings[0].code == "withdrawal.pending_review"
    assert in_time.alerts == []
    assert "within 48 hours" in in_time.customer_message("en")


# --- the selector ---------------------------------------------------------------------------


def test_without_a_saved_policy_the_defaults_apply(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.diagnosis_policy_get() == service_levels.DEFAULT
    with django_assert_num_queries(0):  # cached
        assert selectors.diagnosis_policy_get() == service_levels.DEFAULT
    assert ServiceLevels(24, 30, 24, 7) == service_levels.DEFAULT


def test_a_save_replaces_the_cached_policy(db, system_actor, django_capture_on_commit_callbacks):
    assert selectors.diagnosis_policy_get().review_hours == 24  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        save(system_actor)
    assert selectors.diagnosis_policy_get() == ServiceLevels(**VALUES)


# --- the service ----------------------------------------------------------------------------


def test_an_admin_saves_the_policy_and_it_is_audited(admin_user, actor_of):
    policy = save(actor_of(admin_user))
    row = DiagnosisPolicy.objects.get()
    assert row.pk == selectors.POLICY_PK == policy.pk
    assert row.levels() == ServiceLevels(**VALUES)
    [entry] = AuditEntry.objects.filter(action=AUDIT)
    assert entry.actor_ref == f"agent:{admin_user.pk}"
    assert entry.object_type == "diagnosis_policy"
    assert entry.data == {
        "review_hours": [24, 48],
        "processing_minutes": [30, 45],
        "whitelist_lock_hours": [24, 12],
        "recovery_days": [7, 10],
    }


def test_saving_the_same_values_again_writes_no_audit_row(admin_user, actor_of):
    save(actor_of(admin_user))
    save(actor_of(admin_user))
    save(actor_of(admin_user), recovery_days=9)
    entries = list(AuditEntry.objects.filter(action=AUDIT).order_by("seq"))
    assert len(entries) == 2
    assert entries[1].data == {"recovery_days": [10, 9]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("review_hours", 0),
        ("review_hours", 721),
        ("processing_minutes", -5),
        ("processing_minutes", 1441),
        ("whitelist_lock_hours", 0),
        ("recovery_days", 91),
        ("recovery_days", True),
        ("review_hours", "24"),
        ("review_hours", 2.5),
    ],
)
def test_out_of_range_values_are_refused_and_nothing_is_saved(admin_user, actor_of, field, value):
    with pytest.raises(ValidationFailed) as error:
        save(actor_of(admin_user), **{field: value})
    assert list(error.value.fields) == [field]
    assert not DiagnosisPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action=AUDIT).exists()


@pytest.mark.parametrize("who", ["agent_a", "supervisor", "customer_1"])
def test_only_admins_may_change_the_policy(request, actor_of, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        save(actor_of(user))
    with pytest.raises(PermissionDenied):
        save(Actor(kind=ActorKind.ASSISTANT))
    assert not DiagnosisPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action=AUDIT).exists()


# --- the diagnosis service reads the policy -------------------------------------------------


def test_changing_the_policy_changes_the_diagnosis(
    demo_contact, system_actor, admin_user, actor_of, django_capture_on_commit_callbacks
):
    before = _diagnose_in_review(demo_contact, system_actor)
    assert before.findings[0].code == "withdrawal.pending_review"
    assert "within 24 hours" in before.customer_message("en")
    assert "24 小时内" in before.customer_message("zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        save(actor_of(admin_user), review_hours=36)
    after = _diagnose_in_review(demo_contact, system_actor)
    assert "within 36 hours" in after.customer_message("en")
    assert "36 小时内" in after.customer_message("zh-hans")
    assert "24 hours" not in after.customer_message("en")


def test_a_stale_review_is_flagged_by_the_policy_in_force(
    demo_contact, system_actor, admin_user, actor_of, django_capture_on_commit_callbacks
):
    DemoFundRecord.objects.filter(pk=_in_review().pk).update(
        created_at=clock.now() - timedelta(hours=30)
    )
    late = _diagnose_in_review(demo_contact, system_actor)
    assert late.findings[0].code == "withdrawal.pending_review_overdue"
    assert "Pending review too long" in late.alerts[0]

    with django_capture_on_commit_callbacks(execute=True):
        save(actor_of(admin_user), review_hours=48)
    in_time = _diagnose_in_review(demo_contact, system_actor)
    assert in_time.findings[0].code == "withdrawal.pending_review"
    assert in_time.alerts == []


def test_the_funds_panel_shows_the_stale_review_alert(demo_contact, team_a, agent_a):
    conversation = factories.ConversationFactory(contact=demo_contact, team=team_a)
    row = _in_review()
    DemoFundRecord.objects.filter(pk=row.pk).update(created_at=clock.now() - timedelta(hours=30))
    response = login(agent_a).post(
        reverse("exchange:diagnose", args=[conversation.pk]),
        {"asset": row.asset, "network": row.network, "amount": str(row.amount)},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="ws-alert" role="alert">Pending review too long: waiting 30 hours' in body


# --- the management page --------------------------------------------------------------------


def test_the_admin_page_shows_and_saves_the_policy(admin_user, django_capture_on_commit_callbacks):
    client = login(admin_user)
    page = client.get(reverse(URL))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="review_hours"' in body
    assert 'value="24"' in body
    assert reverse(URL) in body  # the section nav links to it

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(URL), {k: str(v) for k, v in VALUES.items()})
    assert response.status_code == 302
    assert response["Location"] == reverse(URL)
    assert DiagnosisPolicy.objects.get().levels() == ServiceLevels(**VALUES)
    assert AuditEntry.objects.filter(action=AUDIT).count() == 1
    assert selectors.diagnosis_policy_get().review_hours == 48
    assert 'value="48"' in client.get(reverse(URL)).content.decode()


def test_the_admin_page_refuses_invalid_values(admin_user):
    response = login(admin_user).post(
        reverse(URL), {**{k: str(v) for k, v in VALUES.items()}, "review_hours": "0"}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not DiagnosisPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action=AUDIT).exists()


@pytest.mark.parametrize("who", ["agent_a", "supervisor", "customer_1"])
def test_non_admins_cannot_open_or_post_the_page(request, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse(URL)).status_code == 404
    response = client.post(reverse(URL), {k: str(v) for k, v in VALUES.items()})
    assert response.status_code == 404
    assert not DiagnosisPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action=AUDIT).exists()


def test_the_page_is_translated(admin_user):
    client = login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse(URL), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "诊断策略" in body
    assert "审核时间（小时）" in body
