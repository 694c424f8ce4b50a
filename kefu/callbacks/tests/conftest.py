from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.accounts.services import actor_for_user
from kefu.callbacks.models import CallbackPolicy
from kefu.core import clock
from kefu.sla.models import BusinessCalendar

# A Monday morning, before the 09:00–18:00 (UTC) service hours of the test calendar.
MONDAY_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the test week (7 December 2026 is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def frozen(monkeypatch) -> Clock:
    """kefu.core.clock.now under the test's control, starting Monday 08:00 UTC."""
    holder = Clock(MONDAY_0800)
    monkeypatch.setattr(clock, "now", lambda: holder.now)
    return holder


@pytest.fixture
def policy(db, frozen) -> CallbackPolicy:
    """Weekdays 09:00–18:00 UTC, 30-minute slots, two calls per slot, 7 days ahead."""
    weekday = [["09:00", "18:00"]]
    calendar = BusinessCalendar.objects.create(
        name="Callbacks",
        timezone="UTC",
        weekly_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), weekday),
    )
    return CallbackPolicy.objects.create(
        calendar=calendar, slot_minutes=30, capacity=2, days_ahead=7, lead_minutes=30
    )


@pytest.fixture
def book(policy, customer_1):
    """book(**overrides) -> a callback booked through the service (customer 1, Monday 10:00)."""
    from kefu.callbacks import services

    def _book(**overrides: Any):
        user = overrides.pop("user", customer_1)
        values: dict[str, Any] = {
            "contact": user.contact,
            "phone": "+86 138 0013 8000",
            "topic": "My withdrawal has not arrived",
            "language": "en",
            "slot_start": at(7, 10),
            "actor": actor_for_user(user),
        }
        values.update(overrides)
        return services.callback_book(**values)

    return _book
