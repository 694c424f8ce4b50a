"""End to end in a real browser: a locked-out customer asks for an unlock from the help center
without signing in; one agent prepares the case, a second (senior) one approves it; the
exchange account is unlocked."""

from __future__ import annotations

import re
import time

import pytest

from kefu.cases.models import CaseState, VerificationCase
from kefu.cases.tests.conftest import LOCKED, locked_contact, photo  # noqa: F401
from kefu.exchange.connector import AccountStatus
from kefu.exchange.models import DemoAccount
from kefu.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/agent/"))


def test_unlock_from_submission_to_two_person_approval(
    browser,
    asgi_server,
    locked_contact,  # noqa: F811
    agent_a,
    senior,
    tmp_path,
):
    base = asgi_server.url
    errors: list[str] = []
    id_photo, selfie = tmp_path / "passport.jpg", tmp_path / "selfie.png"
    id_photo.write_bytes(photo())
    selfie.write_bytes(photo("PNG"))

    visitor = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = visitor.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/help/verify/?lang=en")
    page.get_by_label("Unlock my account").check()
    page.get_by_label("Email address of your account").fill(LOCKED.email)
    page.get_by_label("What happened?").fill("Locked after too many password attempts.")
    page.get_by_label("Photo of your identity document").set_input_files(str(id_photo))
    page.get_by_label("Selfie holding the same document").set_input_files(str(selfie))
    page.get_by_role("button", name="Send my request").click()
    page.locator("#case-submitted").wait_for()
    case = VerificationCase.objects.get()
    assert page.locator("#case-ref").inner_text() == case.ref
    visitor.close()

    def desk_for(user):
        context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 1000})
        desk = context.new_page()
        desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _login(desk, base, user.email)
        return context, desk

    first, desk = desk_for(agent_a)
    desk.goto(f"{base}/agent/cases/")
    desk.get_by_role("link", name=case.ref).click()
    desk.get_by_role("button", name="Take this case").click()
    assert desk.locator("#case-kyc-name").inner_text() == LOCKED.name
    # Both documents are shown to the reviewer (decrypted on the fly).
    for name in ("Identity document", "Selfie holding the document"):
        desk.get_by_role("img", name=name).wait_for()
    # Polled from here: wait_for_function polls inside the page with eval, which the page's
    # Content-Security-Policy refuses (a console error) whenever the first check is false.
    loaded = (
        "[...document.querySelectorAll('.case-docs img')]"
        ".every(img => img.complete && img.naturalWidth > 0) "
        "&& document.querySelectorAll('.case-docs img').length === 2"
    )
    deadline = time.monotonic() + 15
    while not desk.evaluate(loaded):
        assert time.monotonic() < deadline, "the case documents did not load"
        desk.wait_for_timeout(100)
    desk.get_by_label(re.compile("The document is genuine")).check()
    desk.get_by_label(re.compile("The selfie shows the same person")).check()
    desk.get_by_label(re.compile("Recent security events")).check()
    desk.get_by_label("Risk notes").fill("Name matches; usual device and country.")
    desk.get_by_role("button", name="Ask for approval").click()
    desk.locator("#case-waiting-approval").wait_for()
    assert desk.get_by_role("button", name="Approve and unlock the account").count() == 0
    first.close()

    second, desk = desk_for(senior)
    desk.goto(f"{base}/agent/cases/{case.pk}/")
    desk.get_by_role("button", name="Approve and unlock the account").click()
    desk.get_by_text(f"Case {case.ref}: Completed.").wait_for()
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert (case.reviewer, case.approver) == (agent_a, senior)
    assert DemoAccount.objects.get(uid=LOCKED.uid).status == AccountStatus.ACTIVE
    second.close()
    assert errors == []
