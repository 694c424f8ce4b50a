"""Fixtures for the status-page tests (the personas come from the root conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation

from kefu.status import services
from kefu.status.models import Impact, IncidentKind

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ETH = {
    "kind": IncidentKind.INCIDENT,
    "title_en": "ETH withdrawals delayed by network congestion",
    "title_zh": "ETH 提现因网络拥堵延迟",
    "impact": Impact.MAJOR,
    "affected": [{"asset": "ETH", "network": "ERC20"}, {"asset": "usdt", "network": "ERC20"}],
    "body_en": "Withdrawals are **slow**. Your funds are safe.",
    "body_zh": "提现较慢。您的资金安全。",
}


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English unless a test asks for Chinese."""
    with translation.override("en"):
        yield
    translation.activate("en")


@pytest.fixture
def manager(supervisor, actor_of):
    """The supervisor's actor: allowed to manage the status page."""
    return actor_of(supervisor)


@pytest.fixture
def eth_incident(manager):
    return services.incident_create(**ETH, actor=manager)


@pytest.fixture
def maintenance_factory(manager):
    def make(start: datetime, hours: float = 2, **extra):
        return services.incident_create(
            kind=IncidentKind.MAINTENANCE,
            title_en=extra.pop("title_en", "Wallet maintenance"),
            title_zh=extra.pop("title_zh", "钱包维护"),
            impact=Impact.MINOR,
            affected=[{"asset": "BTC", "network": "Bitcoin"}],
            body_en="Deposits pause for a while.",
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=hours),
            actor=manager,
            **extra,
        )

    return make


@pytest.fixture
def client_for():
    """client_for(user) -> a test client signed in as ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
