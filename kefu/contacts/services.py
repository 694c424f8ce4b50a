"""Writes for customers (contacts) and portal sign-up."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Language, User, UserKind
from kefu.audit.services import audit_record
from kefu.contacts.masking import REVEALABLE_FIELDS
from kefu.contacts.models import Contact, VipTier
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed


def _normalise_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    if not email:  # blank form fields mean "no email", not an invalid one
        return None
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
        ) from exc
    return email


def _check_language(language: str) -> None:
    if language not in Language.values:
        raise ValidationFailed(
            _("Unknown language."), fields={"language": [_("Unknown language.")]}
        )


def contact_create(
    *,
    email: str | None = None,
    uid: str | None = None,
    name: str = "",
    phone: str = "",
    language: str = "en",
    vip_tier: int = 0,
    actor: Actor,
) -> Contact:
    """Create a customer record. Email and exchange uid are unique when given."""
    email = _normalise_email(email)
    uid = (uid or "").strip() or None
    if not email and not uid:
        raise ValidationFailed(
            _("Give an email address or an exchange account id."),
            fields={"email": [_("Give an email address or an exchange account id.")]},
        )
    _check_language(language)
    if vip_tier not in VipTier.values:
        raise ValidationFailed(
            _("Unknown VIP tier."), fields={"vip_tier": [_("Unknown VIP tier.")]}
        )
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                email=email,
                uid=uid,
                name=name.strip()[:120],
                phone=phone.strip()[:32],
                language=language,
                vip_tier=vip_tier,
            )
            audit_record(
                actor=actor,
                action="contact.created",
                object_type="contact",
                object_id=contact.pk,
                data={"uid": uid},
            )
    except IntegrityError as exc:
        raise Conflict(
            _("A customer with this email or account id already exists."),
            fields={"email": [_("A customer with this email or account id already exists.")]},
        ) from exc
    return contact


def contact_update(
    *,
    contact: Contact,
    name: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    vip_tier: int | None = None,
    actor: Actor,
) -> Contact:
    """Update a customer's profile fields."""
    changes: dict[str, object] = {}
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if name is not None:
            changes["name"] = name.strip()[:120]
        if phone is not None:
            changes["phone"] = phone.strip()[:32]
        if language is not None:
            _check_language(language)
            changes["language"] = language
        if vip_tier is not None:
            if vip_tier not in VipTier.values:
                raise ValidationFailed(
                    _("Unknown VIP tier."), fields={"vip_tier": [_("Unknown VIP tier.")]}
                )
            changes["vip_tier"] = vip_tier
        for field, value in changes.items():
            setattr(contact, field, value)
        if changes:
            contact.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor,
            action="contact.updated",
            object_type="contact",
            object_id=contact.pk,
            data={k: str(v) for k, v in changes.items()},
        )
    return contact


def customer_signup(*, email: str, password: str, name: str, language: str, actor: Actor) -> User:
    """Create a portal login for a customer, linking an existing contact with the same email."""
    email_norm = _normalise_email(email)
    if not email_norm:
        raise ValidationFailed(
            _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
        )
    _check_language(language)
    if User.objects.filter(email=email_norm).exists():
        raise Conflict(
            _("An account with this email already exists."),
            fields={"email": [_("An account with this email already exists.")]},
        )
    try:
        validate_password(password, User(email=email_norm, display_name=name))
    except ValidationError as exc:
        raise ValidationFailed(
            _("Choose a stronger password."), fields={"password": list(exc.messages)}
        ) from exc
    with transaction.atomic():
        user = User.objects.create_user(
            email_norm,
            password,
            display_name=name.strip()[:120],
            kind=UserKind.CUSTOMER,
            language=language,
        )
        contact, created = Contact.objects.select_for_update().get_or_create(
            email=email_norm, defaults={"name": name.strip()[:120], "language": language}
        )
        if contact.user_id is not None:
            raise Conflict(
                _("An account with this email already exists."),
                fields={"email": [_("An account with this email already exists.")]},
            )
        contact.user = user
        contact.save(update_fields=["user", "updated_at"])
        audit_record(
            actor=actor,
            action="customer.signed_up",
            object_type="contact",
            object_id=contact.pk,
            data={"user": user.pk, "new_contact": created},
        )
    return user


def contact_reveal(
    *, contact: Contact, field: str, actor: Actor, conversation_id: int | None = None
) -> str:
    """The unmasked value of one of a customer's personal fields, for staff (a sensitive read,
    audited as ``contact.revealed``). The caller has already checked that the agent may see
    this customer (e.g. through the conversation they are working on, ``conversation_id``)."""
    if actor.kind != ActorKind.AGENT:
        raise PermissionDenied(_("Only staff can reveal a customer's details."))
    if field not in REVEALABLE_FIELDS:
        raise ValidationFailed(
            _("This detail cannot be revealed."), fields={"field": [_("Unknown field.")]}
        )
    value = getattr(contact, field) or ""
    data: dict[str, object] = {"field": field}
    if conversation_id is not None:
        data["conversation"] = conversation_id
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="contact.revealed",
            object_type="contact",
            object_id=contact.pk,
            data=data,
        )
    return value
