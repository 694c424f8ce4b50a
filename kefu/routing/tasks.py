"""Background jobs of routing: serve waiting queues when an agent frees up, and the periodic
re-offer of conversations whose agent has not answered."""

from __future__ import annotations

from django_tasks import task

from kefu.core.actor import Actor


@task()
def assign_waiting_for_agent_task(*, agent_id: int) -> None:
    """An agent came online or freed capacity: assign their teams' waiting conversations."""
    from kefu.routing.services import assign_waiting_for_agent

    assign_waiting_for_agent(agent_id=agent_id, actor=Actor.system("routing"))


@task()
def assign_conversation_task(*, conversation_id: int) -> None:
    """A conversation waits for a person again (escalated away from its agent): offer it now
    rather than at the next periodic pass."""
    from kefu.conversations.models import Conversation
    from kefu.routing.services import assign_conversation, declined_by

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return
    assign_conversation(
        conversation=conversation,
        actor=Actor.system("routing"),
        exclude=declined_by(conversation_id),
    )


@task()
def reoffer_stale_conversations() -> None:
    """Periodic: re-offer conversations whose agent has not answered in time, then serve the
    queues (agents may have freed capacity without an event)."""
    from kefu.routing.services import assign_waiting, reoffer_stale

    actor = Actor.system("routing")
    reoffer_stale(actor=actor)
    from kefu.accounts.models import Team

    assign_waiting(team_ids=[*Team.objects.values_list("pk", flat=True), None], actor=actor)
