"""Background jobs for accounts: thin wrappers that load by id and do one thing."""

from __future__ import annotations

import smtplib
import zoneinfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from kefu.accounts.models import LoginDevice
from kefu.core import clock
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@task()
def notify_new_device(*, device_id: int, attempt: int = 1) -> None:
    """Email someone that their account was signed in to from a new device (once per device)."""

    def send() -> None:
        # Imported here: accounts sits below inbox, which composes every email.
        from kefu.inbox.adapters.email.compose import compose_customer_email

        device = LoginDevice.objects.select_related("user").filter(pk=device_id).first()
        if device is None or device.alert_sent_at is not None or not device.user.is_active:
            return
        user = device.user
        contact = getattr(user, "contact", None) if user.is_customer else None
        language = user.language or getattr(contact, "language", "") or "en"
        page = "portal:account" if user.is_customer else "workspace:security"
        url = settings.KEFU_PUBLIC_URL.rstrip("/") + reverse(page)
        with translation.override(language), timezone.override(_zone(user.timezone)):
            context = {"device": device, "user": user, "url": url, "staff": not user.is_customer}
            email = compose_customer_email(
                to=user.email,
                subject=render_to_string("accounts/email/new_device_subject.txt", context),
                text=render_to_string("accounts/email/new_device_body.txt", context),
                auto_submitted="auto-generated",
            )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc
        LoginDevice.objects.filter(pk=device.pk).update(alert_sent_at=clock.now())

    run_with_retry(notify_new_device, send, attempt=attempt, device_id=device_id)
