import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English: start from it whatever an earlier test (a
    request by a Chinese-speaking user) left active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def now(monkeypatch):
    """The controllable clock, at Monday 09:00 UTC."""
    from kefu.core import clock
    from kefu.sla.tests.test_timers import MONDAY_9, Clock

    controlled = Clock(MONDAY_9)
    monkeypatch.setattr(clock, "now", controlled)
    return controlled


@pytest.fixture
def manager(supervisor, actor_of):
    return actor_of(supervisor)


@pytest.fixture
def office(manager):
    """The default calendar: weekdays 09:00-17:00 UTC."""
    from kefu.sla.services import calendar_save
    from kefu.sla.tests.test_timers import WEEKDAYS_9_TO_17

    return calendar_save(
        name="Office",
        timezone="UTC",
        always_open=False,
        weekly_hours=WEEKDAYS_9_TO_17,
        is_default=True,
        actor=manager,
    )
