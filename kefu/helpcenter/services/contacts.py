"""Writes for the official contact options. Supervisors and admins manage them."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.core.validation import clean_text
from kefu.core.validation import field_error as _field_error
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.models import ContactKind, ContactOption
from kefu.sla.models import BusinessCalendar

MAX_ORDER = 32767
MAX_RESPONSE_MINUTES = 7 * 24 * 60
_PHONE = re.compile(r"^\+?[0-9][0-9\-.()]{0,39}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9\-.]*[a-z0-9])?$")


def _require_manager(actor: Actor) -> None:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def clean_contact_url(url: str) -> str:
    """``url`` stripped, if customers may be sent there: ``https://host/...``, ``mailto:``,
    ``tel:`` or a path on this site (``/help/``). Anything else (``javascript:``, ``http:``,
    ``//host``, ``data:`` ...) raises ValidationFailed, because the link is shown as official."""
    url = (url or "").strip()
    if not url:
        return ""
    bad = _field_error(
        "url",
        _(
            "Use a link that starts with https://, mailto: or tel:, "
            "or a path on this site such as /help/."
        ),
    )
    if len(url) > 500 or "\\" in url or any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise bad
    lowered = url.lower()
    if url.startswith("/"):
        if url.startswith("//"):
            raise bad  # scheme-relative: another site
        return url
    if lowered.startswith("https://"):
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        if "@" in parts.netloc or not _HOST.match(host) or "." not in host:
            raise bad
        try:
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError as exc:
            raise bad from exc
        return url
    if lowered.startswith("mailto:"):
        address = url[len("mailto:") :].split("?", 1)[0]
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise bad
        return url
    if lowered.startswith("tel:"):
        if not _PHONE.match(url[len("tel:") :]):
            raise bad
        return url
    raise bad


def _text(field: str, value: str, *, limit: int, required: bool) -> str:
    return clean_text(field, value, limit=limit, required=required)


def contact_option_save(
    *,
    option: ContactOption | None = None,
    kind: str,
    label_en: str,
    label_zh: str,
    value: str = "",
    url: str = "",
    hours_note_en: str = "",
    hours_note_zh: str = "",
    calendar_id: int | None = None,
    language: str = "",
    expected_response_minutes: int | None = None,
    notice_en: str = "",
    notice_zh: str = "",
    notice_until: date | None = None,
    order: int = 0,
    is_active: bool = True,
    actor: Actor,
) -> ContactOption:
    """Create an official contact option (option=None) or update one. Both labels are
    required; the link must pass clean_contact_url. ``calendar_id`` (service hours) must name
    an existing business calendar, ``language`` (the one this line serves; blank: all) a
    help-center language; the expected response is 1 minute to 7 days; the notice is shown
    until the end of ``notice_until`` (None: until removed)."""
    _require_manager(actor)
    if kind not in ContactKind.values:
        raise _field_error("kind", _("Choose a kind from the list."))
    label_en = _text("label_en", label_en, limit=80, required=True)
    label_zh = _text("label_zh", label_zh, limit=80, required=True)
    value = _text("value", value, limit=200, required=False)
    url = clean_contact_url(url)
    hours_note_en = _text("hours_note_en", hours_note_en, limit=200, required=False)
    hours_note_zh = _text("hours_note_zh", hours_note_zh, limit=200, required=False)
    if calendar_id is not None and (
        isinstance(calendar_id, bool)
        or not isinstance(calendar_id, int)
        or not BusinessCalendar.objects.filter(pk=calendar_id).exists()
    ):
        raise _field_error("calendar_id", _("Choose a calendar from the list."))
    language = (language or "").strip().lower()
    if language and language not in help_languages():
        raise _field_error("language", _("Choose a language from the list."))
    if expected_response_minutes is not None and (
        isinstance(expected_response_minutes, bool)
        or not isinstance(expected_response_minutes, int)
        or not 1 <= expected_response_minutes <= MAX_RESPONSE_MINUTES
    ):
        raise _field_error(
            "expected_response_minutes",
            _("Use a number of minutes from 1 to %(max)d.") % {"max": MAX_RESPONSE_MINUTES},
        )
    notice_en = _text("notice_en", notice_en, limit=300, required=False)
    notice_zh = _text("notice_zh", notice_zh, limit=300, required=False)
    if notice_until is not None and not isinstance(notice_until, date):
        raise _field_error("notice_until", _("Enter a valid date."))
    if not 0 <= order <= MAX_ORDER:
        raise _field_error("order", _("Use a number from 0 to %(max)d.") % {"max": MAX_ORDER})
    with transaction.atomic():
        created = option is None
        option = option or ContactOption()
        option.kind = kind
        option.label_en, option.label_zh = label_en, label_zh
        option.value, option.url = value, url
        option.hours_note_en, option.hours_note_zh = hours_note_en, hours_note_zh
        option.calendar_id = calendar_id
        option.language = language
        option.expected_response_minutes = expected_response_minutes
        option.notice_en, option.notice_zh = notice_en, notice_zh
        option.notice_until = notice_until
        option.order, option.is_active = order, bool(is_active)
        option.save()
        audit_record(
            actor=actor,
            action="contact_option.created" if created else "contact_option.updated",
            object_type="contact_option",
            object_id=option.pk,
            data={
                "kind": kind,
                "label_en": label_en,
                "label_zh": label_zh,
                "value": value,
                "url": url,
                "calendar_id": calendar_id,
                "language": language,
                "expected_response_minutes": expected_response_minutes,
                "notice_en": notice_en,
                "notice_zh": notice_zh,
                "notice_until": notice_until.isoformat() if notice_until else None,
                "order": order,
                "is_active": option.is_active,
            },
        )
    return option


def contact_option_delete(*, option: ContactOption, actor: Actor) -> None:
    """Delete an official contact option."""
    _require_manager(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="contact_option.deleted",
            object_type="contact_option",
            object_id=option.pk,
            data={"kind": option.kind, "label_en": option.label_en, "value": option.value},
        )
        option.delete()
