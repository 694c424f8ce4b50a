"""Playwright on Debian's Chromium against Django's live server (a real HTTP server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium"))

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KEFU_SKIP_BROWSER_TESTS") or not CHROMIUM.exists():
        reason = f"Chromium not available at {CHROMIUM} (bootstrap.py test installs it)"
        if os.environ.get("CI"):
            return  # in CI a missing browser must fail the run, not skip it
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")  # the sync API holds an event loop: release it per module
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()
