"""Customers asking to escalate by email (docs/subsystems/routing.md, "Customers asking to
escalate"): a signed one-click link in the emails Kefu sends about a conversation, and an
"escalate" command in a reply. Both end in ``escalation_request(source="email")`` with the
same eligibility rule as the portal and the widget (``escalation_available``).

The link carries the conversation and its contact, signed with ``django.core.signing`` (salt
below) and valid for ``LINK_MAX_AGE``. Opening it only shows a confirmation page (mail
scanners prefetch links and must not escalate); the page's POST asks. The signed token is the
capability: the request is made as the conversation's customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.conversations.models import AuthorKind, Conversation, Message
from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from kefu.routing.escalation import escalation_available, escalation_request
from kefu.routing.models import EscalationSource

SALT = "kefu.routing.escalation-link"
LINK_MAX_AGE = timedelta(days=14)


@dataclass(frozen=True)
class EscalationClaim:
    conversation_id: int
    contact_id: int


def escalation_token(*, conversation_id: int, contact_id: int) -> str:
    return signing.dumps({"c": conversation_id, "k": contact_id}, salt=SALT, compress=False)


def read_escalation_token(token: str) -> EscalationClaim | None:
    """The claim in a genuine, unexpired token; None for anything forged, altered or old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=int(LINK_MAX_AGE.total_seconds()))
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    conversation_id, contact_id = data.get("c"), data.get("k")
    if not isinstance(conversation_id, int) or not isinstance(contact_id, int):
        return None
    return EscalationClaim(conversation_id=conversation_id, contact_id=contact_id)


def escalation_link_for(conversation_id: int) -> str:
    """The absolute one-click link for an email about ``conversation_id``, or "" when its
    customer may not ask to escalate now (the portal's rule: too early, pending, closed...)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or escalation_available(conversation, source=EscalationSource.EMAIL):
        return ""
    token = escalation_token(conversation_id=conversation.pk, contact_id=conversation.contact_id)
    path = reverse("routing:email_link", args=[token])
    return str(settings.KEFU_PUBLIC_URL).rstrip("/") + path


def conversation_for_token(token: str) -> Conversation | None:
    """The conversation a link names, when the link is genuine and the conversation still
    belongs to the contact it was sent to."""
    claim = read_escalation_token(token)
    if claim is None:
        return None
    return (
        Conversation.objects.select_related("contact")
        .filter(pk=claim.conversation_id, contact_id=claim.contact_id)
        .first()
    )


def escalate_by_email(*, message: Message, actor: Actor) -> None:
    """Handle an "escalate" command in a customer's email (``inbox.inbound.COMMAND_HANDLERS``):
    ask to escalate the conversation the mail was stored in, and answer the customer on the
    conversation (an automatic reply, delivered by email) whether it was passed on or why not.

    Called once per stored message, after it is stored, with the sender's language active.
    The reason is the stored body: the secret guard has screened it; the raw mail never is.
    """
    from kefu.conversations.services import message_reply

    conversation = Conversation.objects.get(pk=message.conversation_id)
    reason = message.body.strip()
    if len(reason) < 3:  # "升级" alone
        reason = _("The customer asked by email to escalate.")
    try:
        escalation_request(
            conversation=conversation,
            reason=reason[:2000],
            actor=actor,
            source=EscalationSource.EMAIL,
        )
    except KefuError as exc:
        answer = _(
            "We received your request to escalate, but we cannot pass it on right now: "
            "%(why)s Your message has been added to your request and our team will read it."
        ) % {"why": exc.message}
    else:
        answer = _(
            "Thank you. We have passed your request to a senior colleague, who will review "
            "it. We will let you know here what they decide."
        )
    conversation.refresh_from_db()
    message_reply(
        conversation=conversation,
        body=answer,
        actor=Actor.system("email escalation"),
        author=AuthorKind.SYSTEM,
        set_status=conversation.status,  # an automatic answer does not open or solve anything
    )
