"""The one place a negative rating reaches the escalation machinery (kefu.routing, built on
another branch). The integrator wires :func:`request_escalation` to
``kefu.routing.services.escalation_request(*, conversation, reason, actor)``; until then it
reports "not available" and the survey pages do not offer the button.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kefu.conversations.models import Conversation
from kefu.core.actor import Actor


def _service() -> Any:
    try:
        return getattr(import_module("kefu.routing.services"), "escalation_request", None)
    except ImportError:
        return None


def escalation_available() -> bool:
    """Whether customers can be offered escalation after a negative rating."""
    return _service() is not None


def request_escalation(*, conversation: Conversation, reason: str, actor: Actor) -> bool:
    """Ask for the conversation to be escalated on the customer's behalf; False if unavailable."""
    service = _service()
    if service is None:
        return False
    service(conversation=conversation, reason=reason, actor=actor)
    return True
