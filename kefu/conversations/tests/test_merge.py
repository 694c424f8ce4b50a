"""Merging duplicate conversations of one customer: linked into the target, the source closed
with a pointer, both timelines show it, audited, staff only, same customer only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations.merge import conversation_merge
from kefu.conversations.models import Message, MessageKind, Status, TimelineEntry
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def duplicate(customer_1, team_a):
    return factories.ConversationFactory(
        contact=customer_1.contact, team=team_a, subject="Same withdrawal again", body="Again!"
    )


def test_merge_links_closes_and_shows_on_both_timelines(
    conversation_a, duplicate, agent_a, actor_of
):
    conversation_merge(source=duplicate, target=conversation_a, actor=actor_of(agent_a))
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.merged_into_id == conversation_a.pk
    note = Message.objects.filter(conversation=conversation_a, kind=MessageKind.NOTE).get()
    assert duplicate.reference in note.body
    assert "Again!" in note.body
    assert note.metadata == {"merged_from": duplicate.pk}
    into = TimelineEntry.objects.get(conversation=duplicate, kind="merge")
    assert into.data == {"into": conversation_a.pk, "reference": conversation_a.reference}
    came = TimelineEntry.objects.get(conversation=conversation_a, kind="merge")
    assert came.data["from"] == duplicate.pk
    assert set(
        AuditEntry.objects.filter(action__startswith="conversation.merged").values_list(
            "action", "object_id"
        )
    ) == {
        ("conversation.merged", str(duplicate.pk)),
        ("conversation.merged_into", str(conversation_a.pk)),
    }
    # Both pages say so in words.
    client = Client()
    client.force_login(agent_a, backend=BACKEND)
    html = client.get(reverse("workspace:conversation", args=[duplicate.pk])).content.decode()
    assert f"Merged into {conversation_a.reference} and closed." in html
    html = client.get(reverse("workspace:conversation", args=[conversation_a.pk])).content.decode()
    assert f"Merged {duplicate.reference} into this conversation." in html


def test_other_customers_conversation_cannot_be_merged(conversation_a, agent_a, actor_of, db):
    other = factories.ConversationFactory()
    with pytest.raises(ValidationFailed):
        conversation_merge(source=other, target=conversation_a, actor=actor_of(agent_a))
    other.refresh_from_db()
    assert other.status != Status.CLOSED


def test_merged_or_closed_cannot_be_merged_again(conversation_a, duplicate, agent_a, actor_of):
    conversation_merge(source=duplicate, target=conversation_a, actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        conversation_merge(source=duplicate, target=conversation_a, actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        conversation_merge(source=conversation_a, target=duplicate, actor=actor_of(agent_a))


def test_customers_cannot_merge(conversation_a, duplicate, customer_1, actor_of):
    with pytest.raises(PermissionDenied):
        conversation_merge(source=duplicate, target=conversation_a, actor=actor_of(customer_1))


def test_workspace_merge_needs_both_visible(conversation_a, agent_a, agent_b, customer_1, team_b):
    hidden = factories.ConversationFactory(contact=customer_1.contact, team=team_b)
    client = Client()
    client.force_login(agent_a, backend=BACKEND)
    before = AuditEntry.objects.count()
    client.post(reverse("workspace:merge", args=[conversation_a.pk]), {"target": hidden.reference})
    hidden.refresh_from_db()
    conversation_a.refresh_from_db()
    assert conversation_a.merged_into_id is None
    assert AuditEntry.objects.count() == before
    visible = factories.ConversationFactory(contact=customer_1.contact, team=conversation_a.team)
    response = client.post(
        reverse("workspace:merge", args=[visible.pk]), {"target": conversation_a.reference}
    )
    assert response.status_code == 302
    visible.refresh_from_db()
    assert visible.merged_into_id == conversation_a.pk
