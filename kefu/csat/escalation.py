"""The one place a negative rating reaches the escalation machinery (kefu.routing).

The customer ticked "escalate" on a negative answer: the CSAT service vouches for the rating
and asks ``kefu.routing.escalation.escalation_request`` with ``source="csat"`` (no waiting time),
as the system on the customer's behalf; the request then waits for a senior agent's decision
like any other, and the customer sees its state on the request page.
"""

from __future__ import annotations

from kefu.conversations.models import Conversation
from kefu.core.actor import Actor


def escalation_available() -> bool:
    """Whether customers can be offered escalation after a negative rating."""
    return True


def request_escalation(*, conversation: Conversation, reason: str, actor: Actor) -> bool:
    """Ask for the conversation to be escalated on the customer's behalf (``actor`` is the
    customer, already checked by the caller). Raises routing's errors (a pending request,
    too soon after the last one) for the form to show."""
    from kefu.routing.escalation import escalation_request
    from kefu.routing.models import EscalationSource

    escalation_request(
        conversation=conversation,
        reason=reason,
        actor=Actor.system("csat"),
        source=EscalationSource.CSAT,
    )
    return True
