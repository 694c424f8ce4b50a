"""Help-center suggestions before contacting support, in a real browser: in the chat widget
while the first message is typed (with the open-incidents banner), and beside the subject of the
portal's request form. Both record what was shown and mark it submitted when the customer
contacts support anyway."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kefu.conversations.models import Channel, Conversation
from kefu.core.actor import Actor
from kefu.helpcenter import searching
from kefu.helpcenter.models import ArticleTranslation, SearchSource, SuggestionShown
from kefu.helpcenter.services import article_create, article_publish, category_save, section_save
from kefu.inbox.models import ChatSite
from kefu.status import services as status_services
from kefu.status.models import Impact, IncidentKind
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRMED = "[data-testid=kefu-message][data-seq]"


@pytest.fixture
def articles(transactional_db) -> dict[str, ArticleTranslation]:
    """Three live articles, one of them about pending withdrawals."""
    searching.reset()
    system = Actor.system("test")
    category = category_save(
        slug="account", names={"en": "Account", "zh-hans": "账户"}, actor=system
    )
    section = section_save(
        category=category, slug="help", names={"en": "Help", "zh-hans": "帮助"}, actor=system
    )
    live = {}
    for slug, title, body in [
        (
            "withdrawal-pending",
            "Why is my withdrawal pending?",
            "Withdrawals wait for network confirmations and, sometimes, a security review.",
        ),
        ("reset-2fa", "How to reset 2FA", "Lost your authenticator app? Request a 2FA reset."),
        ("deposit-tag", "Deposit without a memo tag", "Forgot the memo? Contact us with the TXID."),
    ]:
        draft = article_create(
            section=section,
            slug=slug,
            language="en",
            title=title,
            body=body,
            summary=body,
            actor=system,
        )
        live[slug] = article_publish(translation=draft, actor=system)
    return live


@pytest.fixture
def demo_site(team_a) -> ChatSite:
    return ChatSite.objects.create(key="demo-site", name="Demo Exchange", team=team_a)


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _shot(page, name: str) -> None:
    folder = os.environ.get("KEFU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """The widget reports "submitted" fire-and-forget: wait for it to land."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_widget_suggests_articles_before_the_first_message(
    browser, asgi_server, articles, demo_site, supervisor, actor_of
):
    incident = status_services.incident_create(
        kind=IncidentKind.INCIDENT,
        title_en="ETH withdrawals delayed",
        impact=Impact.MAJOR,
        body_en="Withdrawals are slow.",
        actor=actor_of(supervisor),
    )
    base = asgi_server.url
    errors: list[str] = []
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    _watch(page, errors)
    page.goto(f"{base}/chat/demo/")
    page.get_by_test_id("kefu-launcher").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_visible()

    # The open incident, linked to its page on the Kefu server.
    banner = page.get_by_test_id("kefu-incidents")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Incident")
    expect(
        banner.get_by_role("link", name=re.compile("ETH withdrawals delayed"))
    ).to_have_attribute("href", f"{base}/help/en/status/incidents/{incident.pk}/")

    # Suggestions while the first message is typed.
    suggestions = page.get_by_test_id("kefu-suggestions")
    expect(suggestions).to_be_hidden()
    page.get_by_test_id("kefu-input").fill("w")
    page.wait_for_timeout(400)
    expect(suggestions).to_be_hidden()  # one character: no search
    page.get_by_test_id("kefu-input").fill("withdrawal pending")
    listing = page.get_by_role("list", name="These articles may answer your question")
    link = listing.get_by_role("link", name=re.compile("Why is my withdrawal pending"))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute(
        "href", re.compile(re.escape(f"{base}/help/en/articles/withdrawal-pending/?s=") + r"\S+")
    )
    expect(page.get_by_test_id("kefu-live")).to_have_text(re.compile(r"Suggested articles: \d"))
    link.focus()
    expect(link).to_be_focused()
    _shot(page, "widget-suggestions")
    token = link.get_attribute("href").rsplit("?s=", 1)[1]
    shown = SuggestionShown.objects.get(token=token)
    assert shown.source == SearchSource.WIDGET
    assert articles["withdrawal-pending"].article_id in shown.article_ids

    # Opening the article (a new tab) records which one was read.
    with ctx.expect_page() as opened:
        link.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    expect(article_page.get_by_role("heading", level=1)).to_have_text(
        "Why is my withdrawal pending?"
    )
    article_page.close()
    _eventually(
        lambda: (
            SuggestionShown.objects.get(token=token).opened_article_id
            == articles["withdrawal-pending"].article_id
        )
    )

    # Writing in anyway: every suggestion shown so far was not a deflection.
    page.get_by_test_id("kefu-input").press("Enter")
    expect(page.locator(CONFIRMED)).to_have_count(1)
    expect(suggestions).to_be_hidden()
    _eventually(
        lambda: (
            not SuggestionShown.objects.filter(source=SearchSource.WIDGET, submitted=False).exists()
        )
    )
    assert SuggestionShown.objects.get(token=token).submitted is True
    assert Conversation.objects.get(channel=Channel.CHAT).subject.startswith("withdrawal")

    # After the first message, typing suggests nothing (and records nothing).
    before = SuggestionShown.objects.count()
    page.get_by_test_id("kefu-input").fill("how to reset 2fa")
    page.wait_for_timeout(600)
    expect(suggestions).to_be_hidden()
    assert SuggestionShown.objects.count() == before
    assert errors == []  # no CSP violations or script errors
    ctx.close()


def test_request_form_suggests_articles_and_fills_the_token(
    browser, asgi_server, articles, customer_1
):
    base = asgi_server.url
    errors: list[str] = []
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    _watch(page, errors)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(customer_1.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/requests/|/$"))
    page.goto(f"{base}/requests/new")

    panel = page.locator("#request-suggestions")
    expect(panel).to_be_hidden()
    page.get_by_label("Subject").press_sequentially("withdrawal pend", delay=20)
    listing = page.get_by_role("list", name="These articles may answer your question")
    link = listing.get_by_role("link", name=re.compile("Why is my withdrawal pending"))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    token_field = page.locator("input[name=suggestion_token]")
    expect(token_field).to_have_value(re.compile(r"\S"))
    expect(page.locator("#request-suggestions-status")).to_have_text(
        re.compile(r"Suggested articles: \d")
    )
    href_token = link.get_attribute("href").rsplit("?s=", 1)[1]
    _eventually(lambda: href_token in token_field.input_value().split())
    _shot(page, "request-form-suggestions")
    tokens = token_field.input_value().split()
    # Typing refines one record per session instead of writing a row per keystroke.
    assert tokens == [href_token]
    assert (
        SuggestionShown.objects.filter(token=href_token, source=SearchSource.REQUEST_FORM).count()
        == 1
    )

    page.get_by_label("What is it about?").select_option("withdrawal")
    page.get_by_label("Description").fill("My USDT withdrawal has been pending for two hours.")
    # The description's first line refines the search: the same record, a new query.
    _eventually(lambda: "USDT" in SuggestionShown.objects.get(token=href_token).query)
    tokens = token_field.input_value().split()
    assert tokens == [href_token]
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))

    assert Conversation.objects.get().subject == "withdrawal pend"
    assert set(
        SuggestionShown.objects.filter(token__in=tokens).values_list("submitted", flat=True)
    ) == {True}
    assert errors == []  # no CSP violations or script errors
    ctx.close()
