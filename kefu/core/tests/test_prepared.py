"""kefu.core.prepared: a queryset compiled once per connection gives what the ORM gives."""

from __future__ import annotations

import pytest
from django.db import connections

from kefu.accounts.models import Role
from kefu.conversations import selectors
from kefu.conversations.models import Conversation
from kefu.core.errors import NotFound
from kefu.core.prepared import Prepared
from kefu.testing import factories

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_are_the_orms_with_related_rows_cached(conversation_a, django_assert_num_queries):
    def build(pk):
        return Conversation.objects.select_related("contact", "assignee", "team").filter(pk=pk)

    prepared = Prepared(build, ids=1, name="test_rows_are_the_orms")
    (orm,) = list(build(conversation_a.pk))
    with django_assert_num_queries(1):
        (row,) = prepared(conversation_a.pk)
        # Converted as the ORM converts (datetimes, JSON, ...); related rows with no query.
        assert _fields(row) == _fields(orm)
        assert _fields(row.contact) == _fields(orm.contact)
        assert _fields(row.team) == _fields(orm.team)
        assert row.assignee is None
    assert row._state.db == "default"
    assert not row._state.adding
    assert prepared(conversation_a.pk + 1000) == []


def test_it_compiles_once_per_connection_and_takes_new_ids_each_time(
    conversation_a, conversation_b
):
    built = []

    def build(pk):
        built.append(pk)
        return Conversation.objects.filter(pk=pk).order_by()

    prepared = Prepared(build, ids=1, name="test_compiles_once")
    assert [c.pk for c in prepared(conversation_a.pk)] == [conversation_a.pk]
    assert [c.pk for c in prepared(conversation_b.pk)] == [conversation_b.pk]
    assert len(built) == 1  # with a stand-in id, not either of the real ones
    assert "kefu_prepared:test_compiles_once" in connections["default"].__dict__


def test_an_id_used_twice_in_the_query_takes_the_value_in_both_places(
    agent_a, agent_b, conversation_a, conversation_b
):
    # The agent's scope names the agent twice (assignee, and the teams subquery): two agents of
    # the same role share one compiled statement and each gets only their own team's chats.
    assert selectors.conversation_get_for_agent(user=agent_a, pk=conversation_a.pk)
    with pytest.raises(NotFound):
        selectors.conversation_get_for_agent(user=agent_a, pk=conversation_b.pk)
    assert selectors.conversation_get_for_agent(user=agent_b, pk=conversation_b.pk)
    with pytest.raises(NotFound):
        selectors.conversation_get_for_agent(user=agent_b, pk=conversation_a.pk)
    conversation_b.assignee = agent_a
    conversation_b.save(update_fields=["assignee"])
    assert selectors.conversation_get_for_agent(user=agent_a, pk=conversation_b.pk)


def test_the_selector_keeps_each_roles_scope(
    agent_a, senior, supervisor, customer_1, conversation_a, team_a
):
    hard = factories.ConversationFactory(contact=customer_1.contact, team=team_a, tier=2)
    with pytest.raises(NotFound):  # above an L1 agent's tier
        selectors.conversation_get_for_agent(user=agent_a, pk=hard.pk)
    assert selectors.conversation_get_for_agent(user=senior, pk=hard.pk).pk == hard.pk
    assert selectors.conversation_get_for_agent(user=supervisor, pk=hard.pk).pk == hard.pk
    with pytest.raises(NotFound):  # a customer is never an agent
        selectors.conversation_get_for_agent(user=customer_1, pk=conversation_a.pk)
    agent_a.is_active = False
    with pytest.raises(NotFound):
        selectors.conversation_get_for_agent(user=agent_a, pk=conversation_a.pk)
    assert supervisor.role == Role.SUPERVISOR
