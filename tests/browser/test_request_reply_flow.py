"""End to end in a real browser: a customer submits a request, an agent replies, the customer
sees the reply."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kefu.conversations.models import Conversation, Message, MessageKind
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shot(page, name: str) -> None:
    folder = os.environ.get("KEFU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_customer_request_agent_reply_customer_sees_it(browser, asgi_server, customer_1, agent_a):
    base = asgi_server.url
    errors: list[str] = []

    customer = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, customer_1.email)
    page.goto(f"{base}/requests/new")
    page.get_by_label("What is it about?").select_option("withdrawal")
    page.get_by_label("Subject").fill("USDT withdrawal not received")
    page.get_by_label("Description").fill("I withdrew 250 USDT on TRON two hours ago.")
    page.get_by_label("Transaction ID (optional)").fill("0xabc123")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    conversation = Conversation.objects.get(subject="USDT withdrawal not received")
    assert conversation.reference in page.content()
    assert conversation.tx_id == "0xabc123"
    _shot(page, "portal-request")

    agent = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    desk = agent.new_page()
    desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(desk, base, agent_a.email)
    desk.wait_for_url(re.compile(r"/agent/"))
    desk.goto(f"{base}/agent/?view=unassigned")
    desk.get_by_role("link", name=re.compile("USDT withdrawal not received")).first.click()
    desk.wait_for_url(re.compile(rf"/agent/c/{conversation.pk}/$"))
    desk.get_by_label("Reply to the customer").fill(
        "Your withdrawal is confirmed on chain; txid 0xabc123."
    )
    desk.get_by_role("button", name="Send reply").click()
    # The workspace sends the reply without leaving the page and shows it in the timeline.
    desk.get_by_text("Reply sent to the customer.").wait_for()
    desk.locator("#timeline").get_by_text("Your withdrawal is confirmed on chain").wait_for()
    assert (
        Message.objects.filter(
            conversation=conversation, kind=MessageKind.REPLY, author_user=agent_a
        ).count()
        == 1
    )
    _shot(desk, "workspace-conversation")

    page.reload()
    assert page.get_by_text("Your withdrawal is confirmed on chain").is_visible()
    assert errors == []  # no CSP violations or script errors in either page
    customer.close()
    agent.close()
