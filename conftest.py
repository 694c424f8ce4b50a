"""Shared fixtures: the persona set every permission test uses.

Two agents in different teams, a senior agent, a supervisor, an admin, and two customers.
"""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role
from kefu.accounts.services import actor_for_user
from kefu.core.actor import Actor
from kefu.testing import factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request by a Chinese-speaking user activates Chinese; never let it leak into the next
    test on the same worker."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """The knowledge-base search index is per process: each test builds it from its own
    database, never from rows an earlier test rolled back."""
    from kefu.community import searching as forum_searching
    from kefu.helpcenter import searching

    searching.reset()
    forum_searching.reset()
    yield
    searching.reset()
    forum_searching.reset()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the process-wide cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _two_factor_not_required_by_default(monkeypatch):
    """The production default requires two-factor sign-in for admins and supervisors; the
    personas have no authenticator, so tests start without that requirement. Tests of the
    enforcement set the policy themselves (kefu/workspace/tests/test_security.py)."""
    monkeypatch.setattr("kefu.accounts.twofactor.DEFAULT_REQUIRED_ROLES", ())


@pytest.fixture
def team_a(db):
    return factories.TeamFactory(name="Team A", languages=["en"])


@pytest.fixture
def team_b(db):
    return factories.TeamFactory(name="Team B", languages=["zh-hans"])


@pytest.fixture
def agent_a(team_a):
    return factories.StaffFactory(email="agent.a@kefu.test", role=Role.AGENT_L1, teams=[team_a])


@pytest.fixture
def agent_b(team_b):
    return factories.StaffFactory(email="agent.b@kefu.test", role=Role.AGENT_L1, teams=[team_b])


@pytest.fixture
def senior(team_a):
    return factories.StaffFactory(email="senior@kefu.test", role=Role.AGENT_L2, teams=[team_a])


@pytest.fixture
def supervisor(db):
    return factories.StaffFactory(email="supervisor@kefu.test", role=Role.SUPERVISOR)


@pytest.fixture
def admin_user(db):
    return factories.StaffFactory(email="admin@kefu.test", role=Role.ADMIN, is_staff=True)


@pytest.fixture
def customer_1(db):
    return factories.CustomerUserFactory(email="alice@example.com")


@pytest.fixture
def customer_2(db):
    return factories.CustomerUserFactory(email="bob@example.com")


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("test")


@pytest.fixture
def actor_of():
    """actor_of(user) -> the Actor a signed-in user acts as."""
    return actor_for_user


@pytest.fixture
def conversation_a(customer_1, team_a):
    """Customer 1's conversation, routed to team A."""
    return factories.ConversationFactory(contact=customer_1.contact, team=team_a)


@pytest.fixture
def conversation_b(customer_2, team_b):
    """Customer 2's conversation, routed to team B."""
    return factories.ConversationFactory(contact=customer_2.contact, team=team_b)


@pytest.fixture
def asgi_server(transactional_db):
    """The whole ASGI app (HTTP and WebSockets) on 127.0.0.1 in a thread; ``.url`` to reach it."""
    from kefu.testing.live import AsgiServerThread

    server = AsgiServerThread().start()
    yield server
    server.stop()
