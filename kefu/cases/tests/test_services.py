"""Verified cases: submission, the four-eyes state machine, the exchange action, replay and
stale-form protection, notifications, expiry and document retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.cases import documents, services
from kefu.cases.models import (
    CaseDocument,
    CaseEvent,
    CaseKind,
    CasePolicy,
    CaseState,
    VerificationCase,
)
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from kefu.exchange.connector import AccountStatus, ConnectorError
from kefu.exchange.models import DemoAccount

from .conftest import LOCKED, photo

CHECKS = {"check_document_name": True, "check_selfie": True, "check_security_events": True}


def _prepared(case, reviewer, actor_of, notes=""):
    case = services.case_take(case=case, expected_version=case.version, actor=actor_of(reviewer))
    return services.case_prepare(
        case=case,
        expected_version=case.version,
        risk_notes=notes,
        actor=actor_of(reviewer),
        **CHECKS,
    )


def _account():
    return DemoAccount.objects.get(uid=LOCKED.uid)


# --- submission ---------------------------------------------------------------------------


def test_submission_stores_sealed_clean_documents_and_matches_the_account(locked_contact, submit):
    case = submit()
    assert case.state == CaseState.SUBMITTED
    assert case.version == 1
    assert case.contact == locked_contact
    assert case.ref == f"VC-{case.pk:06d}"
    docs = {d.kind: d for d in CaseDocument.objects.filter(case=case)}
    assert set(docs) == {"id_document", "selfie"}
    for doc in docs.values():
        stored = bytes(doc.ciphertext)
        assert b"\xff\xd8\xff" not in stored[:16]  # not a plain JPEG
        assert documents.unseal(stored)[:3] == b"\xff\xd8\xff"
        assert b"SpyCam" not in documents.unseal(stored)
    [entry] = AuditEntry.objects.filter(action="case.submitted")
    assert entry.data == {"kind": "unlock", "matched_contact": locked_contact.pk}
    assert LOCKED.email not in str(entry.data)


def test_phone_matches_in_another_format(locked_contact, submit):
    assert LOCKED.phone == "+86 138 0013 8001"
    case = submit(email="", phone="138-0013-8001")
    assert case.contact == locked_contact


def test_unknown_account_is_accepted_but_unmatched(locked_contact, submit):
    case = submit(email="nobody@example.com")
    assert case.contact is None
    assert case.state == CaseState.SUBMITTED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "delete_everything"}, "kind"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "", "phone": "call me"}, "phone"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"id_document": b"%PDF-1.4 fake"}, "id_document"),
        ({"selfie": photo(exif=False)[:900]}, "selfie"),
    ],
)
def test_bad_submissions_store_nothing(locked_contact, submit, overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        submit(**overrides)
    assert field in exc.value.fields
    assert VerificationCase.objects.count() == 0
    assert CaseDocument.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="case.").exists()


# --- the four-eyes flow ---------------------------------------------------------------------


def test_unlock_needs_two_people_then_unlocks_and_notifies(
    locked_contact,
    submit,
    agent_a,
    senior,
    actor_of,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    case = _prepared(submit(), agent_a, actor_of, notes="Name matches KYC; same device as usual.")
    assert case.state == CaseState.PREPARED
    assert case.reviewer == agent_a
    assert _account().status == AccountStatus.LOCKED
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_approve(
            case=case, expected_version=case.version, actor=actor_of(senior)
        )
    assert case.state == CaseState.COMPLETED
    assert case.approver == senior
    assert case.exchange_ref
    assert _account().status == AccountStatus.ACTIVE
    [action] = AuditEntry.objects.filter(action="exchange.account_unlocked")
    assert action.data["case_ref"] == case.ref
    assert action.data["prepared_by"] == f"agent:{agent_a.pk}"
    assert action.data["approved_by"] == f"agent:{senior.pk}"
    steps = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert steps == ["submitted", "taken", "prepared", "approved", "completed"]
    [email] = mailoutbox
    assert email.to == [LOCKED.email]
    assert case.ref in email.subject
    assert "unlocked" in email.subject
    assert "never ask for your password" in email.body
    case.refresh_from_db()
    assert case.notified_at is not None


def test_two_factor_reset(locked_contact, submit, agent_a, supervisor, actor_of):
    account = _account()
    account.status, account.two_factor_enabled = AccountStatus.ACTIVE, True
    account.save(update_fields=["status", "two_factor_enabled"])
    case = _prepared(submit(kind=CaseKind.RESET_2FA), agent_a, actor_of)
    case = services.case_approve(
        case=case, expected_version=case.version, actor=actor_of(supervisor)
    )
    assert case.state == CaseState.COMPLETED
    assert _account().two_factor_enabled is False
    assert AuditEntry.objects.filter(action="exchange.two_factor_reset").count() == 1


def test_the_preparer_cannot_approve_their_own_case(locked_contact, submit, senior, actor_of):
    case = _prepared(submit(), senior, actor_of)
    with pytest.raises(PermissionDenied, match="second person"):
        services.case_approve(case=case, expected_version=case.version, actor=actor_of(senior))
    case.refresh_from_db()
    assert case.state == CaseState.PREPARED
    assert case.approver is None
    assert _account().status == AccountStatus.LOCKED


@pytest.mark.parametrize("role_fixture", ["agent_b", "admin_user"])
def test_only_seniors_and_supervisors_approve(
    locked_contact, submit, agent_a, actor_of, request, role_fixture
):
    case = _prepared(submit(), agent_a, actor_of)
    other = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied, match="senior agent or a supervisor"):
        services.case_approve(case=case, expected_version=case.version, actor=actor_of(other))
    assert VerificationCase.objects.get(pk=case.pk).state == CaseState.PREPARED


def test_a_replayed_approval_changes_nothing(
    locked_contact, submit, agent_a, senior, supervisor, actor_of
):
    case = _prepared(submit(), agent_a, actor_of)
    seen = case.version
    services.case_approve(case=case, expected_version=seen, actor=actor_of(senior))
    for approver in (senior, supervisor):
        with pytest.raises(Conflict, match="changed since you opened it"):
            services.case_approve(case=case, expected_version=seen, actor=actor_of(approver))
    assert AuditEntry.objects.filter(action="exchange.account_unlocked").count() == 1
    assert AuditEntry.objects.filter(action="case.approved").count() == 1


def test_transitions_outside_the_table_are_refused(
    locked_contact, submit, agent_a, senior, actor_of
):
    case = submit()
    with pytest.raises(InvalidTransition):
        services.case_approve(case=case, expected_version=case.version, actor=actor_of(senior))
    case = _prepared(case, agent_a, actor_of)
    case = services.case_approve(case=case, expected_version=case.version, actor=actor_of(senior))
    with pytest.raises(InvalidTransition):
        services.case_reject(
            case=case, expected_version=case.version, reason="late", actor=actor_of(senior)
        )
    assert VerificationCase.objects.get(pk=case.pk).state == CaseState.COMPLETED


def test_every_check_must_be_confirmed(locked_contact, submit, agent_a, actor_of):
    case = submit()
    case = services.case_take(case=case, expected_version=case.version, actor=actor_of(agent_a))
    with pytest.raises(ValidationFailed) as exc:
        services.case_prepare(
            case=case, expected_version=case.version, risk_notes="", actor=actor_of(agent_a),
            check_document_name=True, check_selfie=False, check_security_events=False,
        )  # fmt: skip
    assert set(exc.value.fields) == {"check_selfie", "check_security_events"}
    assert VerificationCase.objects.get(pk=case.pk).state == CaseState.IN_REVIEW


def test_only_the_reviewer_prepares(locked_contact, submit, agent_a, senior, actor_of):
    case = submit()
    case = services.case_take(case=case, expected_version=case.version, actor=actor_of(agent_a))
    with pytest.raises(PermissionDenied):
        services.case_prepare(
            case=case,
            expected_version=case.version,
            risk_notes="",
            actor=actor_of(senior),
            **CHECKS,
        )


def test_an_unmatched_case_cannot_be_prepared(locked_contact, submit, agent_a, actor_of):
    case = submit(email="nobody@example.com")
    case = services.case_take(case=case, expected_version=case.version, actor=actor_of(agent_a))
    with pytest.raises(ValidationFailed, match="matches no account"):
        services.case_prepare(
            case=case,
            expected_version=case.version,
            risk_notes="",
            actor=actor_of(agent_a),
            **CHECKS,
        )


def test_customers_and_the_system_cannot_review(locked_contact, submit, customer_1, actor_of):
    case = submit()
    for actor in (actor_of(customer_1), Actor.system("x")):
        with pytest.raises(PermissionDenied):
            services.case_take(case=case, expected_version=case.version, actor=actor)


def test_send_back_and_release(locked_contact, submit, agent_a, senior, actor_of):
    case = _prepared(submit(), agent_a, actor_of)
    with pytest.raises(ValidationFailed):
        services.case_send_back(
            case=case, expected_version=case.version, note=" ", actor=actor_of(senior)
        )
    case = services.case_send_back(
        case=case, expected_version=case.version, note="Selfie is blurry", actor=actor_of(senior)
    )
    assert case.state == CaseState.IN_REVIEW
    assert case.reviewer == agent_a
    case = services.case_release(case=case, expected_version=case.version, actor=actor_of(agent_a))
    assert case.state == CaseState.SUBMITTED
    assert case.reviewer is None


def test_exchange_failure_keeps_the_case_approved_for_a_retry(
    locked_contact, submit, agent_a, senior, actor_of, monkeypatch
):
    case = _prepared(submit(), agent_a, actor_of)
    from kefu.exchange.adapters.demo import DemoConnector

    def down(self, *, authorisation):
        raise ConnectorError("The exchange timed out.", retryable=True)

    monkeypatch.setattr(DemoConnector, "unlock_account", down)
    case = services.case_approve(case=case, expected_version=case.version, actor=actor_of(senior))
    assert case.state == CaseState.APPROVED
    assert "timed out" in case.last_error
    assert _account().status == AccountStatus.LOCKED
    assert AuditEntry.objects.filter(action="case.action_failed").count() == 1
    monkeypatch.undo()
    case = services.case_retry_action(
        case=case, expected_version=case.version, actor=actor_of(senior)
    )
    assert case.state == CaseState.COMPLETED
    assert case.last_error == ""
    assert _account().status == AccountStatus.ACTIVE


def test_reject_notifies_the_registered_address_only(
    locked_contact, submit, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    matched, unmatched = submit(email=LOCKED.email.upper()), submit(email="nobody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        for case in (matched, unmatched):
            services.case_reject(
                case=case, expected_version=case.version, reason="The photo is unreadable.",
                actor=actor_of(agent_a),
            )  # fmt: skip
    [email] = mailoutbox
    assert email.to == [LOCKED.email]
    assert "The photo is unreadable." in email.body
    assert VerificationCase.objects.get(pk=unmatched.pk).state == CaseState.REJECTED


def test_document_reads_are_audited(locked_contact, submit, agent_a, customer_1, actor_of):
    case = submit()
    doc = case.documents.get(kind="selfie")
    content = services.case_document_read(document=doc, actor=actor_of(agent_a))
    assert content[:3] == b"\xff\xd8\xff"
    [entry] = AuditEntry.objects.filter(action="case.document_viewed")
    assert entry.data == {"document": "selfie"}
    assert entry.object_id == str(case.pk)
    with pytest.raises(PermissionDenied):
        services.case_document_read(document=doc, actor=actor_of(customer_1))


# --- housekeeping ---------------------------------------------------------------------------


def test_housekeeping_expires_stale_cases_and_purges_documents(
    locked_contact, submit, agent_a, actor_of, monkeypatch
):
    CasePolicy.objects.create(document_retention_days=7, expire_after_days=30)
    stale, decided, fresh = submit(), submit(), submit()
    start = clock.now()
    services.case_reject(
        case=decided, expected_version=decided.version, reason="No.", actor=actor_of(agent_a)
    )
    system = Actor.system("cases-retention")

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=6))
    assert services.cases_housekeep(actor=system) == (0, 0)
    VerificationCase.objects.filter(pk=fresh.pk).update(created_at=start + timedelta(days=5))

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=31))
    expired, purged = services.cases_housekeep(actor=system)
    assert (expired, purged) == (1, 1)
    assert VerificationCase.objects.get(pk=stale.pk).state == CaseState.EXPIRED
    assert VerificationCase.objects.get(pk=fresh.pk).state == CaseState.SUBMITTED
    assert not CaseDocument.objects.filter(case=decided).exists()
    assert CaseDocument.objects.filter(case=stale).count() == 2  # purged 7 days after expiry

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=39))
    assert services.cases_housekeep(actor=system) == (1, 1)
    assert not CaseDocument.objects.filter(case=stale).exists()
    assert VerificationCase.objects.get(pk=decided.pk).documents_purged_at is not None


def test_customer_erasure_removes_case_documents_and_details(
    locked_contact, submit, admin_user, actor_of
):
    from kefu.privacy.services.erasure import customer_erase

    case = submit(description="My name is Wang, passport E1234")
    summary = customer_erase(contact=locked_contact, actor=actor_of(admin_user))
    assert summary["verification_cases"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.EXPIRED
    assert (case.claimed_email, case.description, case.submitted_ip) == ("", "", None)
    assert not CaseDocument.objects.filter(case=case).exists()
    assert services.cases_erase_for_contact(contact=locked_contact, actor=actor_of(admin_user)) == 0
