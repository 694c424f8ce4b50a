"""The community forum end to end in a real browser: a customer asks, a moderator approves the
first post and answers with the staff badge, the customer accepts the answer, and staff
promote it into a draft knowledge-base article."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kefu.community.models import Board, Thread, Visibility
from kefu.core.actor import Actor
from kefu.helpcenter.models import ArticleTranslation
from kefu.helpcenter.services import category_save, section_save
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


def test_ask_answer_accept_promote(browser, asgi_server, customer_1, supervisor):
    base = asgi_server.url
    system = Actor.system("test")
    Board.objects.create(slug="withdrawals", language="en", name="Withdrawals")
    category = category_save(slug="faq", names={"en": "FAQ"}, actor=system)
    section_save(category=category, slug="general", names={"en": "General"}, actor=system)
    errors: list[str] = []

    customer = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, customer_1.email)
    page.wait_for_url(re.compile(r"/requests/"))
    page.goto(f"{base}/help/en/community/b/withdrawals/")
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Title").fill("USDT withdrawal pending for two hours")
    page.get_by_label("Your question").fill("I withdrew **250 USDT** on TRC20. Still pending.")
    page.get_by_role("button", name="Post question").click()
    page.wait_for_url(re.compile(r"/help/en/community/t/\d+/$"))
    thread = Thread.objects.get()
    assert thread.visibility == Visibility.HELD  # a new member's first post
    page.get_by_text("waiting for a moderator's review").wait_for()

    staff = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
    desk = staff.new_page()
    desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(desk, base, supervisor.email)
    desk.wait_for_url(re.compile(r"/agent/"))
    desk.goto(f"{base}/agent/community/")
    desk.locator("#held-posts").get_by_text("USDT withdrawal pending").wait_for()
    desk.locator("#held-posts").get_by_role("button", name="Approve").click()
    desk.get_by_text("Nothing is waiting.").wait_for()
    thread.refresh_from_db()
    assert thread.visibility == Visibility.VISIBLE

    desk.goto(f"{base}/help/en/community/t/{thread.pk}/")
    desk.get_by_label("Your answer").fill("TRC20 withdrawals wait for 20 confirmations.")
    desk.get_by_role("button", name="Post answer").click()
    answer = desk.locator("article.cm-post").filter(has_text="20 confirmations")
    answer.locator(".cm-staff").wait_for()
    _shot(desk, "community-staff-answer")

    page.reload()
    page.locator("article.cm-post").filter(has_text="20 confirmations").get_by_role(
        "button", name="Accept this answer"
    ).click()
    page.get_by_text("Answer accepted.").wait_for()
    thread.refresh_from_db()
    assert thread.accepted_post is not None
    assert thread.accepted_post.by_staff
    _shot(page, "community-accepted")

    desk.reload()
    desk.get_by_role("link", name="Promote the accepted answer to a draft article").click()
    desk.get_by_label("Article slug").fill("usdt-trc20-pending")
    desk.get_by_role("button", name="Create draft article").click()
    desk.wait_for_url(re.compile(r"/agent/kb/a/usdt-trc20-pending/"))
    translation = ArticleTranslation.objects.get(article__slug="usdt-trc20-pending")
    assert translation.published_revision_id is None  # a draft
    assert "20 confirmations" in translation.current_revision.body
    assert errors == []
    customer.close()
    staff.close()
