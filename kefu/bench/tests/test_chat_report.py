"""The pure parts of ``kefu bench chat``: percentiles, flows, targets and the Markdown/JSON."""

from __future__ import annotations

import json

import pytest

from kefu.bench import chat


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert chat.percentile(values, 50) == 50.0
    assert chat.percentile(values, 95) == 95.0
    assert chat.percentile(values, 99) == 99.0
    assert chat.percentile(values, 100) == 100.0
    assert chat.percentile([3.0, 1.0, 2.0], 50) == 2.0  # sorts first
    assert chat.percentile([7.0], 99) == 7.0
    assert chat.percentile([], 50) is None


def test_latency_summary_is_in_milliseconds():
    latency = chat.Latency.of([0.001 * v for v in range(1, 201)])  # 1..200 ms
    assert latency.count == 200
    assert latency.p50 == pytest.approx(100.0)
    assert latency.p95 == pytest.approx(190.0)
    assert latency.p99 == pytest.approx(198.0)
    assert latency.max == pytest.approx(200.0)
    assert latency.text() == "p50 100.0 ms, p95 190.0 ms, p99 198.0 ms, max 200.0 ms"
    assert chat.Latency.of([]).text() == "n/a"
    assert chat.Latency.of([1.5]).text(p95=False) == "p50 1.50 s, p99 1.50 s, max 1.50 s"


def test_tracker_counts_deliveries_once_and_ignores_strangers():
    tracker = chat.Tracker()
    tracker.expect("a", 10.0)
    tracker.expect("b", 10.5)
    tracker.expect("c", 11.0)
    tracker.was_sent("a", 10.001)
    tracker.deliver("a", 10.020)
    tracker.deliver("a", 10.030)  # the same message again
    tracker.deliver("zzz", 10.040)  # not this direction's message
    tracker.deliver("b", 10.510)
    tracker.fail("c", "send: closed")
    flow = tracker.flow("x", rate=2.0, duration=1.5)
    assert (flow.offered, flow.delivered, flow.duplicates, flow.failed) == (3, 2, 1, 1)
    assert flow.missing == 1
    assert flow.latency.max == pytest.approx(20.0)
    assert flow.send_lag.max == pytest.approx(1.0)
    assert flow.span == pytest.approx(0.51)
    assert flow.throughput == pytest.approx(2 / 1.5)  # the window, not the short span
    assert flow.error_sample == "send: closed"
    assert tracker.pending == 0


def test_flow_is_sustained_only_when_everything_arrived_in_time():
    good = chat.Flow(
        name="x", rate=500, duration=10, offered=5000, sent=5000, delivered=5000, span=10.02,
        latency=chat.Latency(count=5000, p50=5, p95=20, p99=80, max=120),
    )  # fmt: skip
    assert good.sustained(100)
    assert not chat.Flow(**{**good.__dict__, "delivered": 4999}).sustained(100)
    assert not chat.Flow(**{**good.__dict__, "span": 12.0}).sustained(100)  # fell behind
    slow = chat.Latency(count=5000, p50=5, p95=20, p99=101, max=300)
    assert not chat.Flow(**{**good.__dict__, "latency": slow}).sustained(100)


def _result() -> chat.ChatResult:
    def flow(rate, delivered, p99):
        return chat.Flow(
            name="customer → agent", rate=rate, duration=10, offered=int(rate * 10),
            sent=int(rate * 10), delivered=delivered, span=10.0,
            latency=chat.Latency(count=delivered, p50=2, p95=p99 / 2, p99=p99, max=p99 * 2),
        )  # fmt: skip

    echo = chat.ModeResult(mode="echo", label=chat.MODE_LABELS["echo"], to_agent=flow(500, 5000, 4))
    one = chat.ModeResult(
        mode="one",
        label=chat.MODE_LABELS["one"],
        customers=200,
        agents=10,
        conversations=200,
        idle=chat.Idle(
            requested=2000,
            opened=2000,
            answered=2000,
            open_after_load=2000,
            hold=5,
            rss_before_kib=[100 * 1024],
            rss_after_kib=[140 * 1024],
        ),
        to_agent=flow(500, 1500, 2500),
        error_frames={"rate_limited": 3},
    )
    return chat.ChatResult(
        machine={"nproc": "2", "cpu": "Test CPU", "ram": "1.0 GiB", "os": "Linux",
                 "python": "3.11", "django": "5.2", "database": "SQLite 3.40"},
        params={"customers": 200, "agents": 10, "idle": 2000, "rate": 500.0, "reply_rate": 0.0,
                "duration": 10.0, "warmup": 1.0, "deflate": True, "nofile": 20000},
        modes=[echo, one],
        command="kefu bench chat",
        measured_at="2026-01-01 00:00 UTC",
    )  # fmt: skip


def test_targets_and_baseline_fraction():
    result = _result()
    one = result.mode("one")
    assert one.idle.per_connection_kib == pytest.approx(40 * 1024 / 2000)
    assert chat.baseline_fraction(result, one) == pytest.approx(0.3)
    rows = {r.measurement: r for r in chat.target_rows(result)}
    idle = rows["Kefu, 1 process (in-memory layer): idle chat sockets held (2,000 per process)"]
    assert idle.met is True
    rate = rows["Kefu, 1 process (in-memory layer): customer → agent at 500/s"]
    assert rate.met is False
    assert rate.result == "150/s, p99 2.50 s, 3,500 not delivered"
    assert (
        rows["Kefu, 1 process (in-memory layer): delivery throughput / echo baseline"].met is False
    )


def test_markdown_has_one_column_per_mode_and_the_targets():
    text = chat.markdown(_result())
    assert text.startswith("#### Live chat: SQLite 3.40, 200 customers, 10 agents, 2,000 idle")
    assert "| Measurement | Echo baseline, 1 process | Kefu, 1 process (in-memory layer) |" in text
    assert (
        "| Server RSS before → after the idle sockets | n/a | 100 MiB → 140 MiB; 20 KiB each |"
        in text
    )
    assert "| Delivery throughput / echo baseline | 1 (baseline) | 0.30 |" in text
    assert "| Error frames received (by code) | 0 | rate_limited 3 |" in text
    assert "| Measurement | Result | Target | Met |" in text
    assert "**no**" in text


def test_markdown_says_how_the_agents_replied():
    result = _result()
    result.params["reply_rate"] = 20.0
    result.params["reply_via"] = "socket"
    text = chat.markdown(result)
    assert "agent replies 20/s over the agent socket;" in text
    assert "| Agent → customer (socket reply → customer socket) |" in text
    assert "| … reply frame → its ack |" in text
    result.params["reply_via"] = "http"
    text = chat.markdown(result)
    assert "agent replies 20/s over HTTP;" in text
    assert "| … HTTP reply request |" in text
    del result.params["reply_via"]  # a run recorded before the option existed
    assert "agent replies 20/s over HTTP;" in chat.markdown(result)
    assert chat.to_json(result)["params"]["reply_rate"] == 20.0


def test_json_is_serialisable_and_carries_derived_numbers():
    data = json.loads(json.dumps(chat.to_json(_result())))
    one = data["modes"][1]
    assert one["to_agent"]["throughput"] == pytest.approx(150.0)
    assert one["to_agent"]["missing"] == 3500
    assert one["baseline_fraction"] == pytest.approx(0.3)
    assert one["idle"]["per_connection_kib"] == pytest.approx(20.48)
    assert [t["met"] for t in data["targets"]] == [True, False, False]


def test_docs_block_is_inserted_once_then_replaced(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nIntro.\n\n## Results log\n\nOld runs.\n", encoding="utf-8")
    chat.replace_docs_block(path, "#### Live chat: first\n")
    chat.replace_docs_block(path, "#### Live chat: second\n")
    text = path.read_text(encoding="utf-8")
    assert text.count("\n## Live chat\n") == 1
    assert "first" not in text
    assert text.index("#### Live chat: second") < text.index("## Results log")
    assert text.endswith("Old runs.\n")


def test_options_refuse_runs_outside_the_bounds():
    chat.ChatOptions().check()  # the defaults are fine
    with pytest.raises(ValueError, match="at most 5,000 sockets"):
        chat.ChatOptions(idle=4_900).check()
    with pytest.raises(ValueError, match="duration"):
        chat.ChatOptions(duration=121).check()
    with pytest.raises(ValueError, match="per customer socket"):
        chat.ChatOptions(customers=20, agents=5, rate=500).check()
    with pytest.raises(ValueError, match="modes"):
        chat.ChatOptions(modes=("three",)).check()
    with pytest.raises(ValueError, match="reply-via"):
        chat.ChatOptions(reply_via="pigeon").check()
    with pytest.raises(ValueError, match="per agent socket"):
        chat.ChatOptions(agents=2, reply_rate=20).check()
    chat.ChatOptions(agents=2, reply_rate=20, reply_via="http").check()
    chat.ChatOptions(modes=("echo",), agents=1, reply_rate=20).check()  # echo sends no replies


SERVER_LOG = """\
2026-11-22 01:07:09,034 ERROR asyncio Task exception was never retrieved
future: <Task finished name='Task-863' coro=<SequencedConsumer.resync_forever() done, defined at x.py:166> exception=ClientDisconnected()>
Traceback (most recent call last):
  File "x.py", line 171, in resync_forever
    await self.resync()
uvicorn.protocols.utils.ClientDisconnected
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "redis/asyncio/connection.py", line 1286, in read_response
asyncio.exceptions.CancelledError

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
redis.exceptions.TimeoutError: Timeout reading from 127.0.0.1:6379
2026-11-22 01:07:10,000 ERROR asyncio Task exception was never retrieved
future: <Task finished name='Task-9' coro=<SequencedConsumer.resync_forever() done>
Traceback (most recent call last):
uvicorn.protocols.utils.ClientDisconnected
2026-11-22 01:57:30,507 WARNING kefu.realtime.consumers real-time resync failed
Traceback (most recent call last):
  File "x.py", line 206, in resync
uvicorn.protocols.utils.ClientDisconnected
2026-11-22 01:57:30,526 WARNING kefu.realtime.consumers real-time resync failed
Traceback (most recent call last):
uvicorn.protocols.utils.ClientDisconnected
2026-11-22 01:57:31,000 INFO kefu.something fine
Traceback (most recent call last):
ValueError: printed without a log record
"""  # noqa: E501


def test_server_log_errors_are_counted_by_kind():
    kinds = chat.summarize_log(SERVER_LOG)
    assert kinds == {
        "uvicorn.protocols.utils.ClientDisconnected (in SequencedConsumer.resync_forever)": 2,
        "redis.exceptions.TimeoutError: Timeout reading from 127.0.0.1:6379": 1,
        "warning: uvicorn.protocols.utils.ClientDisconnected": 2,
        "ValueError: printed without a log record": 1,
    }
    assert chat.error_count(kinds) == 4
    assert chat.summarize_log("INFO started\nWARNING: slow\n") == {"warning: slow": 1}
