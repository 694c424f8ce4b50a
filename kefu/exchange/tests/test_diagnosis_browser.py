"""The Funds panel in a real Chromium: it loads in the side panel (CSP-clean, once), a diagnosis
shows in place, and "Insert explanation" fills the reply box. Run with ``pytest -m browser``."""

from __future__ import annotations

import shutil

import pytest

from kefu.audit.models import AuditEntry
from kefu.exchange.demo_data import MAIN_EMAIL, seed_demo_ledger
from kefu.testing import factories
from kefu.workspace.tests.test_browser import CHROMIUM, _signed_in_page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


@pytest.fixture
def conversation(transactional_db, team_a):
    contact = factories.ContactFactory(email=MAIN_EMAIL, uid="31000000", name="Alex Morgan")
    seed_demo_ledger([contact])
    return factories.ConversationFactory(contact=contact, team=team_a)


def _looks() -> int:
    return AuditEntry.objects.filter(action="exchange.account_viewed").count()


def test_diagnose_and_insert_the_explanation(browser, live_server, agent_a, conversation):  # noqa: F811
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")
    panel = page.locator("[data-exchange-panel]")
    panel.locator("[data-exchange-funds]").wait_for()
    assert "31000000" in panel.inner_text()
    assert _looks() == 1

    panel.get_by_label("Asset").fill("BTC")
    panel.get_by_label("Network").fill("BTC")
    panel.get_by_label("Amount").fill("3.2")
    panel.get_by_role("button", name="Diagnose").click()
    panel.locator('[data-finding="withdrawal.daily_limit"]').wait_for()
    assert page.url == f"{live_server.url}/agent/c/{conversation.pk}/"  # no reload

    panel.get_by_role("button", name="Insert explanation").click()
    reply = page.locator('form[data-live-form="reply"] textarea[name="body"]')
    assert "daily withdrawal limit" in reply.input_value()
    assert "00:00 UTC" in reply.input_value()
    assert page.console_errors == []
    assert page.failed_requests == []
    assert _looks() == 2  # the page load and the diagnosis


def test_without_javascript_the_panel_and_diagnosis_are_pages(
    browser,  # noqa: F811
    live_server,
    agent_a,
    conversation,
):
    page = _signed_in_page(browser, live_server, agent_a, java_script_enabled=False)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")
    assert _looks() == 0
    page.get_by_role("link", name="Show the exchange account and fund records").click()
    assert "31000000" in page.locator("main").inner_text()
    page.get_by_label("Asset").fill("BTC")
    page.get_by_label("Amount").fill("3.2")
    page.get_by_role("button", name="Diagnose").click()
    text = page.locator("textarea[data-insert-text]").input_value()
    assert "daily withdrawal limit" in text
    assert page.get_by_role("button", name="Insert explanation").is_hidden()
