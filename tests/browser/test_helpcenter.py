"""The public help center in a real browser: accessibility (axe-core), keyboard-only search
with suggestions, feedback, language switch, and no CSP or console errors."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kefu.core.actor import Actor
from kefu.helpcenter.models import ArticleFeedback, ArticleTranslation
from kefu.helpcenter.transfer import kb_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_KB = Path(__file__).resolve().parents[2] / "kefu" / "helpcenter" / "demo_kb"
PAGES = [
    "/help/{lang}/",
    "/help/{lang}/categories/withdrawals/",
    "/help/{lang}/articles/withdrawal-pending/",
    "/help/{lang}/search/?q=2fa",
    "/help/{lang}/contact/",
    "/help/{lang}/status/",
]


@pytest.fixture
def demo_kb(transactional_db):
    kb_import(root=DEMO_KB, actor=Actor.system("test"))


def _shot(page, name: str) -> None:
    folder = os.environ.get("KEFU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_have_no_serious_accessibility_violations(browser, asgi_server, demo_kb, lang):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    errors = _watch(page)
    for template in PAGES:
        path = template.format(lang=lang)
        response = page.goto(asgi_server.url + path)
        assert response is not None, path
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == lang, path
        results = axe.run(page)
        serious = [
            f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)
        assert page.locator("h1").count() == 1, path
    assert errors == []
    context.close()


def test_keyboard_only_search_with_suggestions(browser, asgi_server, demo_kb):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(asgi_server.url + "/help/en/")
    # Tab from the top of the page until the search box has focus.
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "hc-q":
            break
    assert page.evaluate("document.activeElement.id") == "hc-q"
    page.keyboard.type("withdrawl pend")  # a typo and an unfinished word
    suggestions = page.locator("#hc-suggestions a")
    suggestions.first.wait_for()
    titles = suggestions.all_text_contents()
    assert any("pending" in t.lower() for t in titles), titles
    assert page.get_by_role("combobox").get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == titles[0]
    _shot(page, "helpcenter-suggestions")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/help/en/articles/[a-z0-9-]+/$"))
    assert page.locator("h1").text_content() == titles[0]
    # The full results page works from the keyboard too.
    page.goto(asgi_server.url + "/help/en/")
    page.get_by_role("combobox").fill("USDT TRC20 提现")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/help/en/search/\?q="))
    assert page.locator("ol.hc-results li").count() >= 3
    assert errors == []
    context.close()


def test_feedback_and_language_switch(browser, asgi_server, demo_kb):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors = _watch(page)
    page.goto(asgi_server.url + "/help/en/articles/lost-2fa/")
    _shot(page, "helpcenter-article")
    page.get_by_role("radio", name="No").check()
    page.get_by_label(re.compile("What could be better")).fill("Say how long the reset takes.")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/help/en/articles/lost-2fa/#feedback$"))
    assert page.get_by_role("status").first.is_visible()
    translation = ArticleTranslation.objects.get(article__slug="lost-2fa", language="en")
    feedback = ArticleFeedback.objects.get(translation=translation)
    assert (feedback.helpful, feedback.comment) == (False, "Say how long the reset takes.")
    page.locator('a[hreflang="zh-hans"]').first.click()
    page.wait_for_url(re.compile(r"/help/zh-hans/articles/lost-2fa/$"))
    assert "2FA" in page.locator("h1").text_content() or "验证" in page.locator("h1").text_content()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    _shot(page, "helpcenter-article-zh")
    assert errors == []
    context.close()
