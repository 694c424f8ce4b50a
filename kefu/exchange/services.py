"""Audited access to the exchange: every lookup of a customer's exchange data and every action
goes through here, and each writes an audit row (who, what, when, why).

Reads are for staff (and the assistant or the system working for them); customers never call
these. Audit data names the account, the reason, the filters and how many rows came back, never
amounts or addresses. A lookup that fails (no account, the exchange unreachable) is audited too,
with its outcome, and the error is raised to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_changes, audit_record
from kefu.contacts.models import Contact
from kefu.conversations.models import Category, Channel, Conversation, Priority, Status
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.exchange import selectors, service_levels
from kefu.exchange.connector import (
    AccountNotFound,
    AccountProfile,
    AccountStatus,
    ActionResult,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    FundRecord,
    SecurityEvent,
)
from kefu.exchange.models import DiagnosisPolicy
from kefu.exchange.registry import get_connector

REASON_MAX_LENGTH = 200
MAX_LIMIT = 500
ACTION_AUDIT = {
    CaseKind.FREEZE: "exchange.account_frozen",
    CaseKind.UNLOCK: "exchange.account_unlocked",
    CaseKind.RESET_2FA: "exchange.two_factor_reset",
}
T = TypeVar("T")


def _require_staff(actor: Actor) -> None:
    if actor.kind in (ActorKind.ASSISTANT, ActorKind.SYSTEM):
        return
    if actor.kind == ActorKind.AGENT and actor.user_id is not None:
        user = User.objects.filter(pk=actor.user_id).first()
        if user is not None and user.is_agent:
            return
    raise PermissionDenied(_("Only staff may look up a customer's exchange account."))


def _clean_reason(reason: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise ValidationFailed(
            _("Say why you are looking at this account."),
            fields={"reason": [_("This field is required.")]},
        )
    if len(cleaned) > REASON_MAX_LENGTH:
        message = _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX_LENGTH}
        raise ValidationFailed(message, fields={"reason": [message]})
    return cleaned


def _clean_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        message = _("The limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}
        raise ValidationFailed(message, fields={"limit": [message]})
    return limit


def _audited(
    *,
    action: str,
    contact: Contact,
    actor: Actor,
    reason: str,
    filters: dict[str, Any],
    call: Callable[[str], T],
    count: Callable[[T], int],
) -> T:
    """Check, call the connector for the contact's uid, and audit the outcome either way."""
    _require_staff(actor)
    cleaned = _clean_reason(reason)
    uid = (contact.uid or "").strip()
    data: dict[str, Any] = {"uid": uid, "contact_id": contact.pk, "reason": cleaned}
    if filters:
        data["filters"] = filters
    try:
        if not uid:
            raise AccountNotFound("This customer has no exchange account id (uid).")
        result = call(uid)
    except ConnectorError as exc:
        data["outcome"] = "not_found" if isinstance(exc, AccountNotFound) else "error"
        data["retryable"] = exc.retryable
        with transaction.atomic():
            audit_record(
                actor=actor, action=action, object_type="exchange_account",
                object_id=uid or f"contact:{contact.pk}", data=data,
            )  # fmt: skip
        raise
    data["outcome"] = "ok"
    data["count"] = count(result)
    with transaction.atomic():
        audit_record(
            actor=actor, action=action, object_type="exchange_account", object_id=uid, data=data
        )
    return result


def account_lookup(*, contact: Contact, actor: Actor, reason: str) -> AccountProfile:
    """Fetch the contact's exchange account profile and status (audited).

    Staff, assistant or system only (PermissionDenied); ``reason`` required (ValidationFailed);
    AccountNotFound when the contact has no uid or the exchange does not know it; ConnectorError
    when the exchange cannot answer.
    """
    return _audited(
        action="exchange.account_viewed",
        contact=contact,
        actor=actor,
        reason=reason,
        filters={},
        call=lambda uid: get_connector().account(uid=uid),
        count=lambda _profile: 1,
    )


def fund_records_lookup(
    *,
    contact: Contact,
    actor: Actor,
    reason: str,
    direction: Direction | str | None = None,
    asset: str | None = None,
    network: str | None = None,
    txid: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[FundRecord]:
    """List the contact's deposits and withdrawals matching every filter, newest first (audited).

    Same checks and errors as ``account_lookup``; ``limit`` from 1 to 500.
    """
    limit = _clean_limit(limit)
    if direction is not None and direction != "":
        try:
            direction = Direction(direction)
        except ValueError:
            message = _("Choose deposits or withdrawals.")
            raise ValidationFailed(message, fields={"direction": [message]}) from None
    else:
        direction = None
    asset = (asset or "").strip().upper() or None
    network = (network or "").strip().upper() or None
    txid = (txid or "").strip() or None
    filters: dict[str, Any] = {
        key: value
        for key, value in {
            "direction": str(direction) if direction else None,
            "asset": asset,
            "network": network,
            "txid": txid,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }.items()
        if value
    }
    filters["limit"] = limit
    return _audited(
        action="exchange.fund_records_viewed",
        contact=contact,
        actor=actor,
        reason=reason,
        filters=filters,
        call=lambda uid: get_connector().fund_records(
            uid=uid,
            direction=direction,
            asset=asset,
            network=network,
            txid=txid,
            since=since,
            until=until,
            limit=limit,
        ),
        count=len,
    )


def security_events_lookup(
    *, contact: Contact, actor: Actor, reason: str, limit: int = 50
) -> list[SecurityEvent]:
    """List the contact's recent security events, newest first (audited).

    Same checks and errors as ``account_lookup``; ``limit`` from 1 to 500.
    """
    limit = _clean_limit(limit)
    return _audited(
        action="exchange.security_events_viewed",
        contact=contact,
        actor=actor,
        reason=reason,
        filters={"limit": limit},
        call=lambda uid: get_connector().security_events(uid=uid, limit=limit),
        count=len,
    )


def _require_action_allowed(authorisation: CaseAuthorisation, actor: Actor) -> None:
    if actor.kind == ActorKind.SYSTEM:
        return
    if actor.kind == ActorKind.AGENT and actor.user_id is not None:
        user = User.objects.filter(pk=actor.user_id).first()
        if user is not None and user.is_agent:
            return
    if (
        actor.kind == ActorKind.CUSTOMER
        and authorisation.kind == CaseKind.FREEZE
        and authorisation.prepared_by == "customer"
        and actor.contact_id is not None
        and Contact.objects.filter(pk=actor.contact_id, uid=authorisation.uid).exists()
    ):
        return  # a customer's own emergency freeze
    raise PermissionDenied(_("You may not take this action on the exchange account."))


def account_action(*, authorisation: CaseAuthorisation, actor: Actor) -> ActionResult:
    """Carry out the action a verified case authorises (freeze, unlock, reset 2FA) (audited).

    Staff or system; a customer only for the emergency freeze of their own account. Unlock and
    2FA reset need two different people (prepared_by != approved_by): ValidationFailed otherwise.
    The exchange makes each action idempotent per ``case_ref``, so a retry after a timeout is
    safe. Connector errors are audited (``exchange.action_failed``) and raised.
    """
    _require_action_allowed(authorisation, actor)
    if not authorisation.case_ref.strip() or not authorisation.uid.strip():
        raise ValidationFailed(_("The case reference and account are required."))
    if authorisation.kind != CaseKind.FREEZE and (
        not authorisation.approved_by or authorisation.prepared_by == authorisation.approved_by
    ):
        raise ValidationFailed(_("Unlock and 2FA reset must be approved by a second person."))
    connector = get_connector()
    act = {
        CaseKind.FREEZE: connector.freeze_account,
        CaseKind.UNLOCK: connector.unlock_account,
        CaseKind.RESET_2FA: connector.reset_two_factor,
    }[authorisation.kind]
    data: dict[str, Any] = {
        "uid": authorisation.uid,
        "case_ref": authorisation.case_ref,
        "kind": str(authorisation.kind),
        "prepared_by": authorisation.prepared_by,
        "approved_by": authorisation.approved_by,
    }
    try:
        result = act(authorisation=authorisation)
    except ConnectorError as exc:
        data.update(error=str(exc), retryable=exc.retryable)
        with transaction.atomic():
            audit_record(
                actor=actor, action="exchange.action_failed", object_type="exchange_account",
                object_id=authorisation.uid, data=data,
            )  # fmt: skip
        raise
    data.update(status=str(result.status), exchange_ref=result.exchange_ref)
    with transaction.atomic():
        audit_record(
            actor=actor, action=ACTION_AUDIT[authorisation.kind], object_type="exchange_account",
            object_id=authorisation.uid, data=data,
        )  # fmt: skip
    return result


FREEZE_NOTE_MAX_LENGTH = 500
FREEZE_CONVERSATION_REUSE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EmergencyFreeze:
    """The outcome of an emergency freeze: the exchange's answer and the security conversation."""

    result: ActionResult
    conversation: Conversation
    already_frozen: bool


def _freeze_requested_by(*, contact: Contact, actor: Actor, note: str) -> tuple[str, str]:
    """Check who may ask; return (prepared_by, cleaned note)."""
    note = " ".join((note or "").split())
    if actor.kind == ActorKind.CUSTOMER:
        if actor.contact_id is None or actor.contact_id != contact.pk:
            raise PermissionDenied(_("You may only freeze your own account."))
        return "customer", note[:FREEZE_NOTE_MAX_LENGTH]
    user = None
    if actor.kind == ActorKind.AGENT and actor.user_id is not None:
        user = User.objects.filter(pk=actor.user_id).first()
    if user is None or not user.is_agent:
        raise PermissionDenied(_("You may not take this action on the exchange account."))
    if not note:
        message = _("Say how you verified that the customer asked for the freeze.")
        raise ValidationFailed(message, fields={"note": [message]})
    if len(note) > FREEZE_NOTE_MAX_LENGTH:
        message = _("Keep the note under %(max)d characters.") % {"max": FREEZE_NOTE_MAX_LENGTH}
        raise ValidationFailed(message, fields={"note": [message]})
    return f"agent:{user.pk}", note


def _security_conversation(
    *, contact: Contact, actor: Actor, case_ref: str, already_frozen: bool
) -> Conversation:
    """Reuse an open security conversation opened in the last hour, or open an urgent one."""
    from kefu.conversations import services as conversation_services

    recent = (
        Conversation.objects.filter(
            contact=contact,
            category=Category.SECURITY,
            created_at__gte=clock.now() - FREEZE_CONVERSATION_REUSE,
        )
        .exclude(status__in=[Status.SOLVED, Status.CLOSED])
        .order_by("-created_at", "-id")
        .first()
    )
    if recent is not None:
        return recent
    with translation.override(contact.language or "en"):
        subject = _("Emergency freeze: account hacked")
        lines = [
            _("The customer reported that their account has been hacked."),
            _("The account was already frozen.")
            if already_frozen
            else _("The account is now frozen: withdrawals and trading are stopped."),
            _("Freeze reference: %(ref)s") % {"ref": case_ref},
            "",
            _("Next steps:"),
            _("1. Change your password from a clean device."),
            _("2. Check your API keys and delete any you do not recognise."),
            _("3. Contact support only through official channels; we never ask for passwords."),
            _("Support will verify your identity before unlocking the account."),
        ]
        return conversation_services.conversation_create(
            contact=contact,
            subject=subject,
            body="\n".join(lines),
            category=Category.SECURITY,
            channel=Channel.WEB,
            priority=Priority.URGENT,
            actor=actor,
        )


def emergency_freeze(*, contact: Contact, actor: Actor, note: str = "") -> EmergencyFreeze:
    """Freeze the contact's exchange account at once ("I have been hacked") and open (or reuse)
    an urgent security conversation (audited).

    The customer themself, or staff on the customer's verified request (``note`` says how it was
    verified: required, at most 500 characters). An account that is already frozen is left as
    it is and its state returned. ValidationFailed when the contact has no exchange account id;
    connector errors are raised (and audited by ``account_action``).
    """
    prepared_by, cleaned_note = _freeze_requested_by(contact=contact, actor=actor, note=note)
    uid = (contact.uid or "").strip()
    if not uid:
        raise ValidationFailed(_("This customer has no exchange account."))
    now = clock.now()
    case_ref = f"EF-{contact.pk}-{now.strftime('%Y%m%d%H%M%S')}"
    profile = get_connector().account(uid=uid)
    already_frozen = profile.status == AccountStatus.FROZEN
    if already_frozen:
        result = ActionResult(
            uid=uid, action=CaseKind.FREEZE, status=profile.status, exchange_ref=""
        )
    else:
        result = account_action(
            authorisation=CaseAuthorisation(
                case_ref=case_ref,
                kind=CaseKind.FREEZE,
                uid=uid,
                prepared_by=prepared_by,
                approved_by="customer",  # the customer's own request approves it
                approved_at=now,
            ),
            actor=actor,
        )
    with transaction.atomic():
        conversation = _security_conversation(
            contact=contact, actor=actor, case_ref=case_ref, already_frozen=already_frozen
        )
        data: dict[str, Any] = {
            "uid": uid,
            "contact_id": contact.pk,
            "case_ref": case_ref,
            "already_frozen": already_frozen,
            "status": str(result.status),
            "conversation_id": conversation.pk,
        }
        if cleaned_note and prepared_by != "customer":
            data["verification"] = cleaned_note
        audit_record(
            actor=actor, action="exchange.emergency_freeze_requested",
            object_type="exchange_account", object_id=uid, data=data,
        )  # fmt: skip
    return EmergencyFreeze(result=result, conversation=conversation, already_frozen=already_frozen)


# -- The diagnosis policy (the service levels quoted to customers) -----------------------------


def _require_admin(actor: Actor) -> None:
    if actor.kind == ActorKind.SYSTEM:
        return
    if actor.kind == ActorKind.AGENT and actor.user_id is not None:
        user = User.objects.filter(pk=actor.user_id).first()
        if user is not None and permissions.can_manage_api_keys(user):
            return
    raise PermissionDenied(_("You do not have permission to do that."))


def _clean_levels(values: dict[str, int]) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    for name, (low, high) in service_levels.BOUNDS.items():
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = [
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            ]
    if errors:
        raise ValidationFailed(_("Some values are out of range."), fields=errors)
    return values


def diagnosis_policy_save(
    *,
    review_hours: int,
    processing_minutes: int,
    whitelist_lock_hours: int,
    recovery_days: int,
    actor: Actor,
) -> DiagnosisPolicy:
    """Set the service levels diagnoses quote to customers and check records against (audited).

    Admins (or the system) only: PermissionDenied otherwise. Each value a whole number within
    ``service_levels.BOUNDS``: ValidationFailed otherwise, and nothing is saved. The row is
    locked while it changes; saving the same values writes nothing. The cached policy is dropped
    on commit.
    """
    _require_admin(actor)
    values = _clean_levels(
        {
            "review_hours": review_hours,
            "processing_minutes": processing_minutes,
            "whitelist_lock_hours": whitelist_lock_hours,
            "recovery_days": recovery_days,
        }
    )
    with transaction.atomic():
        policy, _created = DiagnosisPolicy.objects.select_for_update().get_or_create(
            pk=selectors.POLICY_PK
        )
        audit_changes(
            policy,
            values,
            actor=actor,
            action="exchange.diagnosis_policy_updated",
            object_type="diagnosis_policy",
            also_save=("updated_at",),
        )
        transaction.on_commit(selectors.diagnosis_policy_forget)
    return policy
