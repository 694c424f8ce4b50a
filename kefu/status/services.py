"""Writes for the status page: incidents and their updates (supervisors and admins), and the
email subscription (anyone, double opt-in)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import clean_text
from kefu.core.validation import field_error as _field_error
from kefu.helpcenter.languages import help_languages
from kefu.status import selectors, tasks, tokens
from kefu.status.models import (
    FINAL_STATES,
    STATES_BY_KIND,
    Impact,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentUpdate,
    StatusSubscriber,
)

TITLE_MAX = 200
BODY_MAX = 10_000
EMAIL_MAX = 254
AFFECTED_MAX = 30
_ASSET = re.compile(r"^[A-Z0-9]{1,12}$")
_NETWORK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()\-]{0,19}$")
# A second request for an unconfirmed address within this time sends nothing new, so the form
# cannot be used to flood someone's mailbox.
CONFIRMATION_COOLDOWN = timedelta(minutes=2)


# --- helpers ---------------------------------------------------------------------------------


def _require_manager(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def _text(field: str, value: str, *, limit: int, required: bool, single_line: bool = False) -> str:
    # Titles go into email subjects: single_line folds line breaks and control characters.
    # Bodies keep line breaks but refuse other control characters (XML feeds cannot carry them).
    return clean_text(
        field,
        value,
        limit=limit,
        required=required,
        single_line=single_line,
        reject_control=not single_line,
    )


def clean_affected(entries: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """``entries`` normalised (asset upper-cased, blanks trimmed, duplicates dropped), or
    ValidationFailed on the ``affected`` field. An asset is 1–12 letters A–Z or digits; a
    network is optional, at most 20 characters."""
    if entries is None:
        return []
    if not isinstance(entries, list) or len(entries) > AFFECTED_MAX:
        raise _field_error(
            "affected", _("List at most %(max)d assets and networks.") % {"max": AFFECTED_MAX}
        )
    cleaned: list[dict[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _field_error("affected", _("Each line needs an asset, e.g. ETH ERC20."))
        asset = str(entry.get("asset") or "").strip().upper()
        network = str(entry.get("network") or "").strip()
        if not _ASSET.match(asset):
            raise _field_error(
                "affected",
                _("“%(asset)s” is not an asset code: use up to 12 letters A–Z or digits.")
                % {"asset": asset[:20]},
            )
        if network and not _NETWORK.match(network):
            raise _field_error(
                "affected",
                _(
                    "“%(network)s” is not a network name: use up to 20 letters, digits, "
                    "spaces, dots, dashes or brackets."
                )
                % {"network": network[:30]},
            )
        row = {"asset": asset, "network": network}
        if row not in cleaned:
            cleaned.append(row)
    return cleaned


def _schedule(
    kind: str, start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    if kind != IncidentKind.MAINTENANCE:
        return None, None
    if start is None:
        raise _field_error("scheduled_start", _("Give the start of the maintenance window."))
    if end is None:
        raise _field_error("scheduled_end", _("Give the end of the maintenance window."))
    if end <= start:
        raise _field_error("scheduled_end", _("The end must be after the start."))
    return start, end


def _check_state(kind: str, state: str) -> None:
    if state not in STATES_BY_KIND.get(kind, ()):
        raise _field_error("state", _("Choose a state that fits this kind of entry."))


def _apply_state(incident: Incident, state: str, at: datetime) -> None:
    """Set ``state`` and the times it implies (start on in-progress, resolution on a final
    state, cleared again if an incident is reopened)."""
    incident.state = state
    if state == IncidentState.IN_PROGRESS and incident.started_at is None:
        incident.started_at = at
    if state in FINAL_STATES:
        if incident.resolved_at is None:
            incident.resolved_at = at
        if incident.started_at is None:
            incident.started_at = at
    else:
        incident.resolved_at = None


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "kind": incident.kind,
        "impact": incident.impact,
        "state": incident.state,
        "title_en": incident.title_en,
        "title_zh": incident.title_zh,
        "affected": incident.affected,
        "scheduled_start": incident.scheduled_start.isoformat()
        if incident.scheduled_start
        else None,
        "scheduled_end": incident.scheduled_end.isoformat() if incident.scheduled_end else None,
        "is_public": incident.is_public,
    }


def _notify_on_commit(update: IncidentUpdate) -> None:
    enqueue_on_commit(tasks.notify_subscribers, update_id=update.pk)


# --- incidents -------------------------------------------------------------------------------


def incident_create(
    *,
    kind: str,
    title_en: str,
    title_zh: str = "",
    impact: str = Impact.NONE,
    affected: list[dict[str, str]] | None = None,
    state: str = "",
    body_en: str,
    body_zh: str = "",
    scheduled_start: datetime | None = None,
    scheduled_end: datetime | None = None,
    is_public: bool = True,
    actor: Actor,
) -> Incident:
    """Open an incident, schedule maintenance or publish an announcement, with its first
    timeline update (``body_en``/``body_zh``). ``state`` defaults to the kind's first state.

    A public entry emails the confirmed subscribers on commit. Announcements have no impact.
    """
    user = _require_manager(actor)
    if kind not in IncidentKind.values:
        raise _field_error("kind", _("Choose a kind from the list."))
    if impact not in Impact.values:
        raise _field_error("impact", _("Choose an impact from the list."))
    if kind == IncidentKind.ANNOUNCEMENT:
        impact = Impact.NONE
    state = state or STATES_BY_KIND[kind][0]
    _check_state(kind, state)
    title_en = _text("title_en", title_en, limit=TITLE_MAX, required=True, single_line=True)
    title_zh = _text("title_zh", title_zh, limit=TITLE_MAX, required=False, single_line=True)
    cleaned = clean_affected(affected)
    body_en = _text("body_en", body_en, limit=BODY_MAX, required=True)
    body_zh = _text("body_zh", body_zh, limit=BODY_MAX, required=False)
    start, end = _schedule(kind, scheduled_start, scheduled_end)
    now = clock.now()
    with transaction.atomic():
        incident = Incident(
            kind=kind,
            impact=impact,
            title_en=title_en,
            title_zh=title_zh,
            affected=cleaned,
            scheduled_start=start,
            scheduled_end=end,
            started_at=None if kind == IncidentKind.MAINTENANCE else now,
            is_public=bool(is_public),
            created_by=user,
        )
        _apply_state(incident, state, now)
        incident.save()
        update = IncidentUpdate.objects.create(
            incident=incident,
            state=state,
            body_en=body_en,
            body_zh=body_zh,
            author=user,
            created_at=now,
        )
        transaction.on_commit(selectors.banner_changed)
        audit_record(
            actor=actor,
            action="incident.created",
            object_type="incident",
            object_id=incident.pk,
            data={**_snapshot(incident), "update_id": update.pk},
        )
        if incident.is_public:
            _notify_on_commit(update)
    return incident


def incident_update(
    *,
    incident: Incident,
    state: str,
    body_en: str,
    body_zh: str = "",
    actor: Actor,
) -> IncidentUpdate:
    """Post a timeline update: the new ``state`` and what to tell customers, in both languages.

    A final state (resolved, completed) sets ``resolved_at``; going back to an open state
    reopens the incident. Locks the incident. A public entry emails subscribers on commit.
    """
    user = _require_manager(actor)
    body_en = _text("body_en", body_en, limit=BODY_MAX, required=True)
    body_zh = _text("body_zh", body_zh, limit=BODY_MAX, required=False)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if locked is None:
            raise NotFound
        _check_state(locked.kind, state)
        now = clock.now()
        previous = locked.state
        _apply_state(locked, state, now)
        locked.save(update_fields=["state", "started_at", "resolved_at", "updated_at"])
        update = IncidentUpdate.objects.create(
            incident=locked,
            state=state,
            body_en=body_en,
            body_zh=body_zh,
            author=user,
            created_at=now,
        )
        transaction.on_commit(selectors.banner_changed)
        audit_record(
            actor=actor,
            action="incident.resolved"
            if state in FINAL_STATES and previous not in FINAL_STATES
            else "incident.update_posted",
            object_type="incident",
            object_id=locked.pk,
            data={"update_id": update.pk, "from": previous, "to": state},
        )
        if locked.is_public:
            _notify_on_commit(update)
    for name in ("state", "started_at", "resolved_at", "updated_at"):
        setattr(incident, name, getattr(locked, name))
    return update


def incident_edit(
    *,
    incident: Incident,
    title_en: str,
    title_zh: str = "",
    impact: str,
    affected: list[dict[str, str]] | None,
    scheduled_start: datetime | None = None,
    scheduled_end: datetime | None = None,
    actor: Actor,
) -> Incident:
    """Correct an entry's titles, impact, affected assets or maintenance window. Sends no
    email: customers hear about changes through updates."""
    _require_manager(actor)
    if impact not in Impact.values:
        raise _field_error("impact", _("Choose an impact from the list."))
    title_en = _text("title_en", title_en, limit=TITLE_MAX, required=True, single_line=True)
    title_zh = _text("title_zh", title_zh, limit=TITLE_MAX, required=False, single_line=True)
    cleaned = clean_affected(affected)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if locked is None:
            raise NotFound
        start, end = _schedule(locked.kind, scheduled_start, scheduled_end)
        locked.title_en, locked.title_zh = title_en, title_zh
        locked.impact = Impact.NONE if locked.kind == IncidentKind.ANNOUNCEMENT else impact
        locked.affected = cleaned
        locked.scheduled_start, locked.scheduled_end = start, end
        locked.save(
            update_fields=[
                "title_en",
                "title_zh",
                "impact",
                "affected",
                "scheduled_start",
                "scheduled_end",
                "updated_at",
            ]
        )
        transaction.on_commit(selectors.banner_changed)
        audit_record(
            actor=actor,
            action="incident.edited",
            object_type="incident",
            object_id=locked.pk,
            data=_snapshot(locked),
        )
    return locked


def incident_set_public(*, incident: Incident, is_public: bool, actor: Actor) -> Incident:
    """Publish a draft or take an entry off the public page. Publishing emails subscribers the
    latest update on commit (at most once each: deliveries are idempotent per update)."""
    _require_manager(actor)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if locked is None:
            raise NotFound
        if locked.is_public == bool(is_public):
            return locked
        locked.is_public = bool(is_public)
        locked.save(update_fields=["is_public", "updated_at"])
        transaction.on_commit(selectors.banner_changed)
        audit_record(
            actor=actor,
            action="incident.published" if locked.is_public else "incident.unpublished",
            object_type="incident",
            object_id=locked.pk,
            data={"title_en": locked.title_en},
        )
        latest = locked.updates.order_by("-created_at", "-id").first()
        if locked.is_public and latest is not None:
            _notify_on_commit(latest)
    return locked


def incident_delete(*, incident: Incident, actor: Actor) -> None:
    """Delete an entry and its timeline (for mistakes; unpublish to keep the history)."""
    _require_manager(actor)
    with transaction.atomic():
        transaction.on_commit(selectors.banner_changed)
        audit_record(
            actor=actor,
            action="incident.deleted",
            object_type="incident",
            object_id=incident.pk,
            data=_snapshot(incident),
        )
        Incident.objects.filter(pk=incident.pk).delete()


# --- subscribers -----------------------------------------------------------------------------


def clean_email(email: str) -> str:
    """``email`` trimmed and lower-cased, or ValidationFailed on the ``email`` field."""
    email = (email or "").strip()
    if not email:
        raise _field_error("email", _("Enter your email address."))
    if len(email) > EMAIL_MAX:
        raise _field_error("email", _("Enter a valid email address."))
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _field_error("email", _("Enter a valid email address.")) from exc
    return email.lower()


def _email_fingerprint(email: str) -> str:
    """A short keyed hash of an address for the audit log: it tells two requests for the same
    address apart without storing the address (the log is kept longer than subscribers)."""
    return salted_hmac("kefu.status.audit-email", email, algorithm="sha256").hexdigest()[:16]


def subscriber_subscribe(*, email: str, language: str, actor: Actor) -> None:
    """Ask for status emails at ``email`` in ``language``: a confirmation link is emailed on
    commit (double opt-in).

    Says nothing about whether the address was known: an address that is already confirmed
    is left alone; an unconfirmed one gets a new confirmation email, at most one per
    CONFIRMATION_COOLDOWN. Locks the subscriber row.
    """
    email = clean_email(email)
    if language not in help_languages():
        raise _field_error("language", _("Unknown language."))
    now = clock.now()
    with transaction.atomic():
        subscriber = StatusSubscriber.objects.select_for_update().filter(email=email).first()
        created = False
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = StatusSubscriber.objects.create(
                        email=email, language=language, nonce=secrets.token_urlsafe(32)
                    )
                    created = True
            except IntegrityError:  # a concurrent request created it first
                subscriber = StatusSubscriber.objects.select_for_update().get(email=email)
        if subscriber.confirmed_at is not None:
            return
        sent = subscriber.confirmation_sent_at
        if not created and sent is not None and now - sent < CONFIRMATION_COOLDOWN:
            return
        subscriber.language = language
        subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["language", "confirmation_sent_at"])
        audit_record(
            actor=actor,
            action="status_subscriber.subscribed"
            if created
            else "status_subscriber.confirmation_resent",
            object_type="status_subscriber",
            object_id=subscriber.pk,
            data={"language": language, "email_hmac": _email_fingerprint(email)},
        )
        enqueue_on_commit(tasks.send_subscriber_confirmation, subscriber_id=subscriber.pk)


def subscriber_confirm(*, token: str, actor: Actor) -> StatusSubscriber:
    """Confirm the address a confirmation link was sent to. Idempotent: confirming twice
    keeps the first time. NotFound for a bad token."""
    subscriber = tokens.subscriber_by_token(token, "confirm")
    with transaction.atomic():
        locked = StatusSubscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.confirmed_at is None:
            locked.confirmed_at = clock.now()
            locked.save(update_fields=["confirmed_at"])
            audit_record(
                actor=actor,
                action="status_subscriber.confirmed",
                object_type="status_subscriber",
                object_id=locked.pk,
                data={"language": locked.language},
            )
    return locked


def subscriber_unsubscribe(*, token: str, actor: Actor) -> None:
    """Stop emailing the address an unsubscribe link was sent to: the row is deleted, so the
    address is forgotten. NotFound for a bad token (or one already used)."""
    subscriber = tokens.subscriber_by_token(token, "unsubscribe")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="status_subscriber.unsubscribed",
            object_type="status_subscriber",
            object_id=subscriber.pk,
            data={"language": subscriber.language},
        )
        StatusSubscriber.objects.filter(pk=subscriber.pk).delete()
