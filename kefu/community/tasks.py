"""Email for forum notifications, through the one composer (kefu.inbox.adapters.email.compose),
in the recipient's language, retried with a bound on SMTP failures."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from kefu.community.models import MODERATION_KINDS, Notification
from kefu.community.selectors import notification_item
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.helpcenter.languages import best_language
from kefu.inbox.adapters.email.compose import compose_customer_email


@task()
def email_notification(*, notification_id: int, attempt: int = 1) -> None:
    """Email one notification (a reply in a followed thread, an accepted answer, an offer of
    private help, a moderator's action on the recipient's post or thread). Does nothing if it
    was read in the portal already, or, for replies, answers and offers, if the recipient may
    no longer read the thread. A moderation notice is always sent, with the link the portal
    shows (never to a post or thread the recipient may no longer read)."""

    def send() -> None:
        row = (
            Notification.objects.select_related("user", "thread__board", "post")
            .filter(pk=notification_id, read_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return
        item = notification_item(row)
        if not item.readable and row.kind not in MODERATION_KINDS:
            return  # hidden or deleted since (their own held question stays readable)
        language = best_language(row.user.language or row.thread.board.language)
        with translation.override(language):
            context = {
                "kind": row.kind,
                # Someone else's thread they may no longer read is not named.
                "title": item.title or _("a thread on %(board)s") % {"board": item.board_name},
                "board": item.board_name,
                "reason": item.reason,
                "url": settings.KEFU_PUBLIC_URL.rstrip("/") + item.url,
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
