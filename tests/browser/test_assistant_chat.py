"""The assistant answering first in live chat, end to end in a real browser: the widget on the
demo host page asks how to deposit USDT, the real assistant (classifier, help-center search,
dialogue) answers with a cited article and "did this answer your question?" buttons, the
visitor says no and is handed to a person with the expected wait, and the agent finds the
conversation in the team inbox with the hand-off summary as an internal note.

The server is the real ASGI application (``asgi_server``); jobs run immediately in tests, so
the assistant's turn runs right after the visitor's message commits.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kefu.accounts.services import actor_for_user
from kefu.assistant.models import AssistantSession, Outcome
from kefu.conversations.models import Channel, Conversation, Message, MessageKind
from kefu.helpcenter.transfer import kb_import
from kefu.inbox.models import ChatSite
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_KB = Path(__file__).resolve().parents[2] / "kefu" / "helpcenter" / "demo_kb"
CONFIRMED = "[data-testid=kefu-message][data-seq]"
TIMEOUT_MS = 15_000


@pytest.fixture
def assistant_site(team_a, supervisor):
    kb_import(root=DEMO_KB, actor=actor_for_user(supervisor))  # what the assistant cites
    return ChatSite.objects.create(
        key="demo-site",  # the key the demo host page embeds
        name="Demo Exchange",
        team=team_a,
        greeting_en="Hi! Ask us anything about your account.",
        assistant_first=True,
    )


def _shot(page, name: str) -> None:
    folder = os.environ.get("KEFU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def test_assistant_answers_with_a_source_then_hands_off_to_the_team(
    browser, asgi_server, assistant_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = visitor.new_page()
    _watch(page, errors)
    page.goto(f"{base}/chat/demo/")
    page.get_by_test_id("kefu-launcher").click()
    page.get_by_test_id("kefu-input").fill("how do I deposit USDT")
    page.get_by_test_id("kefu-input").press("Enter")

    answer = page.locator(f"{CONFIRMED}[data-author=assistant]")
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    citation = answer.get_by_test_id("kefu-citation").first
    expect(citation).to_be_visible()
    expect(citation).to_have_attribute("href", re.compile(r"/help/en/articles/[\w-]+/"))
    actions = answer.get_by_test_id("kefu-assistant-actions")
    expect(actions).to_have_attribute("role", "group")
    yes = actions.get_by_role("button", name="Yes, thanks")
    no = actions.get_by_role("button", name="No")
    expect(yes).to_be_visible()
    expect(no).to_be_visible()
    conversation = Conversation.objects.get(channel=Channel.CHAT)
    assert conversation.assignee_id is None  # the assistant has it
    _shot(page, "assistant-chat-answer")

    # Keyboard: the buttons are real, focusable <button>s.
    no.focus()
    expect(no).to_be_focused()
    page.keyboard.press("Enter")

    mine = page.locator(f"{CONFIRMED}[data-author=customer]")
    expect(mine).to_have_count(2, timeout=TIMEOUT_MS)
    expect(mine.last.get_by_test_id("kefu-message-body")).to_have_text("No")
    expect(answer).to_have_count(2, timeout=TIMEOUT_MS)
    # Nobody of the team is online in this test: the wait message says so.
    expect(answer.last.get_by_test_id("kefu-message-body")).to_contain_text(
        "Nobody is available right now"
    )
    expect(answer.last.get_by_test_id("kefu-assistant-link")).to_have_count(0)
    expect(actions).to_be_hidden()  # buttons belong to the latest message only
    _shot(page, "assistant-chat-handed-off")
    session = AssistantSession.objects.get(conversation=conversation)
    assert session.outcome == Outcome.HANDED_OFF
    assert not session.active
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert page.get_by_text("Assistant hand-off summary").count() == 0  # never to the customer

    # The agent sees the chat in the team inbox and the summary at the conversation.
    agent = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    desk = agent.new_page()
    _watch(desk, errors)
    desk.goto(f"{base}/login")
    desk.get_by_label("Email").fill(agent_a.email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(re.compile(r"/agent/"))
    desk.goto(f"{base}/agent/?view=teams")
    link = desk.get_by_role("link", name=re.compile("how do I deposit USDT"))
    expect(link.first).to_be_visible(timeout=TIMEOUT_MS)
    link.first.click()
    desk.wait_for_url(re.compile(rf"/agent/c/{conversation.pk}/"))
    expect(desk.get_by_text("Assistant hand-off summary").first).to_be_visible()
    _shot(desk, "assistant-chat-agent-summary")
    assert "Assistant hand-off summary" in note.body
    assert errors == []
    visitor.close()
    agent.close()
