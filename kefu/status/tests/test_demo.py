"""seed_status_demo: the demo's status-page entries."""

from __future__ import annotations

from kefu.status.demo import ETH_TITLE, seed_status_demo
from kefu.status.models import Incident
from kefu.status.selectors import open_banner, public_incidents


def test_seed_creates_an_open_incident_a_finished_maintenance_and_an_announcement(
    manager, mailoutbox
):
    created = seed_status_demo(manager)
    assert sorted((i.kind, i.state) for i in created) == [
        ("announcement", "published"),
        ("incident", "monitoring"),
        ("maintenance", "completed"),
    ]
    eth = Incident.objects.get(title_en=ETH_TITLE)
    assert eth.title_zh == "ETH 提现因网络拥堵延迟"
    assert eth.affected == [
        {"asset": "ETH", "network": "ERC20"},
        {"asset": "USDT", "network": "ERC20"},
    ]
    assert eth.updates.count() == 2
    assert [i["title"] for i in open_banner("zh-hans")] == ["ETH 提现因网络拥堵延迟"]
    overview = public_incidents("en")
    assert [i.title for i in overview.history] == ["Scheduled wallet maintenance for BTC"]
    assert [i.title for i in overview.announcements] == ["Support for TRC20 USDT deposits"]
    maintenance = overview.history[0]
    assert maintenance.started_at < maintenance.resolved_at < eth.started_at

    assert seed_status_demo(manager) == []
    assert Incident.objects.count() == 3
