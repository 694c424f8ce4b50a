"""The survey on Telegram, against the local Bot API server (kefu/inbox/tests/telegram_server.py):
inline buttons when solved, presses arrive as callback_query updates through the webhook and
the channel pipeline, and only the survey's own Telegram user can answer."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Status
from kefu.csat.models import Survey
from kefu.inbox.models import InboundEvent
from kefu.inbox.tests.telegram_updates import USER_ID, message_update, post, user

pytestmark = pytest.mark.django_db


def callback_update(update_id: int, data: str, *, user_id: int = USER_ID) -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user(user_id),
            "message": {
                "message_id": 1001,
                "chat": {"id": user_id, "type": "private", "first_name": "Li"},
                "date": 1700000000,
                "text": "How satisfied are you?",
            },
            "chat_instance": "42",
            "data": data,
        },
    }


@pytest.fixture
def solved(bot_api, agent_a, actor_of, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(1, text="Help, my deposit is missing"))
    conversation = Conversation.objects.get()
    bot_api.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        conv.conversation_set_status(
            conversation=conversation, status=Status.SOLVED, actor=actor_of(agent_a)
        )
    return Survey.objects.get(conversation=conversation)


def test_solving_sends_five_rating_buttons(bot_api, solved):
    [call] = bot_api.sent("sendMessage")
    assert call.json["chat_id"] == str(USER_ID)
    assert solved.conversation.reference in call.json["text"]
    keyboard = call.json["reply_markup"]["inline_keyboard"]
    assert keyboard == [
        [{"text": str(n), "callback_data": f"csat:{solved.pk}:{n}"} for n in range(1, 6)]
    ]


def test_pressing_buttons_records_rating_then_resolved(
    bot_api, solved, django_capture_on_commit_callbacks
):
    bot_api.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), callback_update(10, f"csat:{solved.pk}:4"))
    solved.refresh_from_db()
    assert solved.rating == 4
    assert [c.json["callback_query_id"] for c in bot_api.sent("answerCallbackQuery")] == ["cb10"]
    [question] = bot_api.sent("sendMessage")
    assert [b["callback_data"] for b in question.json["reply_markup"]["inline_keyboard"][0]] == [
        f"csat:{solved.pk}:y",
        f"csat:{solved.pk}:n",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), callback_update(11, f"csat:{solved.pk}:y"))
    solved.refresh_from_db()
    assert (solved.rating, solved.resolved) == (4, True)
    assert InboundEvent.objects.filter(event_id="11").exists()  # stored before processing
    actions = list(
        AuditEntry.objects.filter(object_type="survey")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["survey.sent", "survey.answered", "survey.changed"]
    # A button press is not a message: the solved conversation stays solved.
    assert Conversation.objects.get().status == Status.SOLVED


def test_a_repeated_update_counts_once(bot_api, solved, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            post(Client(), callback_update(12, f"csat:{solved.pk}:5"))
    assert AuditEntry.objects.filter(action__in=["survey.answered", "survey.changed"]).count() == 1


def test_another_telegram_user_cannot_answer(bot_api, solved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), callback_update(13, f"csat:{solved.pk}:1", user_id=USER_ID + 1))
    solved.refresh_from_db()
    assert solved.rating is None
    texts = [c.json["text"] for c in bot_api.sent("sendMessage")]
    assert "This survey is not available." in texts


def test_forged_button_data_is_ignored(bot_api, solved, django_capture_on_commit_callbacks):
    for n, data in enumerate([f"csat:{solved.pk}:9", "csat:x:1", f"csat:{solved.pk}"]):
        with django_capture_on_commit_callbacks(execute=True):
            post(Client(), callback_update(20 + n, data))
    solved.refresh_from_db()
    assert solved.rating is None


def test_after_the_buttons_a_signed_link_takes_a_comment(
    bot_api, solved, django_capture_on_commit_callbacks
):
    import re
    from urllib.parse import urlsplit

    for update_id, data in ((20, f"csat:{solved.pk}:2"), (21, f"csat:{solved.pk}:n")):
        with django_capture_on_commit_callbacks(execute=True):
            post(Client(), callback_update(update_id, data))
    last = bot_api.sent("sendMessage")[-1].json["text"]
    assert "comment" in last
    [url] = re.findall(r"https?://\S+", last)
    client = Client()
    path = urlsplit(url).path
    page = client.get(path)
    assert page.status_code == 200  # opening the link records nothing by itself
    solved.refresh_from_db()
    assert (solved.rating, solved.resolved, solved.comment) == (2, False, "")
    answered = client.post(path, {"rating": "2", "resolved": "no", "comment": "still waiting"})
    assert answered.status_code == 200
    solved.refresh_from_db()
    assert (solved.rating, solved.resolved, solved.comment) == (2, False, "still waiting")
    assert client.get(path.replace("/r/", "/r/x")).status_code == 410  # altered: refused


def _press(django_capture_on_commit_callbacks, *updates, user_id: int = USER_ID) -> None:
    for update_id, data in updates:
        with django_capture_on_commit_callbacks(execute=True):
            post(Client(), callback_update(update_id, data, user_id=user_id))


def test_after_a_negative_answer_a_button_asks_a_senior_colleague(
    bot_api, solved, django_capture_on_commit_callbacks
):
    from kefu.routing.models import EscalationRequest, EscalationSource, EscalationState

    _press(django_capture_on_commit_callbacks, (30, f"csat:{solved.pk}:2"))
    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (31, f"csat:{solved.pk}:n"))
    [thanks] = bot_api.sent("sendMessage")
    assert "comment" in thanks.json["text"]  # the signed page's link is still there
    assert thanks.json["reply_markup"]["inline_keyboard"] == [
        [{"text": "Ask a senior colleague to review it", "callback_data": f"csat:{solved.pk}:e"}]
    ]
    assert not EscalationRequest.objects.exists()  # offered, not asked

    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (32, f"csat:{solved.pk}:e"))
    request = EscalationRequest.objects.get()
    assert (request.conversation_id, request.source, request.state) == (
        solved.conversation_id,
        EscalationSource.CSAT,
        EscalationState.PENDING,
    )
    assert [c.json["text"] for c in bot_api.sent("sendMessage")] == [
        "Thank you. A senior colleague will review your conversation."
    ]
    assert [c.json["callback_query_id"] for c in bot_api.sent("answerCallbackQuery")] == ["cb32"]
    assert AuditEntry.objects.filter(action="escalation.requested").count() == 1

    # Pressed again: refused with the reason, nothing more asked.
    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (33, f"csat:{solved.pk}:e"))
    assert [c.json["text"] for c in bot_api.sent("sendMessage")] == [
        "Your escalation request is being reviewed."
    ]
    assert EscalationRequest.objects.count() == 1


def test_a_good_answer_offers_no_escalation_and_a_forged_press_asks_nothing(
    bot_api, solved, django_capture_on_commit_callbacks
):
    from kefu.routing.models import EscalationRequest

    _press(django_capture_on_commit_callbacks, (40, f"csat:{solved.pk}:5"))
    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (41, f"csat:{solved.pk}:y"))
    [thanks] = bot_api.sent("sendMessage")
    assert "reply_markup" not in thanks.json
    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (42, f"csat:{solved.pk}:e"))
    assert [c.json["text"] for c in bot_api.sent("sendMessage")] == [
        "You can ask for a review here after a low rating or an unresolved problem."
    ]
    # Someone else's Telegram account cannot ask for this customer either.
    Survey.objects.filter(pk=solved.pk).update(rating=1, resolved=False)
    bot_api.calls.clear()
    _press(django_capture_on_commit_callbacks, (43, f"csat:{solved.pk}:e"), user_id=USER_ID + 1)
    assert [c.json["text"] for c in bot_api.sent("sendMessage")] == [
        "This survey is not available."
    ]
    assert not EscalationRequest.objects.exists()
