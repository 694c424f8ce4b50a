"""Revealing a masked customer detail in a real Chromium: in place with JavaScript (CSP-clean),
by a form round trip without it. Run with ``pytest -m browser``."""

from __future__ import annotations

import shutil

import pytest

from kefu.audit.models import AuditEntry
from kefu.testing import factories
from kefu.workspace.tests.test_browser import CHROMIUM, _signed_in_page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]

PHONE = "+86 13812348000"


@pytest.fixture
def conversation(transactional_db, customer_1, team_a, agent_a):
    contact = customer_1.contact
    contact.phone = PHONE
    contact.save(update_fields=["phone"])
    return factories.ConversationFactory(contact=contact, team=team_a)


def reveals() -> list[object]:
    return list(AuditEntry.objects.filter(action="contact.revealed").values_list("data", flat=True))


def test_show_replaces_the_masked_phone_in_place(browser, live_server, agent_a, conversation):  # noqa: F811
    page = _signed_in_page(browser, live_server, agent_a)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")
    phone = page.locator("#conversation-aside dd").filter(has_text="138****8000")

    assert phone.locator("[data-reveal-value]").inner_text() == "+86 138****8000"
    phone.get_by_role("button", name="Show").click()

    page.wait_for_selector(f'[data-reveal-value]:text-is("{PHONE}")')
    assert phone.locator("form").count() == 0
    assert page.url == f"{live_server.url}/agent/c/{conversation.pk}/"  # no reload
    assert reveals() == [{"field": "phone", "conversation": conversation.pk}]
    assert page.console_errors == []
    assert page.failed_requests == []


def test_without_javascript_show_opens_a_page_with_the_value(
    browser,  # noqa: F811
    live_server,
    agent_a,
    customer_1,
    conversation,
):
    page = _signed_in_page(browser, live_server, agent_a, java_script_enabled=False)
    page.goto(f"{live_server.url}/agent/c/{conversation.pk}/")

    page.locator("form[data-reveal-form]").first.get_by_role("button", name="Show").click()

    page.wait_for_url(f"{live_server.url}/agent/c/{conversation.pk}/customer/reveal")
    assert customer_1.contact.email in page.locator("dd.ws-mono").inner_text()
    assert reveals() == [{"field": "email", "conversation": conversation.pk}]
