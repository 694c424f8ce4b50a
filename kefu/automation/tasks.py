"""Background jobs for automation rules: load by id -> evaluate."""

from __future__ import annotations

from django_tasks import task

from kefu.automation.models import Trigger
from kefu.automation.services import automation_evaluate, automation_waiting_due
from kefu.conversations.models import Conversation


@task()
def evaluate_rules(*, conversation_id: int, trigger: str) -> None:
    """Evaluate the rules of ``trigger`` on one conversation (an event happened to it)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is not None:
        automation_evaluate(conversation=conversation, trigger=trigger)


@task()
def evaluate_waiting_rules() -> None:
    """Periodic: time conditions ("waiting longer than N minutes")."""
    for pk in automation_waiting_due():
        conversation = Conversation.objects.filter(pk=pk).first()
        if conversation is not None:
            automation_evaluate(conversation=conversation, trigger=Trigger.WAITING)


def _active_triggers() -> frozenset[str]:
    from kefu.automation.models import AutomationRule

    return frozenset(
        AutomationRule.objects.filter(is_active=True).values_list("trigger", flat=True)
    )


def on_event(conversation_id: int, trigger: str) -> None:
    """Called by the conversations service inside its transaction: evaluate after commit."""
    from kefu.core import policy_cache
    from kefu.core.jobs import enqueue_on_commit

    # No job at all while no rule listens for this trigger (the usual case).
    if trigger in policy_cache.cached("automation.triggers", _active_triggers):
        enqueue_on_commit(evaluate_rules, conversation_id=conversation_id, trigger=trigger)
