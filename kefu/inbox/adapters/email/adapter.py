"""The email channel's adapter: stored raw mail in, replies out over SMTP.

Inbound mail arrives through ``ingest.email_ingest`` (called by the transports: the SMTP
receiver and IMAP polling), which stores the raw RFC 822 bytes as an ``InboundEvent``; the
worker calls ``parse`` here: the sender (the From address) is the identity, the message is
threaded (``threading.candidate_conversations``), automatic mail (auto-replies, bounces,
lists, Kefu's own) is recorded and never answered, and a message without a usable From
fails with that reason. Outbound, ``send`` composes the reply (``compose``) and sends it with
Django's SMTP backend (``EMAIL_*`` settings: STARTTLS or implicit TLS, auth, a timeout);
4xx replies, connection errors and timeouts are retried, 5xx replies fail with the server's
reason.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from kefu.conversations.models import AuthorKind, Conversation, Message
from kefu.core.errors import PermanentError, RetryableError
from kefu.inbox.adapters.base import (
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Sender,
    SendResult,
)
from kefu.inbox.adapters.email import threading
from kefu.inbox.adapters.email.commands import email_command
from kefu.inbox.adapters.email.compose import compose_customer_email, message_id_of
from kefu.inbox.adapters.email.parse import (
    clean_subject,
    message_key,
    normalise_message_id,
    parse_email,
    raw_key,
    read_headers,
)

KIND = "email"
CONTENT_TYPE = "message/rfc822"
DEFAULT_TIMEOUT = 20.0


class EmailAdapter:
    kind = KIND

    def is_configured(self) -> bool:
        return bool(settings.KEFU_EMAIL_ADDRESS)

    def account(self) -> str:
        # Identities are per address across mailboxes; events carry their mailbox (ingest).
        return ""

    def secret_headers(self) -> frozenset[str]:
        return frozenset()

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        return True  # the transports authenticate (SMTP relay rules, IMAP login)

    def event_id(self, body: bytes) -> str:
        try:
            values = read_headers(body).get_all("Message-ID") or []
        except Exception:
            values = []
        mid = normalise_message_id(str(values[0])) if values else ""
        return message_key(mid) if mid else raw_key(body)

    # --- inbound --------------------------------------------------------------------------

    def parse(self, body: bytes, content_type: str) -> Sequence[InboundMessage]:
        limit: int = settings.KEFU_ATTACHMENT_MAX_BYTES
        parsed = parse_email(body, attachment_limit=limit)
        provider_id = message_key(parsed.message_id) if parsed.message_id else raw_key(body)
        references = threading.referenced_keys(parsed) if not parsed.auto_reason else []
        # One look-up for this mail's own key and the ones it answers.
        stored = _stored([provider_id, *references] if parsed.message_id else references)
        owner = stored[provider_id][1] if parsed.message_id and provider_id in stored else None
        if owner is not None and owner.lower() != parsed.from_address:
            provider_id = raw_key(body)  # a reused Message-ID must not swallow this mail
        warnings = tuple(parsed.warnings)
        sender = Sender(
            kind=KIND,
            id=parsed.from_address,
            display_name=parsed.from_name,
            language=parsed.language,
            email=parsed.from_address,
        )
        if parsed.auto_reason:
            reason = parsed.auto_reason
            if parsed.bounce_reason:
                reason = f"{reason}: {parsed.bounce_reason}"
            return [
                InboundMessage(
                    provider_message_id=provider_id,
                    sender=sender,
                    thread_key=parsed.from_address,
                    ignorable=True,
                    is_auto=True,
                    reason=reason[:120],
                    bounce_of=parsed.bounce_of,
                    warnings=warnings,
                )
            ]
        if not parsed.from_address:
            detail = "; ".join(warnings) or "no From address"
            raise PermanentError(f"cannot be answered: no usable From address ({detail})")
        # Replies always go to the From address, never to Reply-To: the contact is matched
        # on From, and a forged From with a Reply-To elsewhere must not receive their case.
        attachments = tuple(
            InboundAttachment(a.name, a.content, too_large=a.too_large) for a in parsed.attachments
        )
        subject = clean_subject(parsed.subject)[:200]
        # "Escalate" as the subject or first line: stored as a message, then handled
        # (inbound.COMMAND_HANDLERS; docs/subsystems/routing.md).
        command = email_command(subject=subject, text=parsed.text)
        return [
            InboundMessage(
                provider_message_id=provider_id,
                sender=sender,
                thread_key=parsed.from_address,
                text=parsed.text,
                attachments=attachments,
                subject=subject,
                command=command,
                conversation_hints=threading.candidate_conversations(
                    parsed, stored={key: row[0] for key, row in stored.items()}
                ),
                new_thread=True,
                warnings=warnings,
            )
        ]

    # --- outbound -------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        email = self._compose(message)
        timeout = settings.EMAIL_TIMEOUT or DEFAULT_TIMEOUT
        try:
            connection = get_connection(fail_silently=False, timeout=timeout)
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()), (0, b""))
            raise _classified(code, reason) from None
        except smtplib.SMTPResponseException as exc:
            raise _classified(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"SMTP server does not support: {exc}") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:  # timeouts, refused, TLS
            raise RetryableError(f"SMTP: {type(exc).__name__}: {exc}"[:250]) from None
        return SendResult(provider_message_id=message_id_of(email))

    def _compose(self, outbound: OutboundMessage) -> EmailMultiAlternatives:
        if outbound.message_id is None or outbound.conversation_id is None:
            raise PermanentError("email needs the stored message and its conversation")
        message = Message.objects.filter(pk=outbound.message_id).first()
        conversation = (
            Conversation.objects.select_related("contact")
            .filter(pk=outbound.conversation_id)
            .first()
        )
        if message is None or conversation is None:
            raise PermanentError("the message or its conversation no longer exists")
        last_in = (
            Message.objects.filter(
                conversation=conversation,
                author_kind=AuthorKind.CUSTOMER,
                channel=KIND,
                external_id__startswith="mid:",
            )
            .order_by("-seq")
            .values_list("external_id", flat=True)
            .first()
        )
        in_reply_to = last_in[4:] if last_in and "@" in last_in else ""
        previous = (
            Message.objects.filter(conversation=conversation, outbound_delivery__state="sent")
            .exclude(pk=message.pk)
            .order_by("-seq")
            .values_list("outbound_delivery__provider_message_id", flat=True)
            .first()
        )
        auto = {
            AuthorKind.SYSTEM: "auto-generated",
            AuthorKind.ASSISTANT: "auto-replied",
        }.get(AuthorKind(message.author_kind), "")
        with translation.override(conversation.contact.language or conversation.language):
            subject = _("Re: %(subject)s [%(reference)s]") % {
                "subject": conversation.subject,
                "reference": conversation.reference,
            }
            url = settings.KEFU_PUBLIC_URL.rstrip("/") + reverse(
                "portal:request_detail", args=[conversation.pk]
            )
            footer = _(
                "Reference %(reference)s. Reply to this email to answer, or read the whole "
                "conversation in the support portal: %(url)s"
            ) % {"reference": conversation.reference, "url": url}
            safety = _("We will never ask for your password, 2FA codes or seed phrase.")
            text = f"{message.body}\n\n-- \n{footer}\n{safety}\n"
            html = f"{message.body_html}<hr><p>{escape(footer)}</p><p>{escape(safety)}</p>"
            return compose_customer_email(
                to=outbound.thread_key,
                subject=subject,
                text=text,
                html=html,
                auto_submitted=auto,
                message_pk=message.pk,
                in_reply_to=in_reply_to,
                references=[r for r in (in_reply_to, previous or "") if r],
                reply_to=threading.reply_address(conversation.pk),
                attachments=outbound.attachments,
                conversation_id=conversation.pk,
            )


def _stored(keys: list[str]) -> dict[str, tuple[int, str | None]]:
    """(conversation id, its contact's email address) of each stored email among ``keys``."""
    if not keys:
        return {}
    rows = Message.objects.filter(channel=KIND, external_id__in=keys).values_list(
        "external_id", "conversation_id", "conversation__contact__email"
    )
    return {key: (conversation, email) for key, conversation, email in rows if key is not None}


def _classified(code: int, reason: bytes | str) -> RetryableError | PermanentError:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    detail = f"SMTP {code}: {text}"[:250]
    if 500 <= code <= 599:
        return PermanentError(detail)
    return RetryableError(detail)
