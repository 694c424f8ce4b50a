"""Writes for the trust app: the official-channel registry (admins), verification phrases
(agents give them, customers check them) and impersonation reports (anyone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.contacts.services import contact_create
from kefu.conversations import services as conversation_services
from kefu.conversations.models import Category, Channel, Conversation, Tag
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, PermissionDenied
from kefu.core.validation import field_error
from kefu.trust import normalise as norm
from kefu.trust import phrases, selectors
from kefu.trust.check import Verdict
from kefu.trust.models import ChannelKind, OfficialChannel, VerificationPhrase

PHRASE_LIFETIME = timedelta(minutes=30)
REPORT_TAG = "impersonation"
LABEL_MAX = 120
NOTE_MAX = 500
DETAILS_MAX = 2000


def _value_error(code: str) -> str:
    messages = {
        "not_domain": _("Enter a domain name such as example.com."),
        "not_email": _("Enter an email address."),
        "not_phone": _("Enter a phone number (with +country code for numbers outside China)."),
        "not_staff_id": _("Enter a staff id such as KF-1024."),
        "not_handle": _("Enter an account name such as @example or a link to the profile."),
        "platform_required": _("Choose the platform of this account."),
        "platform_mismatch": _("This link is for a different platform."),
    }
    return messages.get(code, _("This value cannot be read."))


# --- the registry ----------------------------------------------------------------------------


def _require_admin(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_api_keys(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


@dataclass(frozen=True)
class _Cleaned:
    kind: str
    value: str
    display: str
    platform: str
    label_en: str
    label_zh: str
    note: str
    user: User | None
    is_active: bool


def _clean(
    *,
    kind: str,
    value: str,
    platform: str,
    label_en: str,
    label_zh: str,
    note: str,
    user: User | None,
    is_active: bool,
) -> _Cleaned:
    if kind not in ChannelKind.values:
        raise field_error("kind", _("Choose a kind."))
    try:
        parsed = norm.normalise_as(kind, value, platform=platform)
    except norm.InvalidValue as exc:
        field = "platform" if exc.code == "platform_required" else "value"
        raise field_error(field, _value_error(exc.code)) from exc
    label_en, label_zh, note = label_en.strip(), label_zh.strip(), note.strip()
    if len(label_en) > LABEL_MAX or len(label_zh) > LABEL_MAX:
        raise field_error("label_en", _("Labels are at most 120 characters."))
    if len(note) > NOTE_MAX:
        raise field_error("note", _("The note is at most 500 characters."))
    if kind != ChannelKind.STAFF:
        user = None
    elif user is not None and not user.is_agent:
        raise field_error("user", _("Choose a staff member."))
    return _Cleaned(
        kind=kind,
        value=parsed.value,
        display=parsed.display,
        platform=parsed.platform if kind == ChannelKind.SOCIAL else "",
        label_en=label_en,
        label_zh=label_zh,
        note=note,
        user=user,
        is_active=is_active,
    )


def _duplicate() -> Conflict:
    message = _("This channel is already in the registry.")
    return Conflict(message, fields={"value": [message]})


def _audit_data(channel: OfficialChannel) -> dict[str, object]:
    return {
        "kind": channel.kind,
        "value": channel.value,
        "platform": channel.platform,
        "active": channel.is_active,
        "user": channel.user_id,
    }


def official_channel_save(
    *,
    channel: OfficialChannel | None = None,
    kind: str,
    value: str,
    platform: str = "",
    label_en: str = "",
    label_zh: str = "",
    note: str = "",
    user: User | None = None,
    is_active: bool = True,
    actor: Actor,
) -> OfficialChannel:
    """Register an official channel (``channel=None``) or change one (admins only); the value is
    stored normalised. Audited as ``official_channel.created`` or ``.updated`` (before/after)."""
    _require_admin(actor)
    data = _clean(
        kind=kind,
        value=value,
        platform=platform,
        label_en=label_en,
        label_zh=label_zh,
        note=note,
        user=user,
        is_active=is_active,
    )
    try:
        with transaction.atomic():
            if channel is None:
                channel = OfficialChannel.objects.create(**data.__dict__)
                action, audit = "official_channel.created", _audit_data(channel)
            else:
                channel = OfficialChannel.objects.select_for_update().get(pk=channel.pk)
                before = _audit_data(channel)
                for name, new in data.__dict__.items():
                    setattr(channel, name, new)
                channel.save(update_fields=[*data.__dict__, "updated_at"])
                action, audit = (
                    "official_channel.updated",
                    {"before": before, "after": _audit_data(channel)},
                )
            audit_record(
                actor=actor,
                action=action,
                object_type="official_channel",
                object_id=channel.pk,
                data=audit,
            )
    except IntegrityError as exc:
        raise _duplicate() from exc
    return channel


def official_channel_delete(*, channel: OfficialChannel, actor: Actor) -> None:
    """Remove a channel from the registry (admins only). To warn people about a channel that
    is no longer ours, deactivate it instead: the checker calls retired channels suspicious."""
    _require_admin(actor)
    with transaction.atomic():
        data = _audit_data(channel)
        deleted, _rows = OfficialChannel.objects.filter(pk=channel.pk).delete()
        if deleted:
            audit_record(
                actor=actor,
                action="official_channel.deleted",
                object_type="official_channel",
                object_id=channel.pk,
                data=data,
            )


# --- verification phrases --------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedPhrase:
    phrase: str  # shown once to the agent; only its hash is stored
    record: VerificationPhrase


def verification_phrase_issue(*, conversation: Conversation, actor: Actor) -> IssuedPhrase:
    """Give a one-time phrase for the agent to send the customer in ``conversation``.

    The agent must be able to open the conversation. The phrase is stored hashed, expires after
    30 minutes, and an internal note (staff only) records that it was given."""
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not user.is_agent:
        raise PermissionDenied(_("You do not have permission to do that."))
    conversation = conversation_get_for_agent(user=user, pk=conversation.pk)
    now = clock.now()
    language = conversation.language or "en"
    staff_id = selectors.staff_id_of(user)
    name = (user.display_name or user.email.split("@", 1)[0])[:120]
    with transaction.atomic():
        for _attempt in range(5):
            phrase = phrases.generate(language)
            digest = phrases.phrase_hash(phrase)
            if not VerificationPhrase.objects.filter(phrase_hash=digest).exists():
                break
        record = VerificationPhrase.objects.create(
            phrase_hash=digest,
            conversation=conversation,
            agent=user,
            agent_name=name,
            staff_id=staff_id,
            language=language,
            created_at=now,
            expires_at=now + PHRASE_LIFETIME,
        )
        audit_record(
            actor=actor,
            action="verification_phrase.issued",
            object_type="conversation",
            object_id=conversation.pk,
            data={"phrase": record.pk, "staff_id": staff_id, "expires_at": _iso(record.expires_at)},
        )
        conversation_services.note_add(
            conversation=conversation,
            body=_(
                "%(agent)s gave the customer a one-time verification phrase (valid until "
                "%(time)s UTC). The phrase itself is not stored."
            )
            % {
                "agent": f"{name} ({staff_id})" if staff_id else name,
                "time": record.expires_at.strftime("%Y-%m-%d %H:%M"),
            },
            actor=actor,
        )
    return IssuedPhrase(phrase=phrase, record=record)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass(frozen=True)
class PhraseCheck:
    status: str  # "valid", "invalid", "expired" or "used"
    agent_name: str = ""
    staff_id: str = ""
    issued_at: datetime | None = None


def verification_phrase_check(*, phrase: str, actor: Actor) -> PhraseCheck:
    """Check a phrase a customer was given; a valid one is used up by this check."""
    if not phrases.canonical(phrase):
        return PhraseCheck(status="invalid")
    digest = phrases.phrase_hash(phrase)
    now = clock.now()
    with transaction.atomic():
        record = VerificationPhrase.objects.select_for_update().filter(phrase_hash=digest).first()
        if record is None:
            return PhraseCheck(status="invalid")
        if record.used_at is not None:
            return PhraseCheck(
                status="used",
                agent_name=record.agent_name,
                staff_id=record.staff_id,
                issued_at=record.created_at,
            )
        if record.expires_at <= now:
            return PhraseCheck(status="expired")
        record.used_at = now
        record.save(update_fields=["used_at"])
        audit_record(
            actor=actor,
            action="verification_phrase.used",
            object_type="conversation",
            object_id=record.conversation_id,
            data={"phrase": record.pk},
        )
    return PhraseCheck(
        status="valid",
        agent_name=record.agent_name,
        staff_id=record.staff_id,
        issued_at=record.created_at,
    )


# --- impersonation reports -------------------------------------------------------------------


def _reporting_contact(*, email: str, language: str, actor: Actor) -> Contact:
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise field_error("email", _("Enter a valid email address.")) from exc
    contact = Contact.objects.filter(email=address).first()
    if contact is not None:
        return contact
    try:
        return contact_create(email=address, language=language, actor=actor)
    except Conflict:  # created by a parallel request
        return Contact.objects.get(email=address)


def impersonation_report(
    *,
    value: str,
    verdict: Verdict,
    details: str = "",
    contact: Contact | None = None,
    email: str = "",
    language: str = "en",
    actor: Actor,
) -> Conversation:
    """Open a security conversation reporting ``value`` as an impersonation.

    A signed-in customer reports as themselves (``contact``); anyone else gives an ``email``
    we can reply to. Tagged ``impersonation`` when that tag exists."""
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise field_error("details", _("Keep the details under 2,000 characters."))
    if contact is None:
        contact = _reporting_contact(email=email, language=language, actor=actor)
        actor = Actor(
            kind=ActorKind.CUSTOMER, contact_id=contact.pk, label=contact.email or "", ip=actor.ip
        )
    elif actor.kind != ActorKind.CUSTOMER or actor.contact_id != contact.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    shown = value.strip()[:120]
    lines = [
        _("Impersonation report from the official-channel check."),
        "",
        _("Checked value: %(value)s") % {"value": value.strip()[:500]},
        _("Normalised: %(value)s") % {"value": verdict.normalised},
        _("Verdict: %(verdict)s (%(reason)s)")
        % {"verdict": verdict.verdict, "reason": verdict.reason},
    ]
    if verdict.resembles:
        lines.append(_("Imitates: %(official)s") % {"official": verdict.resembles})
    if details:
        lines += ["", details]
    with transaction.atomic():
        conversation = conversation_services.conversation_create(
            contact=contact,
            subject=(_("Impersonation report: %(value)s") % {"value": shown})[:200],
            body="\n".join(lines),
            category=Category.SECURITY,
            channel=Channel.WEB,
            language=language,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="impersonation.reported",
            object_type="conversation",
            object_id=conversation.pk,
            data={
                "value": verdict.normalised,
                "verdict": verdict.verdict,
                "reason": verdict.reason,
            },
        )
        if Tag.objects.filter(name__iexact=REPORT_TAG).exists():
            conversation_services.conversation_set_tags(
                conversation=conversation,
                names=[REPORT_TAG],
                actor=Actor.system("trust"),
            )
    return conversation
