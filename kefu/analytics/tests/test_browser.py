"""The analytics overview in a real Chromium: Plotly draws every chart under the project's CSP.

Run with ``pytest -m browser``; needs Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import shutil

import pytest

from kefu.analytics import services
from kefu.testing import factories
from kefu.workspace.tests.test_browser import CHROMIUM, _signed_in_page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium is not installed"),
]


def test_overview_draws_its_charts_without_csp_errors(
    browser,  # noqa: F811
    live_server,
    transactional_db,
    supervisor,
    customer_1,
    team_a,
    tmp_path,
):
    factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    services.analytics_refresh()
    page = _signed_in_page(browser, live_server, supervisor)
    page.goto(f"{live_server.url}/agent/analytics/")
    page.wait_for_selector("#chart-daily .main-svg")
    assert page.locator(".an-chart .main-svg").count() >= 5
    page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)
    assert page.console_errors == []
    assert page.failed_requests == []
