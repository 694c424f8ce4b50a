"""Status emails: the subscription confirmation, and each public update to every confirmed
subscriber (at most once per update and subscriber)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from kefu.core import clock
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.helpcenter.languages import best_language
from kefu.inbox.adapters.email.compose import compose_customer_email
from kefu.status import tokens
from kefu.status.models import (
    IncidentKind,
    IncidentUpdate,
    StatusDelivery,
    StatusSubscriber,
    affected_labels,
)

log = logging.getLogger(__name__)

BATCH = 200


def _absolute(path: str) -> str:
    return settings.KEFU_PUBLIC_URL.rstrip("/") + path


@task()
def send_subscriber_confirmation(*, subscriber_id: int, attempt: int = 1) -> None:
    """Email the confirmation link to a new (or still unconfirmed) subscriber, in their
    language. Does nothing once the address is confirmed or gone."""

    def send() -> None:
        subscriber = StatusSubscriber.objects.filter(pk=subscriber_id).first()
        if subscriber is None or subscriber.confirmed_at is not None:
            return
        language = best_language(subscriber.language)
        token = tokens.subscriber_token(subscriber, tokens.CONFIRM)
        with translation.override(language):
            context = {
                "confirm_url": _absolute(reverse("status:confirm", args=[token])),
                "status_url": _absolute(reverse("status:page", args=[language])),
            }
            email = compose_customer_email(
                to=subscriber.email,
                subject=render_to_string("status/email/confirm_subject.txt", context),
                text=render_to_string("status/email/confirm_body.txt", context),
                auto_submitted="auto-generated",
            )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc

    run_with_retry(send_subscriber_confirmation, send, attempt=attempt, subscriber_id=subscriber_id)


def _claim(update_id: int, subscriber_id: int) -> bool:
    """Record that this subscriber is being sent this update; False if someone already did
    (an earlier attempt, or another worker running the same job)."""
    try:
        with transaction.atomic():
            StatusDelivery.objects.create(update_id=update_id, subscriber_id=subscriber_id)
    except IntegrityError:
        return False
    return True


def _update_email(update: IncidentUpdate, subscriber: StatusSubscriber) -> EmailMultiAlternatives:
    incident = update.incident
    language = best_language(subscriber.language)
    unsubscribe_url = _absolute(
        reverse(
            "status:unsubscribe",
            args=[tokens.subscriber_token(subscriber, tokens.UNSUBSCRIBE)],
        )
    )
    with translation.override(language):
        context = {
            "incident": incident,
            "update": update,
            "title": incident.title_for(language),
            "body": update.body_for(language),
            "affected": affected_labels(incident.affected),
            "show_impact": incident.kind != IncidentKind.ANNOUNCEMENT,
            "incident_url": _absolute(reverse("status:incident", args=[language, incident.pk])),
            "unsubscribe_url": unsubscribe_url,
        }
        return compose_customer_email(
            to=subscriber.email,
            subject=render_to_string("status/email/update_subject.txt", context),
            text=render_to_string("status/email/update_body.txt", context),
            auto_submitted="auto-generated",
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )


def _deliver(update: IncidentUpdate, subscriber: StatusSubscriber, connection: Any) -> None:
    if not _claim(update.pk, subscriber.pk):
        return
    message = _update_email(update, subscriber)
    message.connection = connection
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        StatusDelivery.objects.filter(
            update_id=update.pk, subscriber_id=subscriber.pk, sent_at__isnull=True
        ).delete()
        raise RetryableError(str(exc)) from exc
    StatusDelivery.objects.filter(update_id=update.pk, subscriber_id=subscriber.pk).update(
        sent_at=clock.now()
    )


@task()
def notify_subscribers(*, update_id: int, attempt: int = 1) -> None:
    """Email a public update to every subscriber who had confirmed by the time it was posted.

    Idempotent per (update, subscriber): a StatusDelivery row is claimed before each email,
    so a retried or duplicated job never sends one twice. A failed send releases its claim
    and the job is retried for the subscribers still missing.
    """

    def send() -> None:
        update = IncidentUpdate.objects.select_related("incident").filter(pk=update_id).first()
        if update is None or not update.incident.is_public:
            return
        pending = list(
            StatusSubscriber.objects.filter(
                confirmed_at__isnull=False, confirmed_at__lte=update.created_at
            )
            .exclude(deliveries__update_id=update_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not pending:
            return
        try:
            with get_connection() as connection:  # one SMTP session for the whole run
                for start in range(0, len(pending), BATCH):
                    batch = pending[start : start + BATCH]
                    for subscriber in StatusSubscriber.objects.filter(pk__in=batch).order_by("pk"):
                        _deliver(update, subscriber, connection)
        except (smtplib.SMTPException, OSError) as exc:  # connecting or closing failed
            raise RetryableError(str(exc)) from exc
        log.info("status update %s sent to %s subscribers", update_id, len(pending))

    run_with_retry(notify_subscribers, send, attempt=attempt, update_id=update_id)
