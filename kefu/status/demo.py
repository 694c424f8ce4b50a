"""Demo status-page entries: an open incident, a finished maintenance window and an
announcement. Idempotent: an entry whose English title exists is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from kefu.core import clock
from kefu.core.actor import Actor
from kefu.status.models import Impact, Incident, IncidentKind, IncidentState
from kefu.status.services import incident_create, incident_update

ETH_TITLE = "ETH withdrawals delayed by network congestion"
MAINTENANCE_TITLE = "Scheduled wallet maintenance for BTC"
ANNOUNCEMENT_TITLE = "Support for TRC20 USDT deposits"


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Let the services stamp the entry at ``moment`` (the demo's history is in the past)."""
    with mock.patch.object(clock, "now", return_value=moment):
        yield


def seed_status_demo(actor: Actor) -> list[Incident]:
    """Create the demo entries through the services (``actor`` must be a supervisor or an
    admin), stamped at realistic times in the past. Returns the entries created this time
    (none on a second run)."""
    created: list[Incident] = []
    existing = set(
        Incident.objects.filter(
            title_en__in=[ETH_TITLE, MAINTENANCE_TITLE, ANNOUNCEMENT_TITLE]
        ).values_list("title_en", flat=True)
    )
    now = clock.now()

    if MAINTENANCE_TITLE not in existing:
        start = (now - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        with _at(start - timedelta(days=2)):
            maintenance = incident_create(
                kind=IncidentKind.MAINTENANCE,
                title_en=MAINTENANCE_TITLE,
                title_zh="BTC 钱包例行维护",
                impact=Impact.MINOR,
                affected=[{"asset": "BTC", "network": "Bitcoin"}],
                body_en=(
                    "BTC deposits and withdrawals will be paused for about one hour while we "
                    "upgrade our wallet nodes. Trading is not affected."
                ),
                body_zh="升级钱包节点期间，BTC 充值和提现将暂停约一小时。交易不受影响。",
                scheduled_start=start,
                scheduled_end=start + timedelta(hours=1),
                actor=actor,
            )
        with _at(start):
            incident_update(
                incident=maintenance,
                state=IncidentState.IN_PROGRESS,
                body_en="The maintenance has started. BTC deposits and withdrawals are paused.",
                body_zh="维护已开始，BTC 充值和提现暂停。",
                actor=actor,
            )
        with _at(start + timedelta(minutes=48)):
            incident_update(
                incident=maintenance,
                state=IncidentState.COMPLETED,
                body_en=(
                    "The maintenance is complete. BTC deposits and withdrawals work normally again."
                ),
                body_zh="维护已完成，BTC 充值和提现已恢复正常。",
                actor=actor,
            )
        created.append(maintenance)

    if ANNOUNCEMENT_TITLE not in existing:
        with _at(now - timedelta(days=5)):
            announcement = incident_create(
                kind=IncidentKind.ANNOUNCEMENT,
                title_en=ANNOUNCEMENT_TITLE,
                title_zh="支持 TRC20 网络的 USDT 充值",
                affected=[{"asset": "USDT", "network": "TRC20"}],
                body_en=(
                    "You can now deposit USDT on the **TRC20** (Tron) network. Always check "
                    "the network on the deposit page before you send funds."
                ),
                body_zh=(
                    "现已支持通过 **TRC20**（波场）网络充值 USDT。转账前请务必在充值页面核对网络。"
                ),
                actor=actor,
            )
        created.append(announcement)

    if ETH_TITLE not in existing:
        with _at(now - timedelta(hours=2)):
            incident = incident_create(
                kind=IncidentKind.INCIDENT,
                title_en=ETH_TITLE,
                title_zh="ETH 提现因网络拥堵延迟",
                impact=Impact.MINOR,
                affected=[
                    {"asset": "ETH", "network": "ERC20"},
                    {"asset": "USDT", "network": "ERC20"},
                ],
                body_en=(
                    "Withdrawals of ETH and ERC20 tokens are taking longer than usual because "
                    "the Ethereum network is congested. Your funds are safe; we are looking "
                    "into it."
                ),
                body_zh=(
                    "由于以太坊网络拥堵，ETH 及 ERC20 代币提现比平时慢。"
                    "您的资金安全，我们正在处理。"
                ),
                actor=actor,
            )
        with _at(now - timedelta(minutes=40)):
            incident_update(
                incident=incident,
                state=IncidentState.MONITORING,
                body_en=(
                    "We have raised the network fee for outgoing transactions and withdrawals "
                    "are moving again. Pending withdrawals should arrive within two hours."
                ),
                body_zh=(
                    "我们已提高出账交易的网络手续费，提现已恢复处理。"
                    "待处理的提现预计在两小时内到账。"
                ),
                actor=actor,
            )
        created.append(incident)
    return created
