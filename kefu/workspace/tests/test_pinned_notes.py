"""Pinned internal notes (the assistant's hand-off summary): a "Pinned" box above the timeline
for staff, re-rendered with the timeline region; never anywhere the customer looks."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from kefu.conversations.services import message_reply, note_add
from kefu.core.actor import Actor, ActorKind
from kefu.realtime.payloads import customer_messages_after, customer_messages_latest
from kefu.workspace.tests.conftest import MODEL_BACKEND

ASSISTANT = Actor(kind=ActorKind.ASSISTANT, label="assistant")
SUMMARY = "Assistant hand-off summary: withdrawal stuck for 3 hours, txid checked"


def _pinned_box(html: str) -> str:
    match = re.search(r"<section[^>]*data-pinned[^>]*>(.*?)</section>", html, re.S)
    assert match, "no Pinned box on the page"
    return match.group(1)


def _pin(conversation):
    return note_add(
        conversation=conversation,
        body=SUMMARY,
        actor=ASSISTANT,
        metadata={"pinned": True, "assistant_handoff": {"reason": "asked", "intent": "kyc"}},
    )


def test_the_pinned_note_shows_in_a_box_above_the_timeline(client_a, agent_a, conversation_a):
    _pin(conversation_a)
    note_add(conversation=conversation_a, body="An ordinary note", actor=ASSISTANT)

    html = client_a.get(f"/agent/c/{conversation_a.pk}/").content.decode()

    box = _pinned_box(html)
    assert "Pinned" in box
    assert "Internal note" in box
    assert SUMMARY in box
    assert "An ordinary note" not in box  # only notes marked pinned
    # Above the timeline's list, and the note is still in the timeline too.
    assert html.index("data-pinned") < html.index('class="ws-timeline"')
    timeline = html[html.index('class="ws-timeline"') :]
    assert SUMMARY in timeline
    assert "An ordinary note" in timeline


def test_the_box_is_part_of_the_region_the_live_page_refetches(client_a, conversation_a):
    before = client_a.get(
        reverse("workspace:conversation_timeline", args=[conversation_a.pk])
    ).content.decode()
    assert "data-pinned" not in before  # no pinned note, no box

    _pin(conversation_a)
    html = client_a.get(
        reverse("workspace:conversation_timeline", args=[conversation_a.pk])
    ).content.decode()

    region = html[html.index('data-region="timeline"') :]
    assert SUMMARY in _pinned_box(region)


def test_a_pinned_flag_on_a_public_reply_does_not_pin_it(client_a, agent_a, conversation_a):
    message = message_reply(conversation=conversation_a, body="Public words", actor=ASSISTANT)
    type(message).objects.filter(pk=message.pk).update(metadata={"pinned": True})

    html = client_a.get(f"/agent/c/{conversation_a.pk}/").content.decode()

    assert "data-pinned" not in html


def test_the_customer_never_sees_the_pinned_note(customer_1, conversation_a):
    message_reply(conversation=conversation_a, body="We are on it.", actor=ASSISTANT)
    _pin(conversation_a)
    client = Client()
    client.force_login(customer_1, backend=MODEL_BACKEND)

    response = client.get(reverse("portal:request_detail", args=[conversation_a.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "We are on it." in content  # the page does show the conversation's replies
    assert SUMMARY not in content
    assert "Pinned" not in content
    # The live chat's history and catch-up frames carry public replies only.
    for frames in (
        customer_messages_latest(conversation_a.pk),
        customer_messages_after(conversation_a.pk, 0),
    ):
        assert [m["body"] for m in frames if "We are on it." in str(m)]
        assert SUMMARY not in str(frames)
