"""The Assistant section in a real Chromium: it loads into the side panel (CSP-clean), "Insert"
fills the reply box, and without JavaScript it is a page of its own. Run with
``pytest -m browser``."""

from __future__ import annotations

import shutil

import pytest

from kefu.accounts.services import actor_for_user
from kefu.conversations.services import macro_save
from kefu.testing import factories
from kefu.workspace.tests.test_browser import CHROMIUM, _signed_in_page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


@pytest.fixture
def conversation(transactional_db, team_a, supervisor):
    macro_save(
        name="Withdrawal delayed",
        body_en="Hello {{ customer_name }}, your withdrawal in {{ reference }} is queued behind "
        "network congestion.",
        body_zh="{{ customer_name }}您好，您在 {{ reference }} 中的提现因网络拥堵正在排队。",
        actor=actor_for_user(supervisor),
    )
    contact = factories.ContactFactory(name="Alex Morgan")
    return factories.ConversationFactory(
        contact=contact, team=team_a, body="My withdrawal is delayed, stuck in the queue."
    )


def test_insert_puts_a_suggestion_into_the_reply_box(browser, live_server, agent_a, conversation):  # noqa: F811
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")
    panel = page.locator("[data-assistant-panel]")
    panel.locator("[data-assistant-content]").wait_for()
    assert "Withdrawal delayed" in panel.inner_text()
    reply = page.locator('form[data-live-form="reply"] textarea[name="body"]')
    reply.fill("Hi,")
    panel.get_by_role("button", name="Insert").first.click()
    value = reply.input_value()
    assert value.startswith("Hi,\n\nHello Alex Morgan, your withdrawal in KF-")
    assert "network congestion" in value
    assert page.url == f"{live_server.url}/agent/c/{conversation.pk}/"  # no reload
    assert page.console_errors == []
    assert page.failed_requests == []


def test_without_javascript_the_suggestions_are_a_page(
    browser,  # noqa: F811
    live_server,
    agent_a,
    conversation,
):
    page = _signed_in_page(browser, live_server, agent_a, java_script_enabled=False)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")
    page.get_by_role("link", name="Show suggested replies and the summary").click()
    text = page.locator("textarea[data-insert-text]").first.input_value()
    assert "network congestion" in text
    assert page.get_by_role("button", name="Insert").first.is_hidden()
    page.get_by_role("link", name="Use this macro in the reply box").click()
    reply = page.locator('form[data-live-form="reply"] textarea[name="body"]')
    assert "network congestion" in reply.input_value()
