"""Smoke test: the echo baseline end to end (uvicorn child process, real sockets), ~2 s."""

from __future__ import annotations

import concurrent.futures

from kefu.bench import chat


def test_echo_baseline_delivers_every_frame_and_stops_its_server(tmp_path, monkeypatch):
    stopped = []
    original_stop = chat.ServerProcess.stop

    def stop(self):
        original_stop(self)
        stopped.append(self.process.poll())

    monkeypatch.setattr(chat.ServerProcess, "stop", stop)
    options = chat.ChatOptions(
        modes=("echo",), customers=4, agents=1, idle=6, rate=20, duration=1.0,
        warmup=0.2, hold=0.2, drain=3, deflate=True,
    )  # fmt: skip
    options.check()

    # A thread of its own: a browser test on this worker may have left a running event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(chat.run_echo, options, tmp_path).result(timeout=120)

    assert result.error == ""
    flow = result.to_agent
    assert (flow.offered, flow.sent, flow.delivered, flow.failed, flow.missing) == (
        20,
        20,
        20,
        0,
        0,
    )
    assert flow.latency.count == 20
    assert flow.latency.p99 is not None
    assert flow.latency.p99 < 1000
    assert result.customers == 4
    assert (result.idle.opened, result.idle.answered, result.idle.open_after_load) == (6, 6, 6)
    assert result.idle.rss_before_kib
    assert result.idle.rss_after_kib
    assert result.server_errors == 0
    assert result.server_error_kinds == {}
    assert len(stopped) == 1
    assert stopped[0] is not None
