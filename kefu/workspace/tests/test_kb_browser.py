"""Knowledge-base authoring in a real Chromium: the live preview follows the typing, an
uploaded image is inserted at the cursor, the pages are CSP-clean and pass axe-core.

Needs Debian's Chromium at /usr/bin/chromium (skipped otherwise).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kefu.accounts.models import KbRole
from kefu.core.actor import Actor
from kefu.helpcenter.models import ArticleImage
from kefu.helpcenter.services import articles as kb
from kefu.testing import factories
from kefu.workspace.tests.conftest import MODEL_BACKEND, PNG

CHROMIUM = "/usr/bin/chromium"
SYSTEM = Actor.system("test")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def editor(transactional_db):
    user = factories.StaffFactory(email="kb.editor@kefu.test", kb_role=KbRole.EDITOR)
    category = kb.category_save(slug="account", names={"en": "Account"}, actor=SYSTEM)
    section = kb.section_save(
        category=category, slug="security", names={"en": "Security"}, actor=SYSTEM
    )
    draft = kb.article_create(
        section=section,
        slug="reset-2fa",
        language="en",
        title="Reset your 2FA",
        body="First line.",
        actor=SYSTEM,
    )
    return user, draft


@pytest.fixture
def with_history(editor):
    """A live article with a newer draft (a diff to show) and a reader's comment."""
    user, draft = editor
    live = kb.article_publish(translation=draft, actor=SYSTEM)
    kb.article_feedback(
        translation=live, helpful=False, comment="Step 2 is unclear", voter="v1", actor=SYSTEM
    )
    kb.article_translation_save(
        article=live.article,
        language="en",
        title="Reset your 2FA",
        body="First line.\n\n## Steps\n\n1. Open settings",
        actor=SYSTEM,
    )
    return user


def _page(browser: Any, live_server: Any, user: Any, **context: Any) -> Any:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    ctx = browser.new_context(**context)
    ctx.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page = ctx.new_page()
    page.console_errors = []
    # The live server speaks WSGI only: the workspace's agent socket cannot open here.
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and not m.text.startswith("WebSocket connection to")
            and page.console_errors.append(m.text)
        ),
    )
    return page


def test_preview_follows_the_typing(browser, live_server, editor):
    page = _page(browser, live_server, editor[0])
    page.goto(f"{live_server.url}/agent/kb/a/reset-2fa/en/edit")
    assert page.is_hidden("button[data-kb-preview-button]")  # not needed with JavaScript

    page.fill("#id_body", "## Steps\n\n**Open** settings <script>alert(1)</script>")

    page.wait_for_selector("#kb-preview h2#steps")
    assert page.inner_html("#kb-preview strong") == "Open"
    assert page.locator("#kb-preview script").count() == 0
    assert page.url.endswith("/agent/kb/a/reset-2fa/en/edit")  # no reload
    assert page.console_errors == []


def test_uploaded_image_is_inserted_at_the_cursor(browser, live_server, editor, tmp_path):
    picture = tmp_path / "screen.png"
    picture.write_bytes(PNG)
    page = _page(browser, live_server, editor[0])
    page.goto(f"{live_server.url}/agent/kb/a/reset-2fa/en/edit")

    page.set_input_files("#image_image", str(picture))
    page.click("text=Upload and insert")

    page.wait_for_selector("text=Image uploaded and inserted into the text.")
    image = ArticleImage.objects.get()
    assert page.input_value("#id_body") == (
        f"First line.\n![screen](/help/media/{image.pk}/screen.png)\n"
    )
    assert page.console_errors == []


def test_kb_pages_pass_axe_and_fit_a_phone(browser, live_server, with_history):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = _page(browser, live_server, with_history, viewport={"width": 375, "height": 740})
    for path in (
        "",
        "review",
        "new",
        "a/reset-2fa/",
        "a/reset-2fa/en/edit",
        "a/reset-2fa/zh-hans/edit",
        "a/reset-2fa/en/history",
        "a/reset-2fa/en/history/1",
        "a/reset-2fa/en/history/2",
        "a/reset-2fa/feedback",
    ):
        response = page.goto(f"{live_server.url}/agent/kb/{path}")
        assert response is not None
        assert response.status == 200, path
        violations = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert violations == [], path
        assert page.locator("h1").count() == 1, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    assert page.console_errors == []
