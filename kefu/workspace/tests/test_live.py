"""The live workspace's server side: the regions live.js refetches, replies and notes posted with
fetch, the status selector and what the pages hand to live.js."""

from __future__ import annotations

import json

import pytest

from kefu.accounts.models import AgentPresence, PresenceStatus
from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.models import Message, MessageKind
from kefu.testing import factories
from kefu.workspace.tests.conftest import flashes, login

JSON = {"HTTP_ACCEPT": "application/json"}
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def text(response) -> str:
    return response.content.decode()


# --- the inbox list region ------------------------------------------------------------------


def test_inbox_partial_renders_only_the_list_region(client_a, conversation_a):
    response = client_a.get("/agent/?view=unassigned&partial=1")

    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith('<div id="inbox-list" data-region="inbox-list">')
    assert html.endswith("</div>")
    assert f'<tr data-key="{conversation_a.pk}" data-version="' in html
    assert conversation_a.reference in html
    assert "<html" not in html
    assert 'id="inbox-filters"' not in html  # the filters and search box stay as they are
    assert 'id="ws-conn"' not in html


def test_inbox_partial_lists_what_the_page_lists(client_a, conversation_a, conversation_b):
    page = client_a.get("/agent/?view=teams")
    partial = client_a.get("/agent/?view=teams&partial=1")

    assert [c.pk for c in partial.context["rows"]] == [c.pk for c in page.context["rows"]]
    assert [c.pk for c in partial.context["rows"]] == [conversation_a.pk]


def test_inbox_partial_never_lists_another_teams_conversation(
    client_b, conversation_a, conversation_b
):
    html = text(client_b.get("/agent/?view=teams&partial=1"))

    assert conversation_b.reference in html
    assert conversation_a.reference not in html


def test_inbox_partial_keeps_the_filters_and_drops_itself_from_links(
    client_supervisor, make_conversation, team_a
):
    for i in range(30):
        make_conversation(subject=f"Row {i}", team=team_a)

    response = client_supervisor.get("/agent/?view=all&sort=age&partial=1")

    assert len(response.context["rows"]) == 25
    html = text(response)
    cursor = response.context["next_cursor"]
    assert (
        f'<a class="button" rel="next" href="/agent/?view=all&amp;sort=age&amp;cursor={cursor}">'
        in (html)
    )
    assert "partial" not in html


def test_inbox_partial_with_a_reference_does_not_jump(client_a, conversation_a):
    response = client_a.get(f"/agent/?q={conversation_a.reference}&partial=1")

    assert response.status_code == 200
    assert 'data-region="inbox-list"' in text(response)


def test_inbox_partial_with_bad_filters_says_so_in_the_region(client_a):
    response = client_a.get("/agent/?priority=9&partial=1")

    assert response.status_code == 400
    html = text(response)
    assert 'data-region="inbox-list"' in html
    assert "Some filters are not valid. Check them and try again." in html


def test_inbox_partial_needs_a_signed_in_agent(client, customer_1, conversation_a):
    anonymous = client.get("/agent/?partial=1")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login")
    assert login(customer_1).get("/agent/?partial=1").status_code == 404


def test_inbox_partial_query_count_is_bounded(
    client_supervisor, make_conversation, team_a, django_assert_max_num_queries
):
    for i in range(25):
        make_conversation(subject=f"Row {i}", team=team_a, tags=["x", f"t{i}"])

    # session, user, the two-factor policy (kefu.workspace.middleware), tags (the form's
    # choices), the page, the page's tags
    with django_assert_max_num_queries(6):
        response = client_supervisor.get("/agent/?view=all&partial=1")
    assert len(response.context["rows"]) == 25


def test_inbox_page_is_marked_for_live_updates(client_a, conversation_a):
    html = text(client_a.get("/agent/?view=unassigned"))

    assert "data-live-inbox" in html
    assert '<div id="inbox-list" data-region="inbox-list">' in html


# --- the conversation's regions -------------------------------------------------------------


def test_timeline_partial_renders_only_the_timeline(client_a, agent_a, actor_of, conversation_a):
    services.note_add(
        conversation=conversation_a, body="Checked the chain.", actor=actor_of(agent_a)
    )
    audit_before = AuditEntry.objects.count()

    response = client_a.get(f"/agent/c/{conversation_a.pk}/timeline")

    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith('<section aria-labelledby="timeline-heading" id="timeline"')
    assert html.endswith("</section>")
    assert "Checked the chain." in html
    assert "<html" not in html
    assert 'name="body"' not in html  # never the reply or note forms
    # Refetching is not another sensitive read: the page recorded it when it opened.
    assert AuditEntry.objects.count() == audit_before


def test_timeline_partial_carries_the_latest_public_sequence(
    client_a, agent_a, actor_of, conversation_a
):
    services.message_reply(conversation=conversation_a, body="One", actor=actor_of(agent_a))
    services.note_add(conversation=conversation_a, body="Two", actor=actor_of(agent_a))
    conversation_a.refresh_from_db()

    html = text(client_a.get(f"/agent/c/{conversation_a.pk}/timeline"))

    assert f'data-last-public-seq="{conversation_a.last_public_seq}"' in html
    assert conversation_a.last_public_seq >= 1


def test_state_partial_renders_the_header_and_the_side_panel(client_a, conversation_a):
    response = client_a.get(f"/agent/c/{conversation_a.pk}/state")

    assert response.status_code == 200
    html = text(response)
    assert 'data-region="conversation-head"' in html
    assert 'data-region="conversation-aside"' in html
    assert f'<h1><span class="ws-ref">{conversation_a.reference}</span>' in html
    assert f'action="/agent/c/{conversation_a.pk}/status"' in html
    assert 'data-region="timeline"' not in html
    assert 'name="body"' not in html
    assert "<html" not in html


@pytest.mark.parametrize("region", ["timeline", "state"])
def test_an_agent_of_another_team_gets_404_for_a_region(client_b, conversation_a, region):
    assert client_b.get(f"/agent/c/{conversation_a.pk}/{region}").status_code == 404


@pytest.mark.parametrize("region", ["timeline", "state"])
def test_a_supervisor_gets_every_region(client_supervisor, conversation_a, region):
    assert client_supervisor.get(f"/agent/c/{conversation_a.pk}/{region}").status_code == 200


@pytest.mark.parametrize("region", ["timeline", "state"])
def test_regions_need_a_signed_in_agent(client, customer_1, conversation_a, region):
    url = f"/agent/c/{conversation_a.pk}/{region}"
    assert client.get(url).status_code == 302
    assert login(customer_1).get(url).status_code == 404


def test_regions_answer_get_only(client_a, conversation_a):
    assert client_a.post(f"/agent/c/{conversation_a.pk}/timeline").status_code == 405
    assert client_a.post(f"/agent/c/{conversation_a.pk}/state").status_code == 405


def test_page_and_regions_render_the_same_markup(client_a, agent_a, actor_of, conversation_a):
    services.message_reply(conversation=conversation_a, body="Same", actor=actor_of(agent_a))

    page = text(client_a.get(f"/agent/c/{conversation_a.pk}/"))
    timeline = text(client_a.get(f"/agent/c/{conversation_a.pk}/timeline"))
    state = text(client_a.get(f"/agent/c/{conversation_a.pk}/state"))

    start = timeline.index("<section")
    assert timeline[start:].strip() in page
    head = state[state.index("<header") : state.index("</header>")]
    assert head in page


def test_conversation_page_hands_live_js_what_it_needs(client_a, agent_a, conversation_a):
    html = text(client_a.get(f"/agent/c/{conversation_a.pk}/"))

    assert f'data-conversation-id="{conversation_a.pk}"' in html
    assert f'data-timeline-url="/agent/c/{conversation_a.pk}/timeline"' in html
    assert f'data-state-url="/agent/c/{conversation_a.pk}/state"' in html
    assert 'data-text-viewing="%(name)s is viewing"' in html
    assert 'data-live-form="reply"' in html
    assert 'data-live-form="note"' in html
    assert f'data-agent-id="{agent_a.pk}"' in html
    assert 'data-ws-path="/ws/agent/v1"' in html
    assert '<script src="/static/workspace/live.js" defer></script>' in html


# --- the customer's read mark ---------------------------------------------------------------


def test_seen_by_customer_shows_under_the_last_reply_they_read(
    client_a, agent_a, customer_1, actor_of, conversation_a
):
    agent = actor_of(agent_a)
    services.message_reply(conversation=conversation_a, body="First answer", actor=agent)
    second = services.message_reply(conversation=conversation_a, body="Second answer", actor=agent)
    url = f"/agent/c/{conversation_a.pk}/timeline"
    assert "Seen by customer" not in text(client_a.get(url))

    services.conversation_mark_read(
        conversation=conversation_a, seq=second.public_seq, actor=actor_of(customer_1)
    )

    html = text(client_a.get(url))
    assert html.count("Seen by customer") == 1
    after_second = html[html.index("Second answer") :]
    assert '<p class="ws-seen">Seen by customer</p>' in after_second


def test_seen_by_customer_waits_for_the_latest_reply(
    client_a, agent_a, customer_1, actor_of, conversation_a
):
    agent = actor_of(agent_a)
    first = services.message_reply(conversation=conversation_a, body="First answer", actor=agent)
    services.conversation_mark_read(
        conversation=conversation_a, seq=first.public_seq, actor=actor_of(customer_1)
    )
    services.message_reply(conversation=conversation_a, body="Second answer", actor=agent)

    # Read up to the first answer only: the mark belongs under the latest reply, not yet there.
    assert "Seen by customer" not in text(client_a.get(f"/agent/c/{conversation_a.pk}/"))


# --- reply and note posted with fetch -------------------------------------------------------


@pytest.mark.parametrize("headers", [JSON, XHR])
def test_reply_with_fetch_answers_json(client_a, agent_a, conversation_a, headers):
    response = client_a.post(
        f"/agent/c/{conversation_a.pk}/reply", {"body": "Found it."}, **headers
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "ok": True,
        "message": "Reply sent to the customer.",
        "redirect": None,
    }
    message = Message.objects.filter(conversation=conversation_a).order_by("-id").first()
    assert (message.kind, message.author_user_id, message.body) == (
        MessageKind.REPLY,
        agent_a.pk,
        "Found it.",
    )
    # The page shows the confirmation itself: nothing is left to flash on the next page.
    assert flashes(client_a.get(f"/agent/c/{conversation_a.pk}/")) == []


# What one reply posted by the live page costs in statements (docs/benchmarks.md, "Round 6"):
# the session and the agent (auth), the security policy (two-factor middleware), the
# permission-scoped conversation, then message_reply: the locked conversation, the author, the
# message, the conversation's counters, the search index (read, delete, insert on SQLite), the
# timeline row, the audit chain (head, entry, head update), the SLA timers, the assistant
# session; last the visibility check for "left your view". Here the reply's transaction is a
# savepoint inside the test's (SAVEPOINT and RELEASE; BEGIN in the server), and what runs on
# commit (the pushes, the webhook endpoints, the chat-by-email task: two more statements in
# the server) is not counted. Adding one means every agent reply pays for it.
REPLY_STATEMENTS_SQLITE = 20


def test_reply_with_fetch_runs_a_pinned_number_of_statements(
    client_a,
    agent_a,
    conversation_a,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the search index writes differ by database; pinned on SQLite")
    url = f"/agent/c/{conversation_a.pk}/reply"
    client_a.post(url, {"body": "First answer."}, **JSON)  # the status goes new -> open

    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(REPLY_STATEMENTS_SQLITE),
    ):
        response = client_a.post(url, {"body": "Second answer."}, **JSON)

    assert response.status_code == 200
    assert json.loads(response.content)["ok"] is True
    assert list(
        Message.objects.filter(conversation=conversation_a, author_user=agent_a)
        .order_by("id")
        .values_list("body", "author_name")
    ) == [("First answer.", agent_a.display_name), ("Second answer.", agent_a.display_name)]
    assert AuditEntry.objects.filter(action="message.replied").count() == 2
    assert callbacks  # the pushes and the customer's notification still wait for the commit


def test_note_with_fetch_answers_json(client_a, agent_a, conversation_a):
    response = client_a.post(f"/agent/c/{conversation_a.pk}/note", {"body": "Staff only."}, **JSON)

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "ok": True,
        "message": "Internal note added.",
        "redirect": None,
    }
    assert Message.objects.filter(
        conversation=conversation_a, kind=MessageKind.NOTE, body="Staff only."
    ).exists()


@pytest.mark.parametrize(("action", "kind"), [("reply", "reply"), ("note", "note")])
def test_fetch_with_the_same_client_key_stores_once(
    client_a, agent_a, conversation_a, action, kind
):
    # live.js falls back to the form with the key of the socket frame it may already have sent.
    url = f"/agent/c/{conversation_a.pk}/{action}"
    data = {"body": "Just once.", "client_key": "page-key-000001"}

    first = client_a.post(url, data, **JSON)
    again = client_a.post(url, data, **JSON)

    assert first.status_code == again.status_code == 200
    assert json.loads(again.content)["ok"] is True
    assert list(
        Message.objects.filter(conversation=conversation_a, author_user=agent_a).values_list(
            "kind", "body"
        )
    ) == [(kind, "Just once.")]
    action_audited = "message.replied" if kind == "reply" else "note.added"
    assert AuditEntry.objects.filter(action=action_audited).count() == 1


def test_fetch_with_a_malformed_client_key_is_refused(client_a, conversation_a, counts):
    before = counts()

    response = client_a.post(
        f"/agent/c/{conversation_a.pk}/reply",
        {"body": "Hi", "client_key": "no spaces allowed"},
        **JSON,
    )

    assert response.status_code == 400
    assert list(json.loads(response.content)["errors"]) == ["client_key"]
    assert counts() == before


def test_invalid_reply_with_fetch_answers_the_errors_and_stores_nothing(
    client_a, conversation_a, counts
):
    before = counts()

    response = client_a.post(f"/agent/c/{conversation_a.pk}/reply", {"body": ""}, **JSON)

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "ok": False,
        "errors": {"body": ["This field is required."]},
    }
    assert counts() == before


def test_reply_refused_by_the_service_with_fetch_answers_the_error(
    client_a, conversation_a, counts
):
    before = counts()

    response = client_a.post(f"/agent/c/{conversation_a.pk}/reply", {"body": "x" * 20_001}, **JSON)

    assert response.status_code == 400
    data = json.loads(response.content)
    assert data["ok"] is False
    assert list(data["errors"]) == ["body"]
    assert counts() == before


def test_reply_with_fetch_to_another_teams_conversation_is_404(client_b, conversation_a, counts):
    before = counts()

    response = client_b.post(f"/agent/c/{conversation_a.pk}/reply", {"body": "Hi"}, **JSON)

    assert response.status_code == 404
    assert counts() == before


def test_fetch_answer_says_where_to_go_when_the_conversation_leaves_the_view(
    client_a, conversation_a
):
    # An L1 agent escalating to tier 2 can no longer see the conversation.
    response = client_a.post(
        f"/agent/c/{conversation_a.pk}/escalate", {"reason": "Needs a senior look"}, **JSON
    )

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "ok": True,
        "message": "Escalated to tier 2.",
        "redirect": "/agent/",
    }
    assert flashes(client_a.get("/agent/")) == [
        f"{conversation_a.reference} is no longer in your view."
    ]


def test_reply_without_javascript_still_redirects(client_a, conversation_a):
    response = client_a.post(f"/agent/c/{conversation_a.pk}/reply", {"body": "Plain form."})

    assert response.status_code == 302
    assert response["Location"] == f"/agent/c/{conversation_a.pk}/"


# --- the status selector --------------------------------------------------------------------


def test_header_shows_offline_until_a_status_is_set(client_a):
    html = text(client_a.get("/agent/"))

    assert '<form class="ws-presence" id="ws-presence" action="/agent/account/presence"' in html
    assert '<option value="offline" selected>Offline</option>' in html
    assert '<option value="online">Online</option>' in html


def test_setting_the_status_without_javascript(client_a, agent_a):
    response = client_a.post(
        "/agent/account/presence", {"status": "away", "next": "/agent/?view=teams"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/agent/?view=teams"
    assert AgentPresence.objects.get(user=agent_a).status == PresenceStatus.AWAY
    page = client_a.get(response["Location"])
    assert flashes(page) == ["Your status is now Away."]
    assert '<option value="away" selected>Away</option>' in text(page)
    assert AuditEntry.objects.filter(action="presence.changed", object_id=str(agent_a.pk)).exists()


def test_an_unknown_status_is_refused(client_a, agent_a):
    response = client_a.post("/agent/account/presence", {"status": "busy", "next": "/agent/"})

    assert response.status_code == 302
    assert not AgentPresence.objects.filter(user=agent_a).exists()
    assert flashes(client_a.get(response["Location"])) == ["Choose Online, Away or Offline."]


def test_status_form_goes_back_only_to_this_site(client_a):
    response = client_a.post(
        "/agent/account/presence", {"status": "online", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/agent/"


def test_status_form_is_post_only_and_for_agents_only(client, client_a, customer_1):
    assert client_a.get("/agent/account/presence").status_code == 405
    assert client.post("/agent/account/presence", {"status": "online"}).status_code == 302
    assert (
        login(customer_1).post("/agent/account/presence", {"status": "online"}).status_code == 404
    )
    assert not AgentPresence.objects.exists()


# --- preferences ----------------------------------------------------------------------------


def test_preferences_show_the_live_chat_capacity_read_only(agent_a):
    agent_a.chat_capacity = 5
    agent_a.save(update_fields=["chat_capacity"])

    response = login(agent_a).get("/agent/account/")

    html = text(response)
    assert '<dt>Live chat capacity</dt><dd id="chat-capacity">5</dd>' in html
    assert 'name="chat_capacity"' not in html
    assert "chat_capacity" not in response.context["form"].fields


def test_a_new_agent_has_the_default_capacity(db):
    assert factories.StaffFactory().chat_capacity == 3


def test_live_texts_are_in_chinese(agent_a, conversation_a):
    agent_a.language = "zh-hans"
    agent_a.save(update_fields=["language"])

    html = text(login(agent_a).get(f"/agent/c/{conversation_a.pk}/"))

    assert 'data-text-viewing="%(name)s 正在查看"' in html
    assert 'data-text-customer-typing="客户正在输入…"' in html
    assert 'data-text-live="实时"' in html
    assert '<option value="offline" selected>离线</option>' in html
