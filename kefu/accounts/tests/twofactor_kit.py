"""Helpers for the two-factor tests: a controllable clock and an enrolled user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from kefu.accounts import twofactor
from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user

# A moment in the middle of a 30-second step, so "one step either side" is unambiguous.
START = datetime(2026, 3, 1, 12, 0, 15, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def use_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Put kefu.core.clock.now under the test's control, starting at START (a test module's
    ``clock`` fixture calls this)."""
    controlled = Clock(START)
    monkeypatch.setattr("kefu.core.clock.now", controlled.now)
    return controlled


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


@dataclass
class Enrolled:
    user: User
    secret: str
    recovery_codes: list[str]

    def code(self, clock: Clock, *, steps: int = 0) -> str:
        """The authenticator's code ``steps`` 30-second steps from the clock's now."""
        return code_at(self.secret, clock.at + timedelta(seconds=30 * steps))


def enrol(user: User, clock: Clock) -> Enrolled:
    """Turn two-factor sign-in on for ``user`` through the services; then move the clock to
    the next step so the code used to confirm is not the one the test uses next."""
    actor = actor_for_user(user)
    secret = twofactor.totp_enrol_start(user=user, actor=actor).secret
    codes = twofactor.totp_enrol_confirm(user=user, code=code_at(secret, clock.at), actor=actor)
    clock.advance(30)
    return Enrolled(user=user, secret=secret, recovery_codes=codes)
