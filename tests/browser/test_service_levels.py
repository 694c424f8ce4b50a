"""Service levels in real browsers on the ASGI server (``asgi_server``): the widget's inline
satisfaction survey after an agent solves the chat (the customer rates; the answer is stored;
after a low rating the card asks a senior colleague to review it), and the agent's alert badge
counting up live when the SLA worker raises an alert."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from playwright.sync_api import expect

from kefu.conversations import services as conv
from kefu.conversations.models import Channel, Conversation
from kefu.csat.models import Survey
from kefu.inbox.models import ChatSite
from kefu.routing.models import EscalationRequest, EscalationSource, EscalationState
from kefu.sla.models import SlaAlert, SlaTimer, TimerKind
from kefu.sla.services import policy_save
from kefu.sla.worker import sla_evaluate
from kefu.testing import factories
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRMED = "[data-testid=kefu-message][data-seq]"
LIVE_TIMEOUT_MS = 15_000  # well under the server's 20 s database resync: proves a live push


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _agent(browser, base: str, email: str, errors: list[str]):
    ctx = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    desk = ctx.new_page()
    _watch(desk, errors)
    desk.goto(f"{base}/login")
    desk.get_by_label("Email").fill(email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(re.compile(r"/agent/"))
    return ctx, desk


def _in_server(server, function, **kwargs):
    """Run ``function`` as the server's own code runs (``sync_to_async`` from its event loop),
    so its on-commit pushes go through that loop's channel layer like a worker's would."""
    loop = server.server.servers[0].get_loop()
    future = asyncio.run_coroutine_threadsafe(sync_to_async(function)(**kwargs), loop)
    return future.result(timeout=30)


@pytest.fixture
def demo_site(team_a):
    return ChatSite.objects.create(key="demo-site", name="Demo Exchange", team=team_a)


def _chat_then_solve(browser, base: str, agent_email: str, errors: list[str]):
    """A visitor chats in the widget; the agent replies and solves in the workspace."""
    visitor = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = visitor.new_page()
    _watch(page, errors)
    page.goto(f"{base}/chat/demo/")
    page.get_by_test_id("kefu-launcher").click()
    page.get_by_test_id("kefu-input").fill("My withdrawal is stuck")
    page.get_by_test_id("kefu-input").press("Enter")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    conversation = Conversation.objects.get(channel=Channel.CHAT)
    expect(page.get_by_test_id("kefu-survey")).to_be_hidden()

    agent, desk = _agent(browser, base, agent_email, errors)
    desk.goto(f"{base}/agent/c/{conversation.pk}/")
    desk.get_by_label("Reply to the customer").fill("It has been sent now.")
    desk.get_by_label("Then set status to").select_option("solved")
    desk.get_by_role("button", name="Send reply").click()
    return visitor, page, agent, conversation


def test_widget_survey_card_after_the_chat_is_solved_stores_the_rating(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page, agent, conversation = _chat_then_solve(browser, base, agent_a.email, errors)
    survey_card = page.get_by_test_id("kefu-survey")

    # The chat shows the survey inline, pushed live (no reload of the host page).
    page.evaluate("window.kefuNotReloaded = true")
    expect(survey_card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(survey_card).to_contain_text("How did we do?")
    expect(page.get_by_test_id("kefu-survey-send")).to_have_text("Send my rating")
    page.get_by_test_id("kefu-survey-4").check()
    page.get_by_test_id("kefu-survey-yes").check()
    page.get_by_test_id("kefu-survey-comment").fill("Quick and friendly")
    page.get_by_test_id("kefu-survey-send").click()
    expect(page.get_by_test_id("kefu-survey-thanks")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("kefu-survey-send")).to_have_text("Change my answer")
    expect(page.get_by_test_id("kefu-survey-escalate")).to_be_hidden()  # a good answer
    assert page.evaluate("window.kefuNotReloaded") is True

    survey = Survey.objects.get(conversation=conversation)
    assert (survey.rating, survey.resolved, survey.comment) == (4, True, "Quick and friendly")
    assert survey.answered_at is not None
    assert errors == []
    agent.close()
    visitor.close()


def test_widget_survey_card_offers_a_senior_review_right_after_a_low_rating(
    browser, asgi_server, demo_site, agent_a
):
    base = asgi_server.url
    errors: list[str] = []
    visitor, page, agent, conversation = _chat_then_solve(browser, base, agent_a.email, errors)
    survey_card = page.get_by_test_id("kefu-survey")
    expect(survey_card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    escalate = page.get_by_test_id("kefu-survey-escalate")
    expect(escalate).to_be_hidden()  # nothing negative said yet

    page.get_by_test_id("kefu-survey-2").check()
    page.get_by_test_id("kefu-survey-no").check()
    page.get_by_test_id("kefu-survey-send").click()
    expect(page.get_by_test_id("kefu-survey-thanks")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    # The chat is minutes old (the portal's own ask waits 24 hours): the survey offers it now.
    expect(escalate).to_be_visible()
    expect(escalate).to_have_text("Ask a senior colleague to review it")
    escalate.click()
    expect(page.get_by_test_id("kefu-survey-escalated")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(escalate).to_be_hidden()  # one request at a time

    request = EscalationRequest.objects.get(conversation=conversation)
    assert (request.source, request.state) == (EscalationSource.CSAT, EscalationState.PENDING)
    survey = Survey.objects.get(conversation=conversation)
    assert (survey.rating, survey.resolved) == (2, False)
    assert errors == []
    agent.close()
    visitor.close()


def test_agent_alert_badge_counts_up_live_when_an_sla_alert_is_raised(
    browser, asgi_server, supervisor, agent_a, customer_1, team_a, actor_of
):
    policy_save(
        actor=actor_of(supervisor),
        name="All",
        first_response_minutes=60,
        resolution_minutes=600,
        business_time=False,
    )
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    conv.conversation_assign(conversation=conversation, assignee=agent_a, actor=actor_of(agent_a))
    timer = SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)

    base = asgi_server.url
    errors: list[str] = []
    ctx, desk = _agent(browser, base, agent_a.email, errors)
    desk.goto(f"{base}/agent/")
    expect(desk.locator("#ws-conn")).to_have_attribute("data-state", "live")
    badge = desk.locator("#sla-alerts-badge")
    expect(badge).to_be_hidden()
    desk.evaluate("window.kefuNotReloaded = true")

    # The worker's run (48 of 60 minutes: past the 80 % warning) raises one alert for agent A.
    result = _in_server(asgi_server, sla_evaluate, now=timer.started_at + timedelta(minutes=48))
    assert result.warned == [timer.pk]
    assert SlaAlert.objects.filter(recipient=agent_a, read_at__isnull=True).count() == 1

    expect(badge).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(badge).to_have_text("1")
    assert desk.evaluate("window.kefuNotReloaded") is True
    desk.locator("a", has=badge).click()
    desk.wait_for_url(re.compile(r"/agent/alerts/"))
    expect(desk.locator("#sla-alerts li.unread")).to_have_count(1)
    assert errors == []
    ctx.close()
