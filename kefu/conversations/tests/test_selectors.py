"""Conversation selectors: who sees what, inbox views, filters, search, sorting and cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.models import Role
from kefu.conversations import services
from kefu.conversations.models import Conversation, Priority, Status, Tier
from kefu.conversations.selectors import (
    SORTS,
    InboxFilters,
    conversation_get_for_agent,
    conversation_get_for_customer,
    conversation_list_for_agent,
    conversation_list_for_customer,
    conversations_visible_to_agent,
    messages_for_agent,
    messages_for_customer,
    other_conversations_of_contact,
    timeline_for_agent,
)
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.pagination import encode_cursor
from kefu.testing import factories


def _ids(items) -> set[int]:
    return {c.pk for c in items}


def _list(user, **filters) -> list[Conversation]:
    return conversation_list_for_agent(user=user, filters=InboxFilters(**filters), limit=100).items


@pytest.fixture
def world(team_a, team_b, agent_a, agent_b, senior, supervisor, customer_1, customer_2):
    """A set of conversations covering every visibility rule, by name."""

    def make(contact, *, team=None, tier=Tier.L1, assignee=None, **kwargs):
        return factories.ConversationFactory(
            contact=contact, team=team, tier=tier, assignee=assignee, **kwargs
        )

    c1, c2 = customer_1.contact, customer_2.contact
    return {
        "a": make(c1, team=team_a),
        "b": make(c2, team=team_b),
        "unrouted": make(c1),
        "a_l2": make(c2, team=team_a, tier=Tier.L2),
        "b_mine": make(c2, team=team_b, assignee=agent_a),
        "a_l2_mine": make(c1, team=team_a, tier=Tier.L2, assignee=agent_a),
        "a_l3": make(c1, team=team_a, tier=Tier.L3),
        "unrouted_l2": make(c2, tier=Tier.L2),
    }


def _names(world, items) -> set[str]:
    by_pk = {c.pk: name for name, c in world.items()}
    return {by_pk[c.pk] for c in items}


# --- visibility -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # L1 agents: their team's and unrouted tier-1 work, plus whatever is assigned to them.
        ("agent_a", {"a", "unrouted", "b_mine", "a_l2_mine"}),
        ("agent_b", {"b", "unrouted", "b_mine"}),
        # L2: tiers 1-2 of their team and unrouted.
        ("senior", {"a", "unrouted", "a_l2", "a_l2_mine", "unrouted_l2"}),
        (
            "supervisor",
            {"a", "b", "unrouted", "a_l2", "b_mine", "a_l2_mine", "a_l3", "unrouted_l2"},
        ),
        (
            "admin_user",
            {"a", "b", "unrouted", "a_l2", "b_mine", "a_l2_mine", "a_l3", "unrouted_l2"},
        ),
    ],
)
def test_each_persona_sees_exactly_their_conversations(request, world, persona, expected):
    user = request.getfixturevalue(persona)
    assert _names(world, conversations_visible_to_agent(user)) == expected
    for name, conversation in world.items():
        if name in expected:
            assert conversation_get_for_agent(user=user, pk=conversation.pk) == conversation
        else:
            with pytest.raises(NotFound):
                conversation_get_for_agent(user=user, pk=conversation.pk)


def test_customers_and_inactive_staff_see_nothing(world, customer_1):
    inactive = factories.StaffFactory(role=Role.SUPERVISOR, is_active=False)
    for user in (customer_1, inactive):
        assert list(conversations_visible_to_agent(user)) == []
        with pytest.raises(NotFound):
            conversation_get_for_agent(user=user, pk=world["a"].pk)


def test_missing_conversation_is_not_found(supervisor):
    with pytest.raises(NotFound):
        conversation_get_for_agent(user=supervisor, pk=999_999)


# --- inbox views ----------------------------------------------------------------------------


def test_agent_views_mine_unassigned_and_teams(world, agent_a):
    assert _names(world, _list(agent_a, view="mine")) == {"b_mine", "a_l2_mine"}
    assert _names(world, _list(agent_a, view="unassigned")) == {"a", "unrouted"}
    assert _names(world, _list(agent_a, view="teams")) == {"a", "a_l2_mine"}


def test_senior_views(world, senior):
    assert _names(world, _list(senior, view="mine")) == set()
    assert _names(world, _list(senior, view="unassigned")) == {
        "a",
        "unrouted",
        "a_l2",
        "unrouted_l2",
    }
    assert _names(world, _list(senior, view="teams")) == {"a", "a_l2", "a_l2_mine"}


@pytest.mark.parametrize("persona", ["agent_a", "agent_b", "senior"])
def test_all_view_is_refused_for_agents(request, world, persona):
    with pytest.raises(NotFound):
        _list(request.getfixturevalue(persona), view="all")


def test_supervisor_all_and_unassigned_views(world, supervisor):
    assert _names(world, _list(supervisor, view="all")) == set(world)
    assert _names(world, _list(supervisor, view="unassigned")) == set(world) - {
        "b_mine",
        "a_l2_mine",
    }
    assert _list(supervisor, view="mine") == []
    assert _list(supervisor, view="teams") == []  # the supervisor belongs to no team


@pytest.mark.parametrize(("field", "value"), [("view", "everything"), ("sort", "random")])
def test_unknown_view_or_sort_is_refused(supervisor, field, value):
    with pytest.raises(ValidationFailed) as excinfo:
        _list(supervisor, **{field: value})
    assert list(excinfo.value.fields) == [field]


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def varied(db, team_a, team_b, customer_1, agent_a, supervisor, actor_of):
    """Conversations that differ in one attribute each (status, priority, channel, ...)."""
    contact = customer_1.contact
    zh_contact = factories.ContactFactory(language="zh-hans")
    plain = factories.ConversationFactory(contact=contact)
    rows = {
        "plain": plain,
        "solved": factories.ConversationFactory(contact=contact, status=Status.SOLVED),
        "urgent": factories.ConversationFactory(contact=contact, priority=Priority.URGENT),
        "telegram": factories.ConversationFactory(contact=contact, channel="telegram"),
        "l2": factories.ConversationFactory(contact=contact, tier=Tier.L2),
        "zh": factories.ConversationFactory(contact=zh_contact),
        "team_b": factories.ConversationFactory(contact=contact, team=team_b),
    }
    factories.TagFactory(name="VIP")
    services.conversation_set_tags(conversation=plain, names=["VIP"], actor=actor_of(supervisor))
    return rows


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": ["solved"]}, {"solved"}),
        (
            {"status": ["new", "solved"]},
            {"plain", "solved", "urgent", "telegram", "l2", "zh", "team_b"},
        ),
        ({"priority": [Priority.URGENT]}, {"urgent"}),
        ({"channel": ["telegram"]}, {"telegram"}),
        ({"tier": [2]}, {"l2"}),
        ({"language": ["zh-hans"]}, {"zh"}),
        ({"tag": "vip"}, {"plain"}),
        ({"tag": "missing"}, set()),
        (
            {
                "status": ["new"],
                "priority": [Priority.NORMAL],
                "language": ["en"],
                "tier": [1],
                "channel": ["web"],
            },
            {"plain", "team_b"},
        ),
    ],
)
def test_each_filter_narrows_the_inbox(varied, supervisor, filters, expected):
    by_pk = {c.pk: name for name, c in varied.items()}
    assert {by_pk[c.pk] for c in _list(supervisor, view="all", **filters)} == expected


def test_team_and_contact_filters(varied, supervisor, team_b):
    by_pk = {c.pk: name for name, c in varied.items()}
    assert {by_pk[c.pk] for c in _list(supervisor, view="all", team=team_b.pk)} == {"team_b"}
    zh_contact = varied["zh"].contact_id
    assert {by_pk[c.pk] for c in _list(supervisor, view="all", contact=zh_contact)} == {"zh"}


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def corpus(db, customer_1):
    contact = customer_1.contact
    make = factories.ConversationFactory
    return {
        "en": make(
            contact=contact,
            subject="Withdrawal stuck",
            body="My USDT withdrawal is pending since yesterday.",
        ),
        "zh": make(contact=contact, subject="提现失败", body="我的提现还没有到账，请帮忙查一下。"),
        "mixed": make(contact=contact, subject="USDT提现问题", body="TRC20网络，交易哈希已提供"),
        "deposit": make(
            contact=contact, subject="Deposit missing", body="BTC deposit not credited. 充值未到账"
        ),
    }


def _search(corpus, user, q) -> set[str]:
    by_pk = {c.pk: name for name, c in corpus.items()}
    return {by_pk[c.pk] for c in _list(user, view="all", q=q) if c.pk in by_pk}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("usdt", {"en", "mixed"}),
        ("WITHDRAWAL", {"en"}),
        ("usdt pending", {"en"}),
        ("usdt bitcoin", set()),
        ("Deposit", {"deposit"}),
        ("提现", {"zh", "mixed"}),  # a two-character Chinese word
        ("到账", {"zh", "deposit"}),
        ("没有到账", {"zh"}),
        ("提现失败", {"zh"}),
        ("充值", {"deposit"}),
        ("USDT提现", {"mixed"}),  # mixed Latin and Chinese in one query
        ("trc20 哈希", {"mixed"}),
        ("取消", set()),
    ],
)
def test_search_in_english_and_chinese(corpus, supervisor, q, expected):
    assert _search(corpus, supervisor, q) == expected


def test_search_finds_words_of_a_later_reply_and_note(corpus, supervisor, agent_a, actor_of):
    assert _search(corpus, supervisor, "blockchain") == set()
    services.message_reply(
        conversation=corpus["en"],
        body="Please check the blockchain explorer",
        actor=actor_of(agent_a),
    )
    services.note_add(conversation=corpus["zh"], body="已联系钱包团队", actor=actor_of(agent_a))
    assert _search(corpus, supervisor, "blockchain") == {"en"}
    assert _search(corpus, supervisor, "blockchain withdrawal") == {"en"}
    assert _search(corpus, supervisor, "钱包") == {"zh"}


def test_search_only_returns_conversations_the_agent_may_see(world, agent_b, supervisor):
    assert _names(world, _list(supervisor, view="all", q="withdrawal")) == set(world)
    assert _names(world, _list(agent_b, view="unassigned", q="withdrawal")) == {"b", "unrouted"}


def test_reference_query_finds_exactly_that_conversation(world, supervisor, agent_b):
    target = world["a"]
    assert target.reference == f"KF-{target.pk:06d}"
    for q in (target.reference, target.reference.lower(), f"  {target.reference} "):
        assert [c.pk for c in _list(supervisor, view="all", q=q)] == [target.pk]
    # Someone who may not see it gets nothing rather than the conversation.
    assert _list(agent_b, view="unassigned", q=target.reference) == []
    missing = f"KF-{max(c.pk for c in world.values()) + 1000:06d}"
    assert _list(supervisor, view="all", q=missing) == []


def test_query_kf_000001_finds_conversation_number_one(db, supervisor):
    contact = factories.ContactFactory()
    for _ in range(2):  # other conversations the reference must not match
        factories.ConversationFactory(contact=contact)
    first = Conversation.objects.filter(pk=1).first()
    if first is None:  # ids are not reset between tests; create number one explicitly
        now = timezone.now()
        first = Conversation.objects.create(
            pk=1, contact=contact, subject="First", created_at=now, last_activity_at=now
        )
    assert first.reference == "KF-000001"
    for q in ("KF-000001", "kf-000001", "KF-1"):
        assert [c.pk for c in _list(supervisor, view="all", q=q)] == [1]


def test_query_without_search_terms_filters_nothing(world, supervisor):
    assert _names(world, _list(supervisor, view="all", q=" !!! ")) == set(world)


# --- sorting and cursors --------------------------------------------------------------------


@pytest.fixture
def sixty(db):
    """60 conversations with many ties in every sort key, so the id tie-breaker matters."""
    contact = factories.ContactFactory()
    base = timezone.now().replace(microsecond=0) - timedelta(days=1)
    rows = [
        Conversation(
            contact=contact,
            subject=f"row {i}",
            priority=i % 4,
            status=Status.NEW,
            created_at=base + timedelta(seconds=i // 5),
            last_activity_at=base + timedelta(minutes=(i * 7) % 20, microseconds=(i % 2) * 500),
        )
        for i in range(60)
    ]
    Conversation.objects.bulk_create(rows)
    return list(Conversation.objects.filter(contact=contact))


def _expected_order(rows: list[Conversation], sort: str) -> list[int]:
    keys = {
        "activity": lambda c: (c.last_activity_at, c.pk),
        "priority": lambda c: (c.priority, c.last_activity_at, c.pk),
        "age": lambda c: (c.created_at, c.pk),
    }
    return [c.pk for c in sorted(rows, key=keys[sort], reverse=sort != "age")]


@pytest.mark.parametrize("sort", [s for s in SORTS if s != "sla"])  # sla: kefu/sla/tests
@pytest.mark.parametrize("limit", [1, 7, 25, 60, 100])
def test_cursor_walk_returns_every_row_once_in_order(sixty, supervisor, sort, limit):
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = conversation_list_for_agent(
            user=supervisor, filters=InboxFilters(view="all", sort=sort), cursor=cursor, limit=limit
        )
        pages += 1
        assert len(page.items) <= limit
        seen += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
        assert len(page.items) == limit
    assert seen == _expected_order(sixty, sort)
    assert len(set(seen)) == 60
    assert pages == -(-60 // limit)  # no empty trailing page


def test_sort_orders_on_a_small_set(db, supervisor):
    contact = factories.ContactFactory()
    now = timezone.now()
    old = factories.ConversationFactory(contact=contact, subject="old")
    urgent = factories.ConversationFactory(
        contact=contact, subject="urgent", priority=Priority.URGENT
    )
    recent = factories.ConversationFactory(contact=contact, subject="recent")
    Conversation.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=3), last_activity_at=now - timedelta(days=3)
    )
    Conversation.objects.filter(pk=urgent.pk).update(
        created_at=now - timedelta(days=2), last_activity_at=now - timedelta(days=2)
    )
    Conversation.objects.filter(pk=recent.pk).update(
        created_at=now - timedelta(days=1), last_activity_at=now
    )

    def order(sort):
        return [c.subject for c in _list(supervisor, view="all", sort=sort)]

    assert order("activity") == ["recent", "urgent", "old"]
    assert order("priority") == ["urgent", "recent", "old"]
    assert order("age") == ["old", "urgent", "recent"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "e30",  # {} in base64
        encode_cursor([1, 2, 3]),  # three values for a two-field sort
        encode_cursor(["yesterday", 5]),
        encode_cursor([{"t": "not-a-date"}, 5]),
        encode_cursor([None, None]),
        encode_cursor([5, "x"]),
    ],
)
def test_invalid_cursor_is_a_validation_error(sixty, supervisor, cursor):
    with pytest.raises(ValidationFailed) as excinfo:
        conversation_list_for_agent(
            user=supervisor, filters=InboxFilters(view="all"), cursor=cursor
        )
    assert list(excinfo.value.fields) == ["cursor"]


def test_cursor_from_one_sort_is_refused_by_another(sixty, supervisor):
    page = conversation_list_for_agent(
        user=supervisor, filters=InboxFilters(view="all", sort="activity"), limit=5
    )
    with pytest.raises(ValidationFailed):
        conversation_list_for_agent(
            user=supervisor,
            filters=InboxFilters(view="all", sort="priority"),
            cursor=page.next_cursor,
        )


def test_inbox_page_query_count_does_not_grow_with_rows(db, supervisor, agent_a, team_a):
    def queries_for_page(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = conversation_list_for_agent(
                user=supervisor, filters=InboxFilters(view="all"), limit=limit
            )
            for c in page.items:
                assert c.contact.email
                assert c.team.name
                assert c.assignee.email
        assert len(page.items) == limit
        return len(captured.captured_queries)

    for _ in range(13):
        factories.ConversationFactory(team=team_a, assignee=agent_a)
    assert queries_for_page(2) == queries_for_page(12) == 1


# --- customers and timelines ----------------------------------------------------------------


def test_customer_lists_and_opens_only_their_own_conversations(world, customer_1, customer_2):
    mine = conversation_list_for_customer(contact=customer_1.contact)
    assert _ids(mine) == {c.pk for c in world.values() if c.contact_id == customer_1.contact.pk}
    assert all(c.contact_id == customer_1.contact.pk for c in mine)
    assert conversation_get_for_customer(contact=customer_1.contact, pk=world["a"].pk) == world["a"]
    with pytest.raises(NotFound):
        conversation_get_for_customer(contact=customer_1.contact, pk=world["b"].pk)
    with pytest.raises(NotFound):
        conversation_get_for_customer(contact=customer_2.contact, pk=world["a"].pk)


def test_customer_list_is_most_recent_first(db):
    contact = factories.ContactFactory()
    first = factories.ConversationFactory(contact=contact, subject="first")
    second = factories.ConversationFactory(contact=contact, subject="second")
    Conversation.objects.filter(pk=first.pk).update(last_activity_at=timezone.now())
    assert [c.pk for c in conversation_list_for_customer(contact=contact)] == [first.pk, second.pk]


def test_messages_for_customer_exclude_internal_notes(conversation_a, agent_a, actor_of):
    actor = actor_of(agent_a)
    note = services.note_add(
        conversation=conversation_a, body="internal: looks like fraud", actor=actor
    )
    reply = services.message_reply(conversation=conversation_a, body="We are checking", actor=actor)
    first = conversation_a.messages.order_by("pk").first()
    customer_view = messages_for_customer(conversation_a)
    assert [m.pk for m in customer_view] == [first.pk, reply.pk]
    assert all(m.kind == "reply" for m in customer_view)
    assert [m.pk for m in messages_for_agent(conversation_a).order_by("created_at", "id")] == [
        first.pk,
        note.pk,
        reply.pk,
    ]


def test_timeline_for_agent_is_oldest_first_with_notes(conversation_a, agent_a, actor_of):
    actor = actor_of(agent_a)
    services.note_add(conversation=conversation_a, body="note", actor=actor)
    services.conversation_set_priority(
        conversation=conversation_a, priority=Priority.HIGH, actor=actor
    )
    services.message_reply(conversation=conversation_a, body="reply", actor=actor)
    kinds = [t.kind for t in timeline_for_agent(conversation_a)]
    assert kinds == ["created", "note", "priority", "message", "status"]


def test_other_conversations_of_contact_respect_visibility(world, agent_a, supervisor):
    others = other_conversations_of_contact(user=supervisor, conversation=world["a"])
    expected = {c.pk for n, c in world.items() if c.contact_id == world["a"].contact_id} - {
        world["a"].pk
    }
    assert _ids(others) == expected
    assert _names(world, other_conversations_of_contact(user=agent_a, conversation=world["a"])) == {
        "unrouted",
        "a_l2_mine",
    }
