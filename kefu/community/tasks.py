"""Email for forum notifications, through the one composer (kefu.inbox.adapters.email.compose),
in the recipient's language, retried with a bound on SMTP failures."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from kefu.community.models import Notification, Visibility
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.helpcenter.languages import best_language
from kefu.inbox.adapters.email.compose import compose_customer_email


@task()
def email_notification(*, notification_id: int, attempt: int = 1) -> None:
    """Email one notification (a reply in a followed thread, an accepted answer, an offer of
    private help). Does nothing if it was read in the portal already, or the recipient may no
    longer read the thread."""

    def send() -> None:
        row = (
            Notification.objects.select_related("user", "thread__board")
            .filter(pk=notification_id, read_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return
        thread = row.thread
        readable = thread.visibility == Visibility.VISIBLE or (
            thread.visibility == Visibility.HELD and thread.author_id == row.user_id
        )
        if not readable:  # hidden or deleted since (their own held question stays readable)
            return
        language = best_language(row.user.language or row.thread.board.language)
        path = reverse("community:thread", args=[row.thread.board.language, row.thread_id])
        with translation.override(language):
            context = {
                "thread": row.thread,
                "kind": row.kind,
                "url": settings.KEFU_PUBLIC_URL.rstrip("/") + path,
            }
            email = compose_customer_email(
                to=row.user.email,
                subject=render_to_string("community/email/notification_subject.txt", context),
                text=render_to_string("community/email/notification_body.txt", context),
                auto_submitted="auto-generated",
            )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc

    run_with_retry(email_notification, send, attempt=attempt, notification_id=notification_id)
