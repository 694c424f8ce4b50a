from __future__ import annotations

from django import template

from kefu.conversations.models import Conversation
from kefu.routing.models import EscalationRequest, EscalationState

register = template.Library()


@register.simple_tag
def pending_escalation(conversation: Conversation) -> EscalationRequest | None:
    """The customer's pending escalation request on ``conversation``, if any."""
    return EscalationRequest.objects.filter(
        conversation=conversation, state=EscalationState.PENDING
    ).first()
