"""The inbox: views, filters, search, sorting, keyset pages and their query cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.conversations.models import Channel, Priority, Status
from kefu.workspace.tests.conftest import login, refs

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- views ----------------------------------------------------------------------------------


@pytest.fixture
def spread(agent_a, agent_b, team_a, team_b, customer_1, make_conversation):
    """A conversation in each corner of agent_a's world, oldest activity first."""
    contact = customer_1.contact
    return {
        "mine": make_conversation(
            contact=contact, team=team_a, assignee=agent_a, subject="Mine", last_activity_at=at(1)
        ),
        "team_open": make_conversation(
            contact=contact, team=team_a, subject="Team A open", last_activity_at=at(2)
        ),
        "unrouted": make_conversation(contact=contact, subject="Unrouted", last_activity_at=at(3)),
        "team_b": make_conversation(
            contact=contact, team=team_b, subject="Team B", last_activity_at=at(4)
        ),
        "team_b_mine": make_conversation(
            contact=contact,
            team=team_b,
            assignee=agent_a,
            subject="Team B but mine",
            last_activity_at=at(5),
        ),
        "team_b_theirs": make_conversation(
            contact=contact,
            team=team_b,
            assignee=agent_b,
            subject="Team B, agent B",
            last_activity_at=at(6),
        ),
        "tier2": make_conversation(
            contact=contact, team=team_a, tier=2, subject="Tier 2", last_activity_at=at(7)
        ),
    }


def test_mine_view_is_the_default_and_lists_conversations_assigned_to_me(client_a, spread):
    response = client_a.get("/agent/")

    assert response.status_code == 200
    assert refs(response) == [spread["team_b_mine"].reference, spread["mine"].reference]
    assert '<h1 id="inbox-heading">Mine</h1>' in response.content.decode()


def test_unassigned_view_lists_visible_unassigned_conversations(client_a, spread):
    response = client_a.get("/agent/?view=unassigned")

    assert refs(response) == [spread["unrouted"].reference, spread["team_open"].reference]


def test_teams_view_lists_my_teams_conversations(client_a, spread):
    response = client_a.get("/agent/?view=teams")

    assert refs(response) == [spread["team_open"].reference, spread["mine"].reference]


def test_all_view_lists_every_conversation_for_a_supervisor(client_supervisor, spread):
    response = client_supervisor.get("/agent/?view=all")

    expected = [
        c.reference for c in sorted(spread.values(), key=lambda c: c.last_activity_at, reverse=True)
    ]
    assert refs(response) == expected


def test_all_view_is_refused_with_a_message_for_an_agent(client_a, spread):
    response = client_a.get("/agent/?view=all")

    assert response.status_code == 400
    assert response.context["rows"] == []
    html = response.content.decode()
    assert "Some filters are not valid. Check them and try again." in html
    assert "Select a valid choice. all is not one of the available choices." in html


def test_senior_sees_tier_two_conversations_of_their_team(client_senior, spread):
    response = client_senior.get("/agent/?view=teams")

    assert refs(response) == [
        spread["tier2"].reference,
        spread["team_open"].reference,
        spread["mine"].reference,
    ]


# --- rows -----------------------------------------------------------------------------------


def test_row_shows_every_column(agent_a, team_a, customer_1, make_conversation):
    agent_a.timezone = "Asia/Shanghai"
    agent_a.save(update_fields=["timezone"])
    conversation = make_conversation(
        contact=customer_1.contact,
        team=team_a,
        assignee=agent_a,
        subject="Deposit missing",
        channel=Channel.TELEGRAM,
        language="zh-hans",
        priority=Priority.URGENT,
        status=Status.PENDING,
        tags=["deposit", "vip"],
        last_activity_at=datetime(2025, 1, 1, 23, 30, tzinfo=UTC),
    )

    html = login(agent_a).get("/agent/").content.decode()

    assert f'<a href="/agent/c/{conversation.pk}/">{conversation.reference}</a>' in html
    assert f'<a href="/agent/c/{conversation.pk}/">Deposit missing</a>' in html
    assert f"<td>{customer_1.contact.name}</td>" in html
    assert '<span class="badge status-pending">Pending on customer</span>' in html
    assert '<span class="badge prio-3">Urgent</span>' in html
    assert '<abbr title="L1 front line">L1</abbr>' in html
    assert '<td class="hide-sm">Telegram</td>' in html
    assert '<td class="hide-sm">Simplified Chinese</td>' in html
    assert f"<td>{agent_a.display_name}</td>" in html
    assert '<td class="hide-sm">Team A</td>' in html
    assert '<span class="badge">deposit</span> <span class="badge">vip</span>' in html
    # 23:30 UTC is 07:30 the next morning in Shanghai, the agent's time zone.
    assert '<time datetime="2025-01-02T07:30:00+08:00">2025-01-02 07:30</time>' in html


def test_empty_view_says_so(client_a):
    response = client_a.get("/agent/")

    assert response.status_code == 200
    assert "No conversations match." in response.content.decode()


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def varied(supervisor, team_a, team_b, customer_1, make_conversation):
    contact = customer_1.contact
    return {
        "a": make_conversation(
            contact=contact,
            team=team_a,
            status=Status.OPEN,
            priority=Priority.LOW,
            channel=Channel.EMAIL,
            language="en",
            tags=["refund"],
            last_activity_at=at(1),
        ),
        "b": make_conversation(
            contact=contact,
            team=team_b,
            status=Status.PENDING,
            priority=Priority.HIGH,
            channel=Channel.CHAT,
            language="zh-hans",
            tier=2,
            tags=["refund", "kyc"],
            last_activity_at=at(2),
        ),
        "c": make_conversation(
            contact=contact,
            status=Status.SOLVED,
            priority=Priority.URGENT,
            channel=Channel.PHONE,
            language="en",
            tier=3,
            last_activity_at=at(3),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["a"]),
        ("status=open&status=solved", ["c", "a"]),
        ("priority=2", ["b"]),
        ("priority=0&priority=3", ["c", "a"]),
        ("channel=chat", ["b"]),
        ("channel=email&channel=phone", ["c", "a"]),
        ("tier=2", ["b"]),
        ("tier=1&tier=3", ["c", "a"]),
        ("language=zh-hans", ["b"]),
        ("language=en", ["c", "a"]),
        ("tag=refund", ["b", "a"]),
        ("tag=kyc", ["b"]),
        ("status=pending&language=en", []),
    ],
)
def test_filters_narrow_the_all_view(client_supervisor, varied, query, expected):
    response = client_supervisor.get(f"/agent/?view=all&{query}")

    assert response.status_code == 200
    assert refs(response) == [varied[k].reference for k in expected]


def test_team_filter(client_supervisor, varied, team_b):
    response = client_supervisor.get(f"/agent/?view=all&team={team_b.pk}")

    assert refs(response) == [varied["b"].reference]


def test_filters_are_shown_checked_after_applying(client_supervisor, varied):
    html = client_supervisor.get("/agent/?view=all&status=open&status=solved").content.decode()

    assert 'type="checkbox" name="status" value="open" id="id_status_1" checked' in html
    assert 'type="checkbox" name="status" value="solved" id="id_status_4" checked' in html
    assert 'type="checkbox" name="status" value="new" id="id_status_0">' in html


@pytest.mark.parametrize(
    ("query", "field_error"),
    [
        (
            "status=bogus",
            "Status: Select a valid choice. bogus is not one of the available choices.",
        ),
        ("priority=9", "Priority: Select a valid choice. 9 is not one of the available choices."),
        (
            "priority=high",
            "Priority: Select a valid choice. high is not one of the available choices.",
        ),
        ("tier=x", "Tier: Select a valid choice. x is not one of the available choices."),
        (
            "team=999999",
            "Team: Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            "team=abc",
            "Team: Select a valid choice. That choice is not one of the available choices.",
        ),
        ("tag=nope", "Tag: Select a valid choice. nope is not one of the available choices."),
        (
            "sort=random",
            "Sort by: Select a valid choice. random is not one of the available choices.",
        ),
        (
            "view=everything",
            "View: Select a valid choice. everything is not one of the available choices.",
        ),
    ],
)
def test_bad_filter_values_give_a_clear_message(client_a, conversation_a, query, field_error):
    response = client_a.get(f"/agent/?{query}")

    assert response.status_code == 400
    assert response.context["rows"] == []
    html = response.content.decode()
    assert "Some filters are not valid. Check them and try again." in html
    assert f"<li>{field_error}</li>".replace("'", "&#x27;") in html


def test_bad_filter_keeps_the_chosen_view(client_a, conversation_a):
    response = client_a.get("/agent/?view=unassigned&status=bogus")

    assert response.status_code == 400
    html = response.content.decode()
    assert '<h1 id="inbox-heading">Unassigned</h1>' in html
    assert '<input type="hidden" name="view" value="unassigned">' in html


# --- search ---------------------------------------------------------------------------------


def test_search_finds_english_words_in_messages(client_supervisor, make_conversation):
    hit = make_conversation(subject="Login trouble", body="The verification code never arrives")
    make_conversation(subject="Deposit", body="Where is my deposit?")

    response = client_supervisor.get("/agent/?view=all&q=Verification")

    assert refs(response) == [hit.reference]


def test_search_finds_chinese_subjects(client_supervisor, make_conversation):
    hit = make_conversation(subject="提现失败", body="请帮忙看看")
    make_conversation(subject="充值未到账", body="已经两个小时了")

    response = client_supervisor.get("/agent/?view=all&q=提现")

    assert refs(response) == [hit.reference]
    assert "提现失败" in response.content.decode()


def test_search_finds_chinese_words_in_messages(client_supervisor, make_conversation):
    hit = make_conversation(subject="Help", body="我的提现失败了")
    make_conversation(subject="Help", body="充值没有到账")

    response = client_supervisor.get("/agent/?view=all&q=提现失败")

    assert refs(response) == [hit.reference]


def test_search_only_lists_conversations_the_agent_may_see(
    client_a, conversation_a, conversation_b
):
    response = client_a.get("/agent/?view=unassigned&q=withdrawal")

    assert refs(response) == [conversation_a.reference]


def test_search_combines_with_filters(client_supervisor, make_conversation):
    hit = make_conversation(subject="Withdrawal stuck", status=Status.OPEN)
    make_conversation(subject="Withdrawal stuck", status=Status.SOLVED)

    response = client_supervisor.get("/agent/?view=all&q=stuck&status=open")

    assert refs(response) == [hit.reference]


def test_reference_search_opens_the_conversation(client_a, conversation_a):
    response = client_a.get(f"/agent/?q={conversation_a.reference.lower()}")

    assert response.status_code == 302
    assert response["Location"] == f"/agent/c/{conversation_a.pk}/"


def test_reference_search_of_an_invisible_conversation_finds_nothing(client_a, conversation_b):
    response = client_a.get(f"/agent/?view=unassigned&q={conversation_b.reference}")

    assert response.status_code == 200
    assert refs(response) == []
    assert "No conversations match." in response.content.decode()


# --- sorting --------------------------------------------------------------------------------


@pytest.fixture
def three(make_conversation):
    return {
        "old_urgent": make_conversation(
            subject="old", priority=Priority.URGENT, created_at=at(0), last_activity_at=at(10)
        ),
        "mid_low": make_conversation(
            subject="mid", priority=Priority.LOW, created_at=at(1), last_activity_at=at(30)
        ),
        "new_urgent": make_conversation(
            subject="new", priority=Priority.URGENT, created_at=at(2), last_activity_at=at(20)
        ),
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["mid_low", "new_urgent", "old_urgent"]),
        ("activity", ["mid_low", "new_urgent", "old_urgent"]),
        ("priority", ["new_urgent", "old_urgent", "mid_low"]),
        ("age", ["old_urgent", "mid_low", "new_urgent"]),
    ],
)
def test_sort_orders(client_supervisor, three, sort, expected):
    response = client_supervisor.get(f"/agent/?view=all&sort={sort}")

    assert refs(response) == [three[k].reference for k in expected]


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def thirty(make_conversation):
    return [
        make_conversation(subject=f"Case {i}", status=Status.OPEN, last_activity_at=at(i))
        for i in range(30)
    ]


@pytest.mark.parametrize("sort", ["activity", "priority", "age"])
def test_next_page_continues_without_overlap(client_supervisor, thirty, sort):
    first = client_supervisor.get(f"/agent/?view=all&status=open&sort={sort}")
    cursor = first.context["next_cursor"]
    assert cursor
    second = client_supervisor.get(f"/agent/?view=all&status=open&sort={sort}&cursor={cursor}")

    page1, page2 = refs(first), refs(second)
    assert len(page1) == 25
    assert len(page2) == 5
    assert set(page1).isdisjoint(page2)
    assert sorted(page1 + page2) == sorted(c.reference for c in thirty)
    assert second.context["next_cursor"] is None


def test_activity_pages_follow_each_other_exactly(client_supervisor, thirty):
    first = client_supervisor.get("/agent/?view=all")
    second = client_supervisor.get(f"/agent/?view=all&cursor={first.context['next_cursor']}")

    newest_first = [c.reference for c in reversed(thirty)]
    assert refs(first) == newest_first[:25]
    assert refs(second) == newest_first[25:]


def test_next_page_link_keeps_the_filters(client_supervisor, thirty):
    response = client_supervisor.get("/agent/?view=all&status=open&sort=age&q=case")

    cursor = response.context["next_cursor"]
    html = response.content.decode()
    assert (
        f'<a class="button" rel="next" href="/agent/?view=all&amp;status=open&amp;sort=age'
        f'&amp;q=case&amp;cursor={cursor}">Next page</a>'
    ) in html


def test_last_page_has_no_next_link_but_a_first_page_link(client_supervisor, thirty):
    first = client_supervisor.get("/agent/?view=all")
    second = client_supervisor.get(f"/agent/?view=all&cursor={first.context['next_cursor']}")

    html = second.content.decode()
    assert "Next page" not in html
    assert '<a class="button secondary" href="/agent/?view=all">First page</a>' in html


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "W10",  # a valid encoding of an empty list: wrong length
        "WyJ4IiwieCJd",  # ["x","x"]: right length, wrong types
        "%00%01",
    ],
)
def test_invalid_cursor_gives_a_friendly_error(client_supervisor, thirty, cursor):
    response = client_supervisor.get(f"/agent/?view=all&cursor={cursor}")

    assert response.status_code == 400
    assert response.context["rows"] == []
    html = response.content.decode()
    assert "This page link is no longer valid. Start again from the first page." in html
    assert '<a href="/agent/">Back to the first page of your inbox</a>' in html


# --- query cost -----------------------------------------------------------------------------


def _inbox_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/agent/?sort=priority")
    assert response.status_code == 200
    return len(response.context["rows"]), len(ctx.captured_queries)


def test_inbox_query_count_does_not_grow_with_page_size(
    client_a, agent_a, team_a, make_conversation
):
    for i in range(5):
        make_conversation(subject=f"Row {i}", team=team_a, assignee=agent_a, tags=["a", "b"])
    rows_5, queries_5 = _inbox_queries(client_a)
    for i in range(5, 25):
        make_conversation(subject=f"Row {i}", team=team_a, assignee=agent_a, tags=["a", f"t{i}"])
    rows_25, queries_25 = _inbox_queries(client_a)

    assert (rows_5, rows_25) == (5, 25)
    assert queries_5 == queries_25


def test_inbox_query_count_is_bounded(
    client_supervisor, supervisor, make_conversation, django_assert_max_num_queries, team_a
):
    for i in range(25):
        make_conversation(subject=f"Row {i}", team=team_a, assignee=supervisor, tags=["x", f"t{i}"])
    # session, user, the two-factor policy (kefu.workspace.middleware), tags, teams (filter),
    # page, tags of the page, teams (select), the header's live chat status, the unread
    # SLA alerts badge (one indexed count) and, for supervisors and admins, the open spike
    # alerts badge (one count on a partial index)
    with django_assert_max_num_queries(11):
        response = client_supervisor.get(f"/agent/?view=all&team={team_a.pk}&tag=x")
    assert len(response.context["rows"]) == 25
