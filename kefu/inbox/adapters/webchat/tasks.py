"""Live chat continues by email: a reply the visitor did not see in the chat is emailed."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import default_task_backend, task

from kefu.conversations.models import AuthorKind, Message, MessageKind
from kefu.core import clock
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.inbox.adapters.email.compose import compose_customer_email
from kefu.inbox.models import ChatVisitor

ONLINE_SECONDS = 60  # a visitor seen this recently still has the chat open
RECHECK_SECONDS = 90
MAX_RECHECKS = 20  # about half an hour of an open but unread chat, then email anyway


def recipient_for(message: Message) -> tuple[str, ChatVisitor | None]:
    """Where to email a chat reply: the contact's address, else the one the visitor typed."""
    contact = message.conversation.contact
    visitor = ChatVisitor.objects.filter(contact_id=contact.pk).order_by("-last_seen_at").first()
    if contact.email:
        return contact.email, visitor
    if visitor is not None and visitor.email:
        return visitor.email, visitor
    return "", visitor


@task()
def continue_chat_by_email(*, message_id: int, attempt: int = 1, recheck: int = 0) -> None:
    """Email an agent's chat reply if the visitor has not read it and has left the chat.

    Idempotent (``customer_notified_at``). While the visitor's chat is still open the job
    checks again later instead of emailing, when the task backend can run jobs later.
    """

    def send() -> None:
        message = (
            Message.objects.select_related("conversation__contact").filter(pk=message_id).first()
        )
        if message is None or message.kind != MessageKind.REPLY or message.public_seq is None:
            return
        if message.author_kind == AuthorKind.CUSTOMER or message.customer_notified_at:
            return
        conversation = message.conversation
        if conversation.customer_read_seq >= message.public_seq:
            return  # seen in the chat
        email, visitor = recipient_for(message)
        if not email:
            return
        online = visitor is not None and visitor.last_seen_at >= clock.now() - timedelta(
            seconds=ONLINE_SECONDS
        )
        if online and recheck < MAX_RECHECKS:
            if default_task_backend.supports_defer:
                continue_chat_by_email.using(
                    run_after=clock.now() + timedelta(seconds=RECHECK_SECONDS)
                ).enqueue(message_id=message_id, attempt=attempt, recheck=recheck + 1)
            return
        contact = conversation.contact
        portal_url = ""
        if contact.user_id:
            portal_url = settings.KEFU_PUBLIC_URL.rstrip("/") + reverse(
                "portal:request_detail", args=[conversation.pk]
            )
        with translation.override(contact.language or "en"):
            context = {"conversation": conversation, "message": message, "portal_url": portal_url}
            mail = compose_customer_email(
                to=email,
                subject=render_to_string("inbox/email/chat_reply_subject.txt", context),
                text=render_to_string("inbox/email/chat_reply_body.txt", context),
                auto_submitted="auto-generated",
                conversation_id=conversation.pk,
            )
        try:
            mail.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc
        Message.objects.filter(pk=message.pk).update(customer_notified_at=clock.now())

    run_with_retry(continue_chat_by_email, send, attempt=attempt, message_id=message_id)
