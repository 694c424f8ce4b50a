"""REST API: /conversations (list with filters and cursor pagination, create, read)."""

from __future__ import annotations

import pytest
from django.db.models import F

from kefu.accounts.tests.apikit import Api, assert_error, iso, make_key
from kefu.audit.models import AuditEntry
from kefu.conversations.api import PRIORITY_NAMES, PRIORITY_VALUES
from kefu.conversations.models import (
    Conversation,
    Message,
    Priority,
    Status,
    Tag,
    TimelineEntry,
)
from kefu.conversations.tests.api_expected import conversation_body
from kefu.testing import factories


@pytest.fixture
def key_and_secret(admin_user):
    return make_key(admin_user)


@pytest.fixture
def api(key_and_secret):
    return Api(key_and_secret[1])


def api_audit():
    return AuditEntry.objects.filter(actor_kind="api")


def test_priority_names_cover_every_priority():
    assert sorted(PRIORITY_VALUES.values()) == sorted(Priority.values)
    assert {PRIORITY_NAMES[v] for v in Priority.values} == {"low", "normal", "high", "urgent"}


# --- read -----------------------------------------------------------------------------------


def test_get_conversation_returns_the_full_summary_and_audits_the_read(
    api, key_and_secret, conversation_a, senior
):
    tag = factories.TagFactory(name="withdrawal")
    conversation_a.tags.add(tag)
    Conversation.objects.filter(pk=conversation_a.pk).update(
        assignee=senior, tx_id="0xabc", asset="USDT", network="TRC20"
    )
    response = api.get(f"/conversations/{conversation_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body == conversation_body(conversation_a)
    assert body["reference"] == f"KF-{conversation_a.pk:06d}"
    assert body["tags"] == ["withdrawal"]
    assert body["assignee"] == {"id": senior.pk, "name": str(senior)}
    assert body["team"]["name"] == "Team A"
    audit = api_audit().get()
    assert (audit.action, audit.actor_ref, audit.object_id) == (
        "conversation.viewed",
        f"api:{key_and_secret[0].pk}",
        str(conversation_a.pk),
    )


def test_get_conversation_by_reference(api, conversation_a):
    response = api.get(f"/conversations/KF-{conversation_a.pk:06d}")
    assert response.status_code == 200
    assert response.json()["id"] == conversation_a.pk


@pytest.mark.parametrize("ref", ["999", "KF-000999", "KF-", "abc", "0", "1234567890123"])
def test_get_unknown_conversation_is_a_404(api, conversation_a, ref):
    assert_error(api.get(f"/conversations/{ref}"), 404, "not_found", {})
    assert api_audit().count() == 0


# --- list -----------------------------------------------------------------------------------


def test_list_conversations_sees_every_team_and_returns_full_items(
    api, conversation_a, conversation_b
):
    body = api.get("/conversations").json()
    assert body == {
        "items": [conversation_body(conversation_b), conversation_body(conversation_a)],
        "next_cursor": None,
    }


def test_list_conversations_filters(api, conversation_a, conversation_b, team_b, customer_2):
    urgent = factories.ConversationFactory(
        contact=customer_2.contact, subject="Account locked", priority=Priority.URGENT
    )
    Conversation.objects.filter(pk=urgent.pk).update(status=Status.OPEN, tier=2)
    tag = factories.TagFactory(name="VIP")
    conversation_a.tags.add(tag)

    def ids(params):
        response = api.get("/conversations", params)
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["items"]]

    assert ids({"status": ["open"]}) == [urgent.pk]
    assert ids({"status": ["open", "new"]}) == [urgent.pk, conversation_b.pk, conversation_a.pk]
    assert ids({"priority": ["urgent"]}) == [urgent.pk]
    assert ids({"tier": [2]}) == [urgent.pk]
    assert ids({"team": team_b.pk}) == [conversation_b.pk]
    assert ids({"contact": customer_2.contact.pk}) == [urgent.pk, conversation_b.pk]
    assert ids({"tag": "vip"}) == [conversation_a.pk]
    assert ids({"channel": ["web"]}) == [urgent.pk, conversation_b.pk, conversation_a.pk]
    assert ids({"channel": ["email"]}) == []
    assert ids({"language": ["zh-hans"]}) == []
    assert ids({"q": "locked"}) == [urgent.pk]
    assert ids({"q": f"KF-{conversation_a.pk:06d}"}) == [conversation_a.pk]
    assert ids({"sort": "age"}) == [conversation_a.pk, conversation_b.pk, urgent.pk]
    assert ids({"sort": "priority"})[0] == urgent.pk


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        (
            {"status": ["bogus"]},
            {
                "status.0": [
                    "Input should be 'new', 'open', 'pending', 'on_hold', 'solved' or 'closed'"
                ]
            },
        ),
        (
            {"priority": ["2"]},
            {"priority.0": ["Input should be 'low', 'normal', 'high' or 'urgent'"]},
        ),
        ({"tier": ["7"]}, {"tier.0": ["Input should be 1, 2 or 3"]}),
        ({"sort": "newest"}, {"sort": ["Input should be 'activity', 'priority', 'age' or 'sla'"]}),
        (
            {"team": "a"},
            {"team": ["Input should be a valid integer, unable to parse string as an integer"]},
        ),
        (
            {"contact": 10**30},
            {"contact": ["Input should be less than or equal to 9223372036854775807"]},
        ),
        ({"cursor": "%%%"}, {"cursor": ["Invalid cursor."]}),
        ({"cursor": "WzEsMiwzXQ"}, {"cursor": ["Invalid cursor."]}),  # [1,2,3]: wrong length
        ({"cursor": "WyJ4IiwieSJd"}, {"cursor": ["Invalid cursor."]}),  # ["x","y"]: wrong types
        ({"limit": 500}, {"limit": ["Input should be less than or equal to 100"]}),
    ],
)
def test_list_conversations_rejects_bad_filters(api, conversation_a, params, fields):
    assert_error(api.get("/conversations", params), 422, "validation_failed", fields)


@pytest.mark.parametrize("sort", ["activity", "priority", "age", "sla"])
def test_cursor_pagination_walks_every_conversation_exactly_once(api, sort, customer_1):
    from datetime import timedelta

    from django.utils import timezone

    base = timezone.now().replace(microsecond=0)
    created = []
    for i in range(11):
        conversation = factories.ConversationFactory(
            contact=customer_1.contact, subject=f"Case {i}", priority=i % 4
        )
        # deadlines with ties, some overdue, every third conversation without one
        due = None if i % 3 == 0 else base + timedelta(minutes=(i * 5) % 7 - 3)
        Conversation.objects.filter(pk=conversation.pk).update(sla_due_at=due)
        created.append(conversation.pk)
    seen: list[int] = []
    cursor = None
    for _ in range(20):
        params = {"limit": 4, "sort": sort, **({"cursor": cursor} if cursor else {})}
        body = api.get("/conversations", params).json()
        assert len(body["items"]) <= 4
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == set(created)
    ordered = list(
        Conversation.objects.order_by(
            *{
                "activity": ["-last_activity_at", "-id"],
                "priority": ["-priority", "-last_activity_at", "-id"],
                "age": ["created_at", "id"],
                "sla": [F("sla_due_at").asc(nulls_last=True), "id"],
            }[sort]
        ).values_list("pk", flat=True)
    )
    assert seen == ordered
    if sort == "sla":  # the most urgent first, the untimed last, oldest id first among them
        rows = {c.pk: c.sla_due_at for c in Conversation.objects.all()}
        timed = sorted((pk for pk in created if rows[pk]), key=lambda pk: (rows[pk], pk))
        untimed = sorted(pk for pk in created if rows[pk] is None)
        assert seen == timed + untimed
        assert len(untimed) == 4
        first = api.get("/conversations", {"sort": "sla", "limit": 1}).json()["items"][0]
        assert first["sla_due_at"] == iso(rows[timed[0]])


def test_list_query_count_is_constant_in_page_size(
    api, customer_1, team_a, senior, django_assert_max_num_queries
):
    tags = [factories.TagFactory(name=f"t{i}") for i in range(3)]
    for i in range(55):
        conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
        conversation.tags.set(tags[: i % 4])
        Conversation.objects.filter(pk=conversation.pk).update(assignee=senior)
    api.get("/conversations")  # the first use of a key also records last_used_at
    with django_assert_max_num_queries(3):
        assert len(api.get("/conversations", {"limit": 5}).json()["items"]) == 5
    with django_assert_max_num_queries(3):
        assert len(api.get("/conversations", {"limit": 50}).json()["items"]) == 50


# --- create ---------------------------------------------------------------------------------


def test_create_conversation_opens_it_with_the_customers_first_message(
    api, key_and_secret, customer_1, team_b
):
    response = api.post(
        "/conversations",
        {
            "customer_id": customer_1.contact.pk,
            "subject": "Deposit missing",
            "body": "I sent **50 USDT** an hour ago.",
            "category": "deposit",
            "priority": "high",
            "language": "zh-hans",
            "tx_id": "0xdeadbeef",
            "asset": "usdt",
            "network": "TRC20",
            "team_id": team_b.pk,
        },
    )
    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get()
    assert response.json() == conversation_body(conversation)
    assert (conversation.subject, conversation.category, conversation.channel) == (
        "Deposit missing",
        "deposit",
        "api",
    )
    assert (conversation.priority, conversation.language, conversation.team_id) == (
        Priority.HIGH,
        "zh-hans",
        team_b.pk,
    )
    assert (conversation.tx_id, conversation.asset, conversation.network) == (
        "0xdeadbeef",
        "USDT",
        "TRC20",
    )
    message = Message.objects.get()
    assert (message.kind, message.author_kind, message.body) == (
        "reply",
        "customer",
        "I sent **50 USDT** an hour ago.",
    )
    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.actor_kind, entry.public) == ("created", "api", True)
    assert entry.actor_label == "API: Exchange backend"
    audit = api_audit().get()
    assert (audit.action, audit.actor_ref) == (
        "conversation.created",
        f"api:{key_and_secret[0].pk}",
    )


def test_create_conversation_defaults(api, customer_1):
    response = api.post(
        "/conversations",
        {"customer_id": customer_1.contact.pk, "subject": "Hi", "body": "Question"},
    )
    body = response.json()
    assert response.status_code == 201
    assert {k: body[k] for k in ("status", "priority", "tier", "category", "channel")} == {
        "status": "new",
        "priority": "normal",
        "tier": 1,
        "category": "other",
        "channel": "api",
    }
    assert body["team"] is None
    assert body["message_count"] == 1


GOOD = {"subject": "Deposit missing", "body": "Where is it?"}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"subject": ""}, {"subject": ["String should have at least 1 character"]}),
        ({"subject": "   "}, {"subject": ["Write a short subject."]}),
        ({"subject": "x" * 201}, {"subject": ["String should have at most 200 characters"]}),
        ({"body": ""}, {"body": ["String should have at least 1 character"]}),
        ({"body": "  \n "}, {"body": ["Write a message."]}),
        ({"subject": 42}, {"subject": ["Input should be a valid string"]}),
        (
            {"category": "bogus"},
            {
                "category": [
                    "Input should be 'deposit', 'withdrawal', "
                    "'account', '2fa', 'kyc', 'security', 'trading', "
                    "'fees' or 'other'"
                ]
            },
        ),
        ({"priority": 3}, {"priority": ["Input should be 'low', 'normal', 'high' or 'urgent'"]}),
        (
            {"channel": "fax"},
            {
                "channel": [
                    "Input should be 'web', 'chat', 'email', 'phone', 'telegram', 'messenger', "
                    "'whatsapp', 'social' or 'api'"
                ]
            },
        ),
        ({"language": "fr"}, {"language": ["Input should be 'en' or 'zh-hans'"]}),
        ({"asset": "us dt"}, {"asset": ["Use the asset's ticker, e.g. USDT."]}),
        ({"tx_id": "x" * 129}, {"tx_id": ["String should have at most 128 characters"]}),
        ({"tx_id": "bad id!"}, {"tx_id": ["The transaction id has unexpected characters."]}),
        ({"assignee_id": 1}, {"assignee_id": ["Unknown field."]}),
        (
            {"customer_id": "me"},
            {
                "customer_id": [
                    "Input should be a valid integer, unable to parse string as an integer"
                ]
            },
        ),
        ({"customer_id": 9999}, {"customer_id": ["Unknown customer."]}),
        ({"customer_id": 0}, {"customer_id": ["Input should be greater than or equal to 1"]}),
        (
            {"customer_id": 10**30},
            {"customer_id": ["Input should be less than or equal to 9223372036854775807"]},
        ),
        ({"team_id": 9999}, {"team_id": ["Unknown team."]}),
    ],
)
def test_create_conversation_rejects_bad_input(api, customer_1, change, fields):
    payload = {"customer_id": customer_1.contact.pk, **GOOD, **change}
    assert_error(api.post("/conversations", payload), 422, "validation_failed", fields)
    assert Conversation.objects.count() == 0
    assert Message.objects.count() == 0
    assert api_audit().count() == 0


def test_create_conversation_without_required_fields_lists_them(api):
    error = assert_error(api.post("/conversations", {}), 422, "validation_failed")
    assert error["fields"] == {
        "customer_id": ["This field is required."],
        "subject": ["This field is required."],
        "body": ["This field is required."],
    }
    assert error["message"] == "Invalid input: customer_id: This field is required. (and 2 more)"


def test_tag_list_in_a_conversation_is_sorted_names(api, conversation_a):
    conversation_a.tags.add(factories.TagFactory(name="b"), factories.TagFactory(name="A"))
    assert api.get(f"/conversations/{conversation_a.pk}").json()["tags"] == ["A", "b"]
    assert Tag.objects.count() == 2
