"""The current median wait on the contact page: the Kaplan–Meier median, the query, the cache,
"not enough data", and the page in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Message, Status
from kefu.core import clock
from kefu.helpcenter.services import contact_option_save
from kefu.testing import factories
from kefu.trends import waits
from kefu.trends.models import TrendPolicy

from .conftest import NOW, make_conversation


def test_km_median_without_censoring_is_the_plain_median():
    assert waits.km_median([(t, True) for t in (60, 120, 180, 240, 300)]) == (180, False)


def test_km_median_counts_those_still_waiting():
    # Answered at 30, 60 and 120 s; three more still waiting for longer. The median of the
    # answered ones alone says 60 s; in fact half of everyone waited 120 s or more.
    answered = [(30, True), (60, True), (120, True)]
    assert waits.km_median(answered) == (60, False)
    assert waits.km_median([*answered, (600, False), (700, False), (800, False)]) == (120, False)


def test_km_median_beyond_the_data_is_more_than_the_longest_wait():
    # Four of seven still waiting: fewer than half answered at any time seen.
    data = [(30, True), (60, True), (120, True)] + [(t, False) for t in (600, 700, 800, 900)]
    assert waits.km_median(data) == (900, True)


def test_km_median_with_early_censoring():
    # One left at 10 s before an answer: the four others are the ones at risk after it, so
    # S(100) = 3/4 and S(200) = 1/2.
    data = [(10, False), (100, True), (200, True), (300, True), (400, True)]
    assert waits.km_median(data) == (200, False)


def test_km_median_of_nothing():
    assert waits.km_median([]) == (None, False)


def test_durations_in_words():
    assert waits.duration_text(30) == "less than a minute"
    assert waits.duration_text(125) == "2 minutes"
    assert waits.duration_text(3 * 3600 + 100) == "3 hours"


def _answered(at, after: timedelta, *, channel: str = "chat", author: str = "agent"):
    conversation = make_conversation(at, channel=channel)
    agent = factories.StaffFactory()
    from kefu.accounts.services import actor_for_user

    conv.message_reply(conversation=conversation, body="On it.", actor=actor_for_user(agent))
    reply = Message.objects.filter(conversation=conversation).order_by("-id").first()
    Message.objects.filter(pk=reply.pk).update(created_at=at + after, author_kind=author)
    return conversation


@pytest.mark.django_db
def test_median_first_human_reply_per_channel(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    for minutes in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22):
        _answered(NOW - timedelta(hours=2), timedelta(minutes=minutes))
    figures = waits.public_waits()
    chat = figures["chat"]
    assert (chat.sample, chat.answered, chat.seconds, chat.more_than) == (11, 11, 720, False)
    assert chat.text == "about 12 minutes"
    assert figures["email"].seconds is None
    assert figures["email"].text == "Not enough data yet"


@pytest.mark.django_db
def test_assistant_replies_and_old_conversations_do_not_count(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    for _ in range(10):
        _answered(NOW - timedelta(hours=1), timedelta(seconds=5), author="assistant")
    for _ in range(10):
        _answered(NOW - timedelta(hours=30), timedelta(seconds=5))  # outside the 24 h
    chat = waits.compute_waits(now=NOW, window_hours=24)["chat"]
    # The ten recent ones have no human reply: still waiting (censored), the median unknown.
    assert chat == (10, 0, 3600, True)


@pytest.mark.django_db
def test_small_samples_say_not_enough_data(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    for minutes in (1, 2, 3):
        _answered(NOW - timedelta(hours=1), timedelta(minutes=minutes))
    assert waits.public_waits()["chat"].seconds is None
    waits.forget()
    TrendPolicy.objects.update_or_create(pk=1, defaults={"wait_min_sample": 3})
    assert waits.public_waits()["chat"].seconds == 120


@pytest.mark.django_db
def test_closed_without_a_human_reply_is_censored_at_closing(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    conversation = make_conversation(NOW - timedelta(hours=3), channel="chat")
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Status.SOLVED, closed_at=NOW - timedelta(hours=3) + timedelta(minutes=1)
    )
    answered = _answered(NOW - timedelta(hours=2), timedelta(minutes=5))
    assert answered.pk
    # The solved one left at 60 s before anyone answered; the other was answered at 300 s.
    assert waits.compute_waits(now=NOW, window_hours=24)["chat"] == (2, 1, 300, False)


@pytest.mark.django_db
def test_the_figure_is_cached_for_a_minute(monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    waits.public_waits()
    with django_assert_num_queries(0):
        waits.public_waits()


@pytest.mark.django_db
def test_the_policy_can_hide_the_figure():
    TrendPolicy.objects.update_or_create(pk=1, defaults={"wait_public": False})
    assert waits.public_waits() == {}


@pytest.fixture
def chat_option(supervisor, actor_of):
    return contact_option_save(
        kind="chat", label_en="Live chat", label_zh="在线客服", url="/portal/", order=1,
        actor=actor_of(supervisor),
    )  # fmt: skip


@pytest.mark.django_db
def test_contact_page_shows_the_wait_in_both_languages(chat_option, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    TrendPolicy.objects.update_or_create(pk=1, defaults={"wait_min_sample": 1})
    _answered(NOW - timedelta(hours=1), timedelta(minutes=7))
    html = Client().get("/help/en/contact/").content.decode()
    assert 'data-wait-channel="chat" data-wait-seconds="420"' in html
    assert "about 7 minutes" in html
    assert "Current wait" in html
    html = Client().get("/help/zh-hans/contact/").content.decode()
    assert "约 7 分钟" in html
    assert "当前等待时间" in html


@pytest.mark.django_db
def test_contact_page_says_not_enough_data(chat_option):
    html = Client().get("/help/en/contact/").content.decode()
    assert 'data-wait-channel="chat">Not enough data yet' in html
    html = Client().get("/help/zh-hans/contact/").content.decode()
    assert "数据不足" in html
