from kefu.conversations.selectors import conversation_get_for_agent, conversations_visible_to_agent


def test_agent_sees_own_team_conversation_only(agent_a, conversation_a, conversation_b):
    visible = set(conversations_visible_to_agent(agent_a).values_list("pk", flat=True))
    assert visible == {conversation_a.pk}
    assert conversation_get_for_agent(user=agent_a, pk=conversation_a.pk) == conversation_a
