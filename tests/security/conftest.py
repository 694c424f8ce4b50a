"""Security tests reuse the browser set-up of tests/browser: Playwright on Debian's Chromium
against the real ASGI server (``asgi_server`` in the root conftest)."""

from __future__ import annotations

from tests.browser.conftest import browser, pytest_collection_modifyitems

__all__ = ["browser", "pytest_collection_modifyitems"]
