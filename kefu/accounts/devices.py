"""Recognising the browsers people sign in from, new-device alerts, and "sign out everywhere".

A browser is recognised by a random id in a long-lived signed cookie (``kefu_device``) together
with its family (e.g. "Firefox on Linux"): a copied cookie used from another kind of browser
still counts as new. Only a SHA-256 of the id is stored. The first sign-in from a device that
is new for that user records a ``LoginDevice`` and, after the transaction commits, emails the
user (``kefu.accounts.tasks.notify_new_device``). The device a customer signs up on is recorded
without an alert.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from kefu.accounts.models import LoginDevice, User
from kefu.accounts.tasks import notify_new_device
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied
from kefu.core.jobs import enqueue_on_commit

COOKIE_NAME = "kefu_device"
COOKIE_SALT = "kefu.accounts.devices"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept
RECENT_DEVICES = 10

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def browser_family(user_agent: str) -> str:
    """A coarse, stable name for a browser, e.g. "Firefox on Linux" (versions left out, so an
    update does not make a device new)."""
    browser = next((name for name, rx in _BROWSERS if rx.search(user_agent)), "")
    system = next((name for name, rx in _SYSTEMS if rx.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def device_token(request: HttpRequest) -> str | None:
    """The device id from the request's signed cookie, if it has a valid one."""
    value = request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT)
    return value if isinstance(value, str) and 20 <= len(value) <= 100 else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SeenDevice:
    """The outcome of recording a sign-in: the device row, whether it was new, and the id the
    browser must keep (set it with ``remember``)."""

    device: LoginDevice
    is_new: bool
    token: str

    def remember(self, response: HttpResponseBase) -> None:
        """Set (or refresh) the device cookie on ``response``."""
        response.set_signed_cookie(
            COOKIE_NAME,
            self.token,
            salt=COOKIE_SALT,
            max_age=COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def login_device_record(
    *,
    user: User,
    token: str | None,
    user_agent: str,
    ip: str | None,
    alert: bool = True,
    actor: Actor,
) -> SeenDevice:
    """Record a successful sign-in from a browser; a device new for this user is added and,
    when ``alert``, the user is emailed about it after commit (once per device).

    ``token`` is the id from the browser's cookie (None: a new one is made).
    """
    token = token or secrets.token_urlsafe(32)
    browser = browser_family(user_agent)
    now = clock.now()
    with transaction.atomic():
        device, created = LoginDevice.objects.select_for_update().get_or_create(
            user=user,
            token_hash=_hash(token),
            browser=browser,
            defaults={
                "user_agent": user_agent[:300],
                "first_seen_at": now,
                "last_seen_at": now,
                "last_ip": ip or None,
            },
        )
        if not created:
            device.last_seen_at, device.last_ip = now, ip or None
            device.user_agent = user_agent[:300]
            device.save(update_fields=["last_seen_at", "last_ip", "user_agent"])
        else:
            audit_record(
                actor=actor,
                action="login_device.added",
                object_type="user",
                object_id=user.pk,
                data={"device": device.pk, "browser": browser, "alert": alert},
            )
            if alert:
                enqueue_on_commit(notify_new_device, device_id=device.pk)
    return SeenDevice(device=device, is_new=created, token=token)


def login_devices_recent(user: User) -> list[LoginDevice]:
    """The user's most recently used devices, newest first (their own account page)."""
    return list(LoginDevice.objects.filter(user=user).order_by("-last_seen_at")[:RECENT_DEVICES])


def sessions_end_all_others(*, user: User, actor: Actor) -> User:
    """Sign the user out of every other browser: a new session epoch changes the session hash,
    so every session made before now stops working. The caller keeps its own session with
    ``update_session_auth_hash``. Only for oneself."""
    if actor.user_id != user.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.session_epoch = secrets.token_hex(16)
        locked.save(update_fields=["session_epoch"])
        user.session_epoch = locked.session_epoch
        audit_record(
            actor=actor,
            action="auth.signed_out_everywhere",
            object_type="user",
            object_id=user.pk,
            data={},
        )
    return user
