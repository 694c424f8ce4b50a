"""Writes for verified cases. Each function checks who may act and the state machine, takes
the case's row lock, compares the version the actor saw (so a replayed or stale form changes
nothing), moves the state, and writes an audit row and a case event in the same transaction.

Approval is four-eyes: the approver must be a senior agent (L2) or a supervisor, and not the
person who prepared the case. The exchange is called after the approval has committed; if the
call fails the case stays approved with the error shown, and can be retried (the exchange is
idempotent per case reference) or rejected.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.audit.services import audit_record
from kefu.cases import documents, selectors
from kefu.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    TRANSITIONS,
    CaseDocument,
    CaseEvent,
    CaseKind,
    CaseState,
    DocumentKind,
    VerificationCase,
)
from kefu.contacts.models import Contact
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import clean_text, field_error
from kefu.exchange.connector import CaseAuthorisation, ConnectorError
from kefu.exchange.connector import CaseKind as ExchangeCaseKind
from kefu.exchange.services import account_action

DESCRIPTION_MAX = 2000
NOTE_MAX = 1000
APPROVER_ROLES = (Role.AGENT_L2, Role.SUPERVISOR)
EXCHANGE_KIND = {
    CaseKind.UNLOCK: ExchangeCaseKind.UNLOCK,
    CaseKind.RESET_2FA: ExchangeCaseKind.RESET_2FA,
}
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,24}$")


def _staff(actor: Actor) -> User:
    user = None
    if actor.kind == ActorKind.AGENT and actor.user_id is not None:
        user = User.objects.filter(pk=actor.user_id).first()
    if user is None or not user.is_agent:
        raise PermissionDenied(_("Only support staff may work on verified cases."))
    return user


def can_approve(user: User) -> bool:
    return user.is_agent and user.role in APPROVER_ROLES


def _phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _match_contact(email: str, phone: str) -> Contact | None:
    if email:
        contact = Contact.objects.filter(email__iexact=email).first()
        if contact is not None:
            return contact
    if phone:
        wanted = _phone_digits(phone)
        # Stored numbers keep their spacing: narrow by the last four digits, compare digits.
        for contact in Contact.objects.filter(phone__contains=wanted[-4:])[:500]:
            if _phone_digits(contact.phone) == wanted:
                return contact
    return None


# --- submission (anyone, without signing in) -----------------------------------------------


def case_submit(
    *,
    kind: str,
    email: str,
    phone: str,
    description: str,
    id_document: bytes,
    selfie: bytes,
    language: str,
    ip: str | None,
    actor: Actor,
) -> VerificationCase:
    """Open a verified case from the public form (audited). Every field is checked before
    anything is stored; both images are cleaned (see ``kefu.cases.documents``) and sealed.

    Whether the email or phone belongs to an account is not revealed: the case is accepted
    either way, and a reviewer rejects a case that matches no account."""
    if kind not in CaseKind.values:
        raise field_error("kind", _("Choose what you need: unlock the account or reset 2FA."))
    email = (email or "").strip().lower()
    phone = (phone or "").strip()
    if not email and not phone:
        raise field_error("email", _("Enter the email address or phone number of your account."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise field_error("email", _("Enter a valid email address.")) from None
    if phone and not PHONE_RE.match(phone):
        raise field_error(
            "phone", _("Enter a phone number with its country code, e.g. +86 138 0000 0000.")
        )
    text = clean_text("description", description, limit=DESCRIPTION_MAX, required=True)
    id_image = documents.clean_image(id_document, field="id_document")
    selfie_image = documents.clean_image(selfie, field="selfie")
    now = clock.now()
    contact = _match_contact(email, phone)
    with transaction.atomic():
        case = VerificationCase.objects.create(
            kind=kind,
            claimed_email=email,
            claimed_phone=phone,
            description=text,
            language=language if language in ("en", "zh-hans") else "en",
            contact=contact,
            submitted_ip=ip or None,
            created_at=now,
            updated_at=now,
        )
        for doc_kind, image in (
            (DocumentKind.ID_DOCUMENT, id_image),
            (DocumentKind.SELFIE, selfie_image),
        ):
            CaseDocument.objects.create(
                case=case,
                kind=doc_kind,
                content_type=image.content_type,
                size=len(image.content),
                width=image.width,
                height=image.height,
                sha256=image.sha256,
                ciphertext=documents.seal(image.content),
                created_at=now,
            )
        _event(case, actor=actor, action="submitted", to_state=CaseState.SUBMITTED, note="")
        audit_record(
            actor=actor,
            action="case.submitted",
            object_type="verification_case",
            object_id=case.pk,
            data={"kind": kind, "matched_contact": contact.pk if contact else None},
        )
    return case


# --- the state machine ----------------------------------------------------------------------


def _event(
    case: VerificationCase,
    *,
    actor: Actor,
    action: str,
    to_state: str = "",
    from_state: str = "",
    note: str = "",
) -> None:
    CaseEvent.objects.create(
        case=case,
        at=clock.now(),
        actor_ref=actor.ref,
        user_id=actor.user_id if actor.kind == ActorKind.AGENT else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )


def _locked(case: VerificationCase, expected_version: int) -> VerificationCase:
    """The case's row, locked; Conflict when someone changed it since the actor looked."""
    fresh = VerificationCase.objects.select_for_update().get(pk=case.pk)
    if fresh.version != expected_version:
        raise Conflict(
            _(
                "This case changed since you opened it (%(state)s). Reload the page and check "
                "it again."
            )
            % {"state": fresh.get_state_display()}
        )
    return fresh


def _move(
    case: VerificationCase,
    to_state: str,
    *,
    actor: Actor,
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> VerificationCase:
    """Apply one transition to a locked case (caller holds the transaction)."""
    from_state = case.state
    if to_state not in TRANSITIONS[from_state]:
        raise InvalidTransition(
            _("A case that is “%(state)s” cannot be changed that way.")
            % {"state": case.get_state_display()}
        )
    now = clock.now()
    for name, value in changes.items():
        setattr(case, name, value)
    case.state = to_state
    case.version += 1
    case.updated_at = now
    if to_state in CLOSED_STATES:
        case.closed_at = now
    case.save()
    _event(case, actor=actor, action=action, from_state=from_state, to_state=to_state, note=note)
    audit_record(
        actor=actor,
        action=f"case.{action}",
        object_type="verification_case",
        object_id=case.pk,
        data={"from": from_state, "to": to_state, "version": case.version, **(data or {})},
    )
    return case


def case_take(*, case: VerificationCase, expected_version: int, actor: Actor) -> VerificationCase:
    """A reviewer takes a submitted case (submitted → in review)."""
    user = _staff(actor)
    with transaction.atomic():
        locked = _locked(case, expected_version)
        return _move(locked, CaseState.IN_REVIEW, actor=actor, action="taken", reviewer=user)


def _require_reviewer(case: VerificationCase, user: User) -> None:
    if case.reviewer_id != user.pk:
        raise PermissionDenied(_("Only the reviewer who took this case can do that."))


def case_release(
    *, case: VerificationCase, expected_version: int, actor: Actor
) -> VerificationCase:
    """The reviewer gives the case back to the queue (in review → submitted)."""
    user = _staff(actor)
    with transaction.atomic():
        locked = _locked(case, expected_version)
        if locked.state == CaseState.IN_REVIEW:
            _require_reviewer(locked, user)
        return _move(locked, CaseState.SUBMITTED, actor=actor, action="released", reviewer=None)


def case_prepare(
    *,
    case: VerificationCase,
    expected_version: int,
    check_document_name: bool,
    check_selfie: bool,
    check_security_events: bool,
    risk_notes: str,
    actor: Actor,
) -> VerificationCase:
    """The reviewer records the checklist and asks for approval (in review → prepared). Every
    check must be ticked; a case that fails a check is rejected instead."""
    user = _staff(actor)
    notes = clean_text("risk_notes", risk_notes, limit=DESCRIPTION_MAX, required=False)
    missing = {
        name: [_("Confirm this check, or reject the case.")]
        for name, ticked in (
            ("check_document_name", check_document_name),
            ("check_selfie", check_selfie),
            ("check_security_events", check_security_events),
        )
        if not ticked
    }
    if missing:
        raise ValidationFailed(_("Every check must be confirmed before approval."), fields=missing)
    with transaction.atomic():
        locked = _locked(case, expected_version)
        if locked.state == CaseState.IN_REVIEW:
            _require_reviewer(locked, user)
        if locked.contact_id is None:
            raise ValidationFailed(_("The case matches no account: reject it."))
        return _move(
            locked,
            CaseState.PREPARED,
            actor=actor,
            action="prepared",
            note=notes,
            check_document_name=True,
            check_selfie=True,
            check_security_events=True,
            risk_notes=notes,
            prepared_at=clock.now(),
        )


def case_send_back(
    *, case: VerificationCase, expected_version: int, note: str, actor: Actor
) -> VerificationCase:
    """An approver returns a prepared case to its reviewer with a note (prepared → in review)."""
    user = _staff(actor)
    text = clean_text("note", note, limit=NOTE_MAX, required=True)
    if not can_approve(user):
        raise PermissionDenied(_("Only a senior agent or a supervisor can approve cases."))
    with transaction.atomic():
        locked = _locked(case, expected_version)
        return _move(locked, CaseState.IN_REVIEW, actor=actor, action="sent_back", note=text)


def case_approve(
    *, case: VerificationCase, expected_version: int, actor: Actor
) -> VerificationCase:
    """The second person approves (prepared → approved), then the exchange is asked to act.

    The approver must be a senior agent or supervisor and must not be the reviewer who
    prepared the case. Returns the case: completed, or approved with ``last_error`` set."""
    user = _staff(actor)
    if not can_approve(user):
        raise PermissionDenied(_("Only a senior agent or a supervisor can approve cases."))
    with transaction.atomic():
        locked = _locked(case, expected_version)
        if locked.state == CaseState.PREPARED and locked.reviewer_id == user.pk:
            raise PermissionDenied(_("You prepared this case; a second person must approve it."))
        approved = _move(
            locked,
            CaseState.APPROVED,
            actor=actor,
            action="approved",
            approver=user,
            approved_at=clock.now(),
        )
    return _execute(approved, actor=actor)


def case_retry_action(
    *, case: VerificationCase, expected_version: int, actor: Actor
) -> VerificationCase:
    """Ask the exchange again after a failed call (only while approved)."""
    user = _staff(actor)
    if not can_approve(user):
        raise PermissionDenied(_("Only a senior agent or a supervisor can approve cases."))
    with transaction.atomic():
        locked = _locked(case, expected_version)
        if locked.state != CaseState.APPROVED:
            raise InvalidTransition(
                _("Only an approved case waiting for the exchange can be retried.")
            )
        locked.version += 1
        locked.save(update_fields=["version"])
    return _execute(locked, actor=actor)


def _execute(case: VerificationCase, *, actor: Actor) -> VerificationCase:
    """Call the exchange for an approved case, then record the outcome."""
    contact = case.contact
    uid = (contact.uid if contact else "") or ""
    assert case.reviewer_id is not None
    assert case.approver_id is not None
    error = ""
    try:
        if not uid:
            raise ConnectorError(_("This customer has no exchange account id."), retryable=False)
        result = account_action(
            authorisation=CaseAuthorisation(
                case_ref=case.ref,
                kind=EXCHANGE_KIND[CaseKind(case.kind)],
                uid=uid,
                prepared_by=f"agent:{case.reviewer_id}",
                approved_by=f"agent:{case.approver_id}",
                approved_at=case.approved_at or clock.now(),
            ),
            actor=actor,
        )
    except ConnectorError as exc:
        error = str(exc)[:500] or exc.__class__.__name__
    with transaction.atomic():
        locked = VerificationCase.objects.select_for_update().get(pk=case.pk)
        if locked.state != CaseState.APPROVED:
            return locked  # someone else finished it meanwhile
        if error:
            locked.last_error = error
            locked.version += 1
            locked.updated_at = clock.now()
            locked.save(update_fields=["last_error", "version", "updated_at"])
            _event(locked, actor=actor, action="action_failed", note=error)
            audit_record(
                actor=actor,
                action="case.action_failed",
                object_type="verification_case",
                object_id=locked.pk,
                data={"error": error},
            )
            return locked
        completed = _move(
            locked,
            CaseState.COMPLETED,
            actor=actor,
            action="completed",
            data={"exchange_ref": result.exchange_ref, "status": str(result.status)},
            exchange_ref=result.exchange_ref,
            last_error="",
        )
        _notify(completed)
        return completed


def case_reject(
    *, case: VerificationCase, expected_version: int, reason: str, actor: Actor
) -> VerificationCase:
    """Close the case without acting; the reason is sent to the customer's registered email."""
    _staff(actor)
    text = clean_text("reason", reason, limit=NOTE_MAX, required=True)
    with transaction.atomic():
        locked = _locked(case, expected_version)
        rejected = _move(
            locked,
            CaseState.REJECTED,
            actor=actor,
            action="rejected",
            note=text,
            closed_reason=text,
        )
        _notify(rejected)
        return rejected


def _notify(case: VerificationCase) -> None:
    if case.contact_id is not None:
        from kefu.cases.tasks import notify_case_decision

        enqueue_on_commit(notify_case_decision, case_id=case.pk)


# --- sensitive reads and housekeeping ------------------------------------------------------


def case_document_read(*, document: CaseDocument, actor: Actor) -> bytes:
    """Decrypt one identity document for a reviewer (audited: who looked at whose document)."""
    _staff(actor)
    content = documents.unseal(bytes(document.ciphertext))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="case.document_viewed",
            object_type="verification_case",
            object_id=document.case_id,
            data={"document": document.kind},
        )
    return content


def cases_housekeep(*, actor: Actor, limit: int = 200) -> tuple[int, int]:
    """Expire open cases nobody decided in time, and delete the identity documents of cases
    closed longer ago than the retention period. Returns (expired, purged); bounded per run."""
    policy = selectors.case_policy()
    now = clock.now()
    expired = 0
    stale = VerificationCase.objects.filter(
        state__in=[s for s in OPEN_STATES if s != CaseState.APPROVED],
        created_at__lt=now - timedelta(days=policy.expire_after_days),
    ).values_list("pk", "version")[:limit]
    for pk, version in stale:
        try:
            with transaction.atomic():
                locked = _locked(VerificationCase(pk=pk), version)
                _move(locked, CaseState.EXPIRED, actor=actor, action="expired")
                expired += 1
        except (Conflict, InvalidTransition):
            continue  # changed meanwhile: the next run looks again
    purged = 0
    due = VerificationCase.objects.filter(
        state__in=CLOSED_STATES,
        documents_purged_at__isnull=True,
        closed_at__lte=now - timedelta(days=policy.document_retention_days),
    ).values_list("pk", flat=True)[:limit]
    for pk in due:
        with transaction.atomic():
            deleted, _detail = CaseDocument.objects.filter(case_id=pk).delete()
            VerificationCase.objects.filter(pk=pk).update(documents_purged_at=now)
            case = VerificationCase(pk=pk)
            _event(case, actor=actor, action="documents_purged")
            audit_record(
                actor=actor,
                action="case.documents_purged",
                object_type="verification_case",
                object_id=pk,
                data={"documents": deleted},
            )
        purged += 1
    return expired, purged


def cases_erase_for_contact(*, contact: Contact, actor: Actor) -> int:
    """Remove the personal data of every verified case of ``contact`` (for the privacy app's
    customer erasure; the caller checks it is an administrator or the system): documents are
    deleted, what the customer typed is blanked, undecided cases are closed as expired. Returns
    how many cases changed; running it again changes nothing further."""
    now = clock.now()
    changed = 0
    with transaction.atomic():
        for case in VerificationCase.objects.select_for_update().filter(contact=contact):
            deleted, _detail = CaseDocument.objects.filter(case=case).delete()
            fields = {
                "claimed_email": "", "claimed_phone": "", "description": "", "risk_notes": "",
                "closed_reason": "", "submitted_ip": None,
            }  # fmt: skip
            dirty = bool(deleted) or any(getattr(case, k) != v for k, v in fields.items())
            if case.state in (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.PREPARED):
                case.state, case.closed_at, case.version = CaseState.EXPIRED, now, case.version + 1
                dirty = True
            if not dirty:
                continue
            for name, value in fields.items():
                setattr(case, name, value)
            case.documents_purged_at = case.documents_purged_at or now
            case.updated_at = now
            case.save()
            _event(case, actor=actor, action="erased")
            changed += 1
        if changed:
            audit_record(
                actor=actor,
                action="case.erased",
                object_type="contact",
                object_id=contact.pk,
                data={"cases": changed},
            )
    return changed
