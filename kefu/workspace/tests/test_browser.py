"""The workspace in a real Chromium: macro insertion by JavaScript, CSP-clean pages, mobile width.

Run with ``pytest -m browser``; needs Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kefu.testing import factories
from kefu.workspace.tests.conftest import MODEL_BACKEND

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make meanwhile are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _signed_in_page(browser: Any, live_server: Any, user: Any, **context: Any) -> Any:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    ctx = browser.new_context(**context)
    ctx.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page = ctx.new_page()
    page.console_errors = []  # CSP violations and script errors land here
    # Django's live server speaks WSGI only, so the agent socket cannot open here and Chromium
    # logs each attempt; tests/browser/test_workspace_live.py runs it on the ASGI server.
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and not m.text.startswith("WebSocket connection to")
            and page.console_errors.append(m.text)
        ),
    )
    page.failed_requests = []
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and page.failed_requests.append(r.url)
        ),
    )
    return page


@pytest.fixture
def scene(transactional_db, customer_1, team_a, agent_a):
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    macro = factories.MacroFactory(name="Checking")
    return conversation, macro


def test_choosing_a_macro_inserts_its_text_into_the_reply_box(
    browser, live_server, agent_a, customer_1, scene
):
    conversation, macro = scene
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")

    page.fill("#reply_body", "Thanks for waiting.")
    page.select_option("#macro-select", str(macro.pk))

    expected = (
        f"Thanks for waiting.\nHello {customer_1.contact.name}, about "
        f"{conversation.reference}: we are on it. {agent_a.display_name}"
    )
    assert page.input_value("#reply_body") == expected
    assert page.url == f"{live_server.url}/agent/c/{conversation.pk}/"  # no reload
    assert page.console_errors == []
    assert page.failed_requests == []


def test_picking_another_macro_replaces_the_first(browser, live_server, agent_a, scene):
    conversation, macro = scene
    other = factories.MacroFactory(name="Closing", body_en="Bye {{ customer_name }}")
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")

    page.select_option("#macro-select", str(macro.pk))
    page.select_option("#macro-select", str(other.pk))

    assert page.input_value("#reply_body") == f"Bye {conversation.contact.name}"


def test_inbox_fits_a_phone_screen_without_csp_errors(browser, live_server, agent_a, scene):
    page = _signed_in_page(browser, live_server, agent_a, viewport={"width": 375, "height": 740})
    page.goto(f"{live_server.url}/agent/?view=unassigned")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.is_visible("text=Withdrawal not received")
    assert not page.is_visible("#id_status_0")  # the filters are folded away on a phone
    page.click("summary.ws-h")
    assert page.is_visible("#id_status_0")
    assert page.console_errors == []
    assert page.failed_requests == []


def test_filters_are_open_on_a_wide_screen(browser, live_server, agent_a, scene):
    page = _signed_in_page(browser, live_server, agent_a, viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/agent/?view=unassigned")

    assert page.is_visible("#id_status_0")


def test_conversation_page_fits_a_phone_screen(browser, live_server, agent_a, scene):
    conversation, _macro = scene
    page = _signed_in_page(browser, live_server, agent_a, viewport={"width": 375, "height": 740})
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.console_errors == []
    assert page.failed_requests == []


def test_keyboard_reaches_the_reply_box_and_sends(browser, live_server, agent_a, scene):
    conversation, _macro = scene
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")

    page.focus("#reply_body")
    page.keyboard.type("Sent from the keyboard")
    for _ in range(3):  # attachments, status, then the send button
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send reply"
    page.keyboard.press("Enter")

    # Sent with fetch: the page stays, the confirmation and the timeline update in place.
    page.wait_for_selector("text=Reply sent to the customer.")
    page.wait_for_selector(".ws-timeline >> text=Sent from the keyboard")
    assert page.input_value("#reply_body") == ""
    assert page.url == f"{live_server.url}/agent/c/{conversation.pk}/"
    assert page.console_errors == []
