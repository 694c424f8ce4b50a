"""New-device sign-in alerts (the device cookie, the email job), and signing out everywhere."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts import devices
from kefu.accounts.models import LoginDevice
from kefu.accounts.services import actor_for_user
from kefu.accounts.tasks import notify_new_device
from kefu.accounts.tests.twofactor_kit import enrol
from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied
from kefu.testing.factories import PASSWORD

LOGIN = reverse("portal:login")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def _login(client: Client, email: str, capture, *, agent: str = FIREFOX):
    with capture(execute=True):  # the alert job is enqueued on commit (immediate backend)
        response = client.post(
            LOGIN, {"username": email, "password": PASSWORD}, HTTP_USER_AGENT=agent
        )
    assert response.status_code == 302
    return response


def test_first_sign_in_from_a_new_browser_emails_once(
    customer_1, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.KEFU_PUBLIC_URL = "https://support.example.com"
    browser = Client()
    response = _login(browser, customer_1.email, django_capture_on_commit_callbacks)
    assert devices.COOKIE_NAME in response.cookies
    assert response.cookies[devices.COOKIE_NAME]["httponly"]
    (email,) = mailoutbox
    assert email.to == [customer_1.email]
    assert email.subject == "New sign-in to your Kefu support account"
    assert "Firefox on Linux" in email.body
    assert "https://support.example.com/account/" in email.body
    device = LoginDevice.objects.get(user=customer_1)
    assert device.alert_sent_at is not None
    assert device.token_hash not in response.cookies[devices.COOKIE_NAME].value

    # Signing in again from the same browser (it sends its cookie back): no new email.
    browser.post(reverse("portal:logout"))
    _login(browser, customer_1.email, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    assert LoginDevice.objects.filter(user=customer_1).count() == 1

    # Another browser: a second email.
    _login(Client(), customer_1.email, django_capture_on_commit_callbacks, agent=CHROME_MAC)
    assert len(mailoutbox) == 2
    assert "Chrome on macOS" in mailoutbox[1].body
    assert AuditEntry.objects.filter(action="login_device.added").count() == 2


def test_the_job_sends_at_most_once_per_device(
    customer_1, django_capture_on_commit_callbacks, mailoutbox
):
    _login(Client(), customer_1.email, django_capture_on_commit_callbacks)
    device = LoginDevice.objects.get(user=customer_1)
    notify_new_device.call(device_id=device.pk)  # a duplicate or retried job
    assert len(mailoutbox) == 1


def test_a_copied_cookie_in_another_kind_of_browser_is_new(
    customer_1, django_capture_on_commit_callbacks, mailoutbox
):
    first = Client()
    _login(first, customer_1.email, django_capture_on_commit_callbacks)
    thief = Client()
    thief.cookies[devices.COOKIE_NAME] = first.cookies[devices.COOKIE_NAME].value
    _login(thief, customer_1.email, django_capture_on_commit_callbacks, agent=CHROME_MAC)
    assert len(mailoutbox) == 2


def test_a_forged_device_cookie_counts_as_new(
    customer_1, django_capture_on_commit_callbacks, mailoutbox
):
    _login(Client(), customer_1.email, django_capture_on_commit_callbacks)
    forged = Client()
    forged.cookies[devices.COOKIE_NAME] = "x" * 43  # unsigned
    _login(forged, customer_1.email, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2


def test_staff_get_the_alert_in_their_language_after_two_factor(
    agent_b, clock, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.KEFU_PUBLIC_URL = "https://support.example.com"
    agent_b.language = "zh-hans"
    agent_b.save(update_fields=["language"])
    enrolled = enrol(agent_b, clock)
    client = Client()
    client.post(LOGIN, {"username": agent_b.email, "password": PASSWORD})
    assert mailoutbox == []  # the password alone is not a sign-in
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:login_code"), {"code": enrolled.code(clock)})
    (email,) = mailoutbox
    assert email.subject == "您的 Kefu 客服账户有新的登录"
    assert "https://support.example.com/agent/account/security/" in email.body


def test_sign_up_records_the_device_without_an_alert(
    db, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("portal:signup"),
            {
                "name": "Carol",
                "email": "carol@example.com",
                "password": "a-long-enough-passphrase-1",
                "language": "en",
            },
        )
    assert response.status_code == 302, response.content
    assert LoginDevice.objects.filter(user__email="carol@example.com").count() == 1
    assert mailoutbox == []


def test_browser_family_names():
    assert devices.browser_family(FIREFOX) == "Firefox on Linux"
    assert devices.browser_family(CHROME_MAC) == "Chrome on macOS"
    edge = CHROME_MAC + " Edg/126.0"
    assert devices.browser_family(edge) == "Edge on macOS"
    assert devices.browser_family("") == "Unknown browser"


# --- sign out everywhere ---------------------------------------------------------------------


def test_sign_out_everywhere_ends_other_sessions_only(customer_1):
    mine, other = Client(), Client()
    for client in (mine, other):
        client.post(LOGIN, {"username": customer_1.email, "password": PASSWORD})
    assert other.get(reverse("portal:account")).status_code == 200
    response = mine.post(reverse("portal:account_sign_out_everywhere"))
    assert response.status_code == 302
    assert mine.get(reverse("portal:account")).status_code == 200
    assert other.get(reverse("portal:account")).status_code == 302  # signed out
    assert AuditEntry.objects.filter(action="auth.signed_out_everywhere").count() == 1


def test_sessions_end_all_others_only_for_oneself(customer_1, customer_2):
    with pytest.raises(PermissionDenied):
        devices.sessions_end_all_others(user=customer_1, actor=actor_for_user(customer_2))
    customer_1.refresh_from_db()
    assert customer_1.session_epoch == ""
