"""What one reply sent over the agent socket costs in statements (ADR 0030): the point of the
socket path is to skip the HTTP request's work, so adding a statement here is a decision."""

from __future__ import annotations

import pytest
from django.db import connection

from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.models import Message
from kefu.realtime.consumers import AgentConsumer, AgentMessageSend

# The agent read again (still active, still staff), the permission-scoped conversation, then
# message_reply: the locked conversation, the client key look-up, the message, the
# conversation's counters, the search index (read, delete, insert on SQLite), the timeline row,
# the audit chain (head, entry, head update), the SLA timers, the assistant session; the reply's
# transaction is a savepoint inside the test's (SAVEPOINT and RELEASE). The author is not read
# again: the actor carries the agent's row just read (was 18). Compare REPLY_STATEMENTS_SQLITE
# (kefu/workspace/tests/test_live.py) for the same reply by HTTP.
SOCKET_REPLY_STATEMENTS_SQLITE = 17


@pytest.mark.django_db
def test_a_reply_over_the_socket_runs_a_pinned_number_of_statements(
    agent_a,
    conversation_a,
    actor_of,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    if connection.vendor != "sqlite":
        pytest.skip("the search index writes differ by database; pinned on SQLite")
    services.message_reply(conversation=conversation_a, body="First.", actor=actor_of(agent_a))
    consumer = AgentConsumer()
    consumer.user = agent_a
    consumer.scope = {"client": ("127.0.0.1", 50000)}
    frame = AgentMessageSend(
        type="message.send",
        id="cost-key-000001",
        conversation_id=conversation_a.pk,
        body="Second.",
        kind="reply",
    )

    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(SOCKET_REPLY_STATEMENTS_SQLITE),
    ):
        stored = consumer._send_message(frame)

    message = Message.objects.get(pk=stored["id"])
    assert (message.body, message.author_user_id, message.seq) == ("Second.", agent_a.pk, 3)
    assert AuditEntry.objects.filter(action="message.replied").count() == 2
    assert callbacks  # the pushes and the customer's notification wait for the commit
