"""Background jobs of the assistant in live chat: one turn per customer message, and the
periodic close of idle sessions (outcomes for analytics)."""

from __future__ import annotations

from django_tasks import task

from kefu.core.actor import Actor
from kefu.core.jobs import run_with_retry


@task()
def assistant_reply(*, message_id: int, attempt: int = 1) -> None:
    """Answer the customer's chat message ``message_id`` as the assistant.

    Idempotent: the session remembers the last message it answered, so a retried or duplicated
    job posts nothing. Retried with backoff when a dependency is briefly unavailable.
    """
    from kefu.assistant.chat import run_turn

    def run() -> None:
        run_turn(message_id=message_id)

    run_with_retry(assistant_reply, run, attempt=attempt, message_id=message_id)


@task()
def close_idle_assistant_sessions() -> None:
    """Periodic: sessions quiet for 30 minutes become resolved (answered) or abandoned."""
    from kefu.assistant.services import assistant_sessions_close_idle

    assistant_sessions_close_idle(actor=Actor.system("assistant outcomes"))
