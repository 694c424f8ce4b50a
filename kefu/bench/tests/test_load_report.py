"""``kefu bench load``: Locust's CSV becomes one row per action with throughput and
percentiles; out-of-bounds runs and production mode without PostgreSQL/Redis are refused."""

from __future__ import annotations

import pytest

from kefu.bench import load_run

CSV = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
WS,chat: message,184,0,43,80.1,20,1500,0,4.6,0,43,60,80,100,200,420,900,1400,1500,1500,1500
GET,help: search,109,2,46,90.0,10,1800,1200,2.7,0.05,46,60,90,100,300,620,1000,1700,1800,1800,1800
GET,agent: inbox,3,0,N/A,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,296,2,45,84,10,1800,400,7.4,0.05,45,60,85,100,250,500,950,1500,1800,1800,1800
"""  # noqa: E501


def test_stats_are_read_per_action_without_the_aggregate(tmp_path):
    path = tmp_path / "x_stats.csv"
    path.write_text(CSV)
    rows = load_run._read_stats(path, seconds=40)
    assert [r.name for r in rows] == ["agent: inbox", "chat: message", "help: search"]
    chat = rows[1]
    assert (chat.kind, chat.requests, chat.failures) == ("WS", 184, 0)
    assert (chat.p50, chat.p95, chat.p99) == (43, 420, 1400)
    assert chat.rps == pytest.approx(4.6)
    assert rows[0].p95 == 0  # N/A when nothing was measured
    report = load_run.LoadReport(
        mode="single", database="SQLite 3", users=20, seconds=40, actions=rows, notes=["n"]
    )
    text = load_run.markdown(report)
    assert "| help: search | 109 | 2 | 2.7 | 46 | 620 | 1700 |" in text
    assert "Total 296 requests, 7.4 req/s." in text


@pytest.mark.django_db
@pytest.mark.parametrize(("users", "seconds"), [(0, 30), (501, 30), (10, 2), (10, 601)])
def test_unbounded_runs_are_refused(users, seconds):
    with pytest.raises(load_run.LoadRefused, match="--users"):
        load_run.run(mode="single", users=users, spawn_rate=1, seconds=seconds, log=print)


@pytest.mark.django_db
def test_production_mode_needs_redis(settings):
    """Two web processes share real-time state through Redis; the database may be either (on
    SQLite the run passes ``--allow-sqlite``)."""
    settings.REDIS_URL = ""
    with pytest.raises(load_run.LoadRefused, match="REDIS_URL"):
        load_run.run(mode="production", users=5, spawn_rate=1, seconds=10, log=print)
