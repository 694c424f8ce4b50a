"""Background jobs for conversations: thin wrappers that load by id and do one thing."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from kefu.conversations.models import Message, MessageKind
from kefu.core import clock
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.inbox.adapters.email.compose import compose_customer_email
from kefu.inbox.adapters.email.threading import reply_address

log = logging.getLogger(__name__)


def _deliver(email: EmailMessage) -> None:
    get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT).send_messages([email])


@task()
def notify_customer_of_reply(*, message_id: int, attempt: int = 1) -> None:
    """Email the customer that a public reply is waiting in the portal (idempotent per message)."""

    def send() -> None:
        message = (
            Message.objects.select_related("conversation__contact").filter(pk=message_id).first()
        )
        if message is None or message.kind != MessageKind.REPLY:
            return
        conversation = message.conversation
        contact = conversation.contact
        if not contact.email:
            return
        if message.customer_notified_at is not None:  # idempotent: already delivered
            return
        with translation.override(contact.language or "en"):
            url = settings.KEFU_PUBLIC_URL.rstrip("/") + reverse(
                "portal:request_detail", args=[conversation.pk]
            )
            context = {"conversation": conversation, "message": message, "url": url}
            email = compose_customer_email(
                to=contact.email,
                subject=render_to_string("conversations/email/reply_subject.txt", context),
                text=render_to_string("conversations/email/reply_body.txt", context),
                auto_submitted="auto-generated",
                message_pk=message.pk,
                reply_to=reply_address(conversation.pk),
                conversation_id=conversation.pk,
            )
        try:
            _deliver(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc
        Message.objects.filter(pk=message.pk).update(customer_notified_at=clock.now())

    run_with_retry(notify_customer_of_reply, send, attempt=attempt, message_id=message_id)
