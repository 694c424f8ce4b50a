"""``kefu bench chat``: live chat load over WebSockets on 127.0.0.1 (see docs/benchmarks.md).

Each mode starts its own server(s) as uvicorn child processes on loopback ports, drives them
from this process with the ``websockets`` client on asyncio, and stops them afterwards, also on
Ctrl-C and errors (children also get SIGTERM if this process dies: ``PR_SET_PDEATHSIG``).

Modes:

- ``echo``: the baseline, :mod:`kefu.bench.echo` (plain ASGI, no Django) on the same uvicorn.
- ``one``: one Kefu process, in-memory channel layer (no Redis).
- ``one-redis``: one Kefu process, Redis channel layer.
- ``two``: two Kefu processes on two ports sharing one Redis channel layer.

Per Kefu mode:

1. M agent sockets (``/ws/agent/v1``, a staff session made with Django's session engine, no
   password) connect and wait for ``hello``;
2. N customer sockets (``/ws/chat/v1``) each say ``hello`` (site ``bench-site``, anonymous) and
   send a first ``message.send``, which starts their conversation; the agents subscribe to the
   conversations, spread over them (with two servers, each agent sits on the other server than
   its customers, so every message crosses Redis);
3. K idle chat sockets say ``hello`` and then nothing; the servers' VmRSS is read before and
   after; after ``--hold`` seconds each one must answer a protocol ``ping``;
4. warm-up, then customer messages are offered at ``--rate`` per second for ``--duration``
   seconds, open loop: message *i* is due at ``start + i / rate`` whatever happened to the
   others, and its latency counts from that due time to the moment the agent socket receives
   its ``message.created`` (so a client that falls behind shows up as latency, not as a lower
   rate). At the same time agents reply at ``--reply-rate`` the way the workspace's live page
   does: by default (``--reply-via socket``) as a ``message.send`` frame on the agent socket
   the session already holds, answered by ``message.ack`` (docs/adr/0030); with
   ``--reply-via http`` through the workspace's reply form as the page posts it when the
   socket is down (``POST /agent/c/<id>/reply`` asking for JSON). Latency counts from the due
   time to the customer socket's ``message.created``. (A reply written by this process through
   ``message_reply`` would be published on this process's channel layer, which reaches the
   server only through Redis, so it would not be the path an agent takes.);
5. the idle sockets are checked again (still open after the load).

``echo`` does 3 and 4 with the same client code, pacing, socket count and frames; the server
sends each frame back on the same socket.

Every run is bounded: at most ``MAX_CONNECTIONS`` sockets per mode, ``MAX_DURATION`` seconds of
load, a timeout on every network await and a deadline per mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import math
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.protocol import State
from websockets.typing import Origin

from kefu.bench.report import Row, markdown_table

# --- limits and targets -------------------------------------------------------------------------

MAX_CONNECTIONS = 5_000  # sockets per mode: customers + agents + idle
MAX_DURATION = 120.0  # seconds of measured load
MAX_RATE = 5_000.0  # offered messages per second
MAX_AGENTS = 200
CHAT_FRAME_LIMIT = 10.0  # the server's per-socket limit (frames/s); the client stays under it
CONNECT_TIMEOUT = 15.0
REPLY_TIMEOUT = 15.0  # one request -> its answer (hello -> welcome, send -> ack, subscribe ...)
SEND_TIMEOUT = 10.0
HTTP_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0
CLOSE_TIMEOUT = 30.0
SETUP_SECONDS = 600.0  # per mode, for connecting and creating conversations
WARMUP_RATE = 20.0  # messages/s at most while warming up
HTTP_IN_FLIGHT = 32  # agent replies in flight at once; more wait (and count as latency)
REPLY_PATHS = ("socket", "http")  # --reply-via

TARGET_IDLE = 2_000
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0
TARGET_FRACTION = 0.5

SITE_KEY = "bench-site"
AGENT_EMAIL = "bench-chat-agent{:03d}@kefu.bench"
CUSTOMER_TEXT = (
    "Hello, my 0.25 BTC withdrawal is still pending after 3 hours. 提现还没到账，请帮忙看看。"
)
AGENT_TEXT = "Thanks for waiting: the withdrawal was sent, tx confirmed. 已经处理好了。"
MODES = ("echo", "one", "one-redis", "two")
MODE_LABELS = {
    "echo": "Echo baseline, 1 process",
    "one": "Kefu, 1 process (in-memory layer)",
    "one-redis": "Kefu, 1 process (Redis layer)",
    "two": "Kefu, 2 processes (Redis layer)",
}
DOCS_BEGIN = "<!-- kefu bench chat: begin -->"
DOCS_END = "<!-- kefu bench chat: end -->"


# --- pure: statistics and results ---------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile of ``values`` by nearest rank (the value at rank ceil(p/100 * n))."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Latency:
    """Milliseconds."""

    count: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        if not seconds:
            return cls()
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            count=len(ms),
            p50=percentile(ms, 50),
            p95=percentile(ms, 95),
            p99=percentile(ms, 99),
            max=ms[-1],
        )

    def text(self, *, p95: bool = True) -> str:
        if not self.count:
            return "n/a"
        parts = [f"p50 {_ms(self.p50)}"]
        if p95:
            parts.append(f"p95 {_ms(self.p95)}")
        parts += [f"p99 {_ms(self.p99)}", f"max {_ms(self.max)}"]
        return ", ".join(parts)


def _ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


@dataclass
class Flow:
    """One direction of traffic offered at a fixed rate for a fixed time."""

    name: str
    rate: float  # offered per second
    duration: float  # seconds of offering
    offered: int = 0
    sent: int = 0
    failed: int = 0  # could not be sent (socket closed, HTTP error, error frame)
    delivered: int = 0
    duplicates: int = 0
    span: float = 0.0  # first due time -> last delivery, seconds
    latency: Latency = field(default_factory=Latency)
    send_lag: Latency = field(default_factory=Latency)  # due time -> handed to the socket
    request: Latency = field(default_factory=Latency)  # HTTP replies: POST -> response
    error_sample: str = ""
    # Per second of due time: [second, delivered, p50 ms, max ms] (JSON only; shows stalls).
    timeline: list[list[float]] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.offered - self.delivered)

    @property
    def throughput(self) -> float:
        """Delivered per second over the offering window (longer if deliveries ran late)."""
        window = max(self.duration, self.span)
        return self.delivered / window if window > 0 else 0.0

    def sustained(self, p99_ms: float) -> bool:
        return (
            self.offered > 0
            and self.missing == 0
            and self.failed == 0
            and self.throughput >= 0.95 * self.rate
            and self.latency.p99 is not None
            and self.latency.p99 <= p99_ms
        )

    def text(self) -> str:
        if not self.offered:
            return "n/a"
        out = (
            f"{self.delivered:,} of {self.offered:,} delivered, {self.throughput:,.0f}/s "
            f"(offered {self.rate:,.0f}/s); {self.latency.text()}"
        )
        if self.failed:
            out += f"; {self.failed:,} failed ({self.error_sample[:80]})"
        if self.duplicates:
            out += f"; {self.duplicates:,} duplicates"
        return out


@dataclass
class Idle:
    requested: int = 0
    opened: int = 0
    failed: int = 0
    answered: int = 0  # answered a protocol ping after the hold
    open_after_load: int = 0
    hold: float = 0.0
    rss_before_kib: list[int] = field(default_factory=list)  # per server process
    rss_after_kib: list[int] = field(default_factory=list)
    open_seconds: float = 0.0
    error_sample: str = ""

    @property
    def per_connection_kib(self) -> float | None:
        if not self.opened or not self.rss_before_kib or not self.rss_after_kib:
            return None
        return (sum(self.rss_after_kib) - sum(self.rss_before_kib)) / self.opened

    def held(self) -> bool:
        return self.requested > 0 and self.answered == self.requested


@dataclass
class ModeResult:
    mode: str
    label: str
    servers: int = 1
    customers: int = 0
    agents: int = 0
    conversations: int = 0
    setup_seconds: float = 0.0
    idle: Idle = field(default_factory=Idle)
    to_agent: Flow | None = None  # customer -> agent (echo: client -> server -> client)
    to_customer: Flow | None = None  # agent (HTTP) -> customer
    ack: Latency = field(default_factory=Latency)  # customer send -> its message.ack
    frames_per_second: float = 0.0  # every frame the client received during the load
    client_cpu: float = 0.0  # share of one core during the load
    server_cpu: list[float] = field(default_factory=list)
    # Server CPU time per message the servers handled during the load (chat messages acked,
    # replies answered; echo: frames echoed): robust against other load on the machine.
    server_cpu_ms_per_message: float | None = None
    server_peak_kib: list[int] = field(default_factory=list)
    server_errors: int = 0
    server_error_kinds: dict[str, int] = field(default_factory=dict)
    error_frames: dict[str, int] = field(default_factory=dict)  # by code, as the client saw them
    error_frame_sample: str = ""
    warmup_pending: int = 0  # warm-up messages still in flight when the measurement began
    load_at_start: float = 0.0  # 1-minute load average when the mode started
    error: str = ""  # the mode could not run to the end


@dataclass
class ChatResult:
    machine: dict[str, str]
    params: dict[str, Any]
    modes: list[ModeResult]
    command: str = ""
    measured_at: str = ""
    notes: list[str] = field(default_factory=list)

    def mode(self, name: str) -> ModeResult | None:
        return next((m for m in self.modes if m.mode == name), None)


def baseline_fraction(result: ChatResult, mode: ModeResult) -> float | None:
    """``mode``'s customer->agent throughput as a fraction of the echo baseline's."""
    echo = result.mode("echo")
    if echo is None or echo.to_agent is None or mode.to_agent is None:
        return None
    if echo.to_agent.throughput <= 0:
        return None
    return mode.to_agent.throughput / echo.to_agent.throughput


def target_rows(result: ChatResult) -> list[Row]:
    """The issue's targets, one row per Kefu mode that ran."""
    rows = []
    for m in result.modes:
        if m.mode == "echo":
            continue
        per_process = m.idle.requested // max(1, m.servers)
        if m.idle.requested:
            rows.append(
                Row(
                    f"{m.label}: idle chat sockets held ({per_process:,} per process)",
                    f"{m.idle.answered:,} of {m.idle.requested:,} answered a ping after "
                    f"{m.idle.hold:.0f} s; {m.idle.open_after_load:,} still open after the load",
                    f"{TARGET_IDLE:,} by one process",
                    m.idle.held()
                    and m.idle.open_after_load == m.idle.requested
                    and per_process >= TARGET_IDLE,
                )
            )
        if m.to_agent is not None:
            flow = m.to_agent
            rows.append(
                Row(
                    f"{m.label}: customer → agent at {flow.rate:,.0f}/s",
                    f"{flow.throughput:,.0f}/s, p99 {_ms(flow.latency.p99)}, "
                    f"{flow.missing:,} not delivered",
                    f"{TARGET_RATE:,.0f}/s, p99 ≤ {TARGET_P99_MS:.0f} ms",
                    flow.rate >= TARGET_RATE and flow.sustained(TARGET_P99_MS),
                )
            )
        fraction = baseline_fraction(result, m)
        if fraction is not None:
            rows.append(
                Row(
                    f"{m.label}: delivery throughput / echo baseline",
                    f"{fraction:.2f}",
                    f"≥ {TARGET_FRACTION:.1f}",
                    fraction >= TARGET_FRACTION,
                )
            )
    return rows


def markdown(result: ChatResult) -> str:
    """The results as Markdown: parameters, one column per mode, then the targets."""
    info, p = result.machine, result.params
    lines = [
        f"#### Live chat: {info.get('database', '?')}, {p.get('customers')} customers, "
        f"{p.get('agents')} agents, {p.get('idle'):,} idle sockets, {p.get('rate'):,.0f} msg/s",
        "",
        f"- Measured: {result.measured_at}",
        f"- Machine: {info.get('nproc')} CPU ({info.get('cpu')}), {info.get('ram')} RAM, "
        f"{info.get('os')}, Python {info.get('python')}, Django {info.get('django')}, "
        f"{info.get('database')}",
        f"- Command: `{result.command}`" + (f" (code {p['code']})" if p.get("code") else ""),
        f"- Load: {p.get('duration'):.0f} s at {p.get('rate'):,.0f} customer messages/s over "
        f"{p.get('customers')} sockets ({p.get('rate', 0) / max(1, p.get('customers', 1)):.1f}/s "
        f"each), agent replies {p.get('reply_rate'):,.0f}/s over "
        f"{_reply_path_label(p)}; warm-up "
        f"{p.get('warmup'):.0f} s; permessage-deflate {'on' if p.get('deflate') else 'off'}; "
        f"file descriptors {p.get('nofile')}",
        "",
    ]
    header = ["Measurement", *[m.label for m in result.modes]]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for label, cell in _mode_rows(result):
        lines.append("| " + " | ".join([label, *[cell(m) for m in result.modes]]) + " |")
    lines += ["", markdown_table(target_rows(result))]
    notes = list(result.notes)
    notes += [f"{m.label}: stopped early: {m.error}" for m in result.modes if m.error]
    notes += [
        f"{m.label}: {m.warmup_pending:,} warm-up messages were still undelivered when the "
        "measurement began"
        for m in result.modes
        if m.warmup_pending
    ]
    notes += [
        f"{m.label}: server log: "
        + "; ".join(f"`{k}` ×{v:,}" for k, v in sorted(m.server_error_kinds.items()))
        for m in result.modes
        if m.server_error_kinds
    ]
    notes += [
        f"{m.label}: first error frame: `{m.error_frame_sample}`"
        for m in result.modes
        if m.error_frame_sample
    ]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def _reply_path_label(params: dict[str, Any]) -> str:
    """How the agents replied; runs recorded before ``--reply-via`` existed used HTTP."""
    return "the agent socket" if params.get("reply_via") == "socket" else "HTTP"


def _mode_rows(result: ChatResult) -> list[tuple[str, Callable[[ModeResult], str]]]:
    by_socket = result.params.get("reply_via") == "socket"

    def kib(values: list[int]) -> str:
        return " + ".join(f"{v / 1024:.0f}" for v in values) + " MiB" if values else "n/a"

    def idle(m: ModeResult) -> str:
        i = m.idle
        if not i.requested:
            return "n/a"
        return (
            f"{i.opened:,} of {i.requested:,} opened in {i.open_seconds:.1f} s; "
            f"{i.answered:,} answered a ping after {i.hold:.0f} s; "
            f"{i.open_after_load:,} open after the load"
        )

    def memory(m: ModeResult) -> str:
        per = m.idle.per_connection_kib
        if per is None:
            return "n/a"
        return f"{kib(m.idle.rss_before_kib)} → {kib(m.idle.rss_after_kib)}; {per:.0f} KiB each"

    def flow(get: Callable[[ModeResult], Flow | None]) -> Callable[[ModeResult], str]:
        def cell(m: ModeResult) -> str:
            f = get(m)
            return f.text() if f else "n/a"

        return cell

    def lag(m: ModeResult) -> str:
        f = m.to_agent
        return f"p99 {_ms(f.send_lag.p99)}, max {_ms(f.send_lag.max)}" if f else "n/a"

    def http(m: ModeResult) -> str:
        f = m.to_customer
        return f.request.text(p95=False) if f and f.request.count else "n/a"

    def fraction(m: ModeResult) -> str:
        value = baseline_fraction(result, m)
        return "1 (baseline)" if m.mode == "echo" else ("n/a" if value is None else f"{value:.2f}")

    def cpu(m: ModeResult) -> str:
        servers = " + ".join(f"{c * 100:.0f}%" for c in m.server_cpu) or "n/a"
        return f"client {m.client_cpu * 100:.0f}%, server {servers}"

    def per_message(m: ModeResult) -> str:
        value = m.server_cpu_ms_per_message
        return "n/a" if value is None else f"{value:.2f} ms"

    return [
        ("Server processes", lambda m: str(m.servers)),
        ("Load average (1 min) when the mode started", lambda m: f"{m.load_at_start:.2f}"),
        (
            "Active sockets (customers + agents), conversations, setup time",
            lambda m: (
                f"{m.customers:,} + {m.agents:,}, {m.conversations:,}, {m.setup_seconds:.1f} s"
            ),
        ),
        ("Idle chat sockets", idle),
        ("Server RSS before → after the idle sockets", memory),
        ("Customer → agent (echo: round trip)", flow(lambda m: m.to_agent)),
        ("… customer send → its ack", lambda m: m.ack.text(p95=False)),
        ("… client send lag (due → written)", lag),
        (
            "Agent → customer (socket reply → customer socket)"
            if by_socket
            else "Agent → customer (HTTP reply → customer socket)",
            flow(lambda m: m.to_customer),
        ),
        ("… reply frame → its ack" if by_socket else "… HTTP reply request", http),
        ("Delivery throughput / echo baseline", fraction),
        (
            "Frames received by the client during the load",
            lambda m: f"{m.frames_per_second:,.0f}/s",
        ),
        ("CPU during the load (of one core)", cpu),
        ("Server CPU per message handled", per_message),
        ("Peak server memory (VmHWM)", lambda m: kib(m.server_peak_kib)),
        ("Errors in the server log", lambda m: f"{m.server_errors:,}"),
        (
            "Error frames received (by code)",
            lambda m: ", ".join(f"{k} {v:,}" for k, v in m.error_frames.items()) or "0",
        ),
    ]


def to_json(result: ChatResult) -> dict[str, Any]:
    data = asdict(result)
    for mode, raw in zip(result.modes, data["modes"], strict=True):
        raw["idle"]["per_connection_kib"] = mode.idle.per_connection_kib
        for name in ("to_agent", "to_customer"):
            flow = getattr(mode, name)
            if flow is not None:
                raw[name]["throughput"] = flow.throughput
                raw[name]["missing"] = flow.missing
        raw["baseline_fraction"] = baseline_fraction(result, mode)
    data["targets"] = [
        {"measurement": r.measurement, "result": r.result, "target": r.target, "met": r.met}
        for r in target_rows(result)
    ]
    return data


def replace_docs_block(path: Path, section: str) -> None:
    """Put ``section`` between the chat-bench markers in ``path``, replacing what was there.

    Without markers, a "Live chat" section holding them goes before "## Results log" (or at
    the end).
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{DOCS_BEGIN}\n\n{section.strip()}\n\n{DOCS_END}"
    if DOCS_BEGIN in text and DOCS_END in text:
        head, rest = text.split(DOCS_BEGIN, 1)
        _old, tail = rest.split(DOCS_END, 1)
        text = head + block + tail
    else:
        new = f"## Live chat\n\nLatest `kefu bench chat --write-docs` results:\n\n{block}\n\n"
        if "## Results log" in text:
            head, tail = text.split("## Results log", 1)
            text = head + new + "## Results log" + tail
        else:
            text = text.rstrip() + "\n\n" + new
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


# --- options --------------------------------------------------------------------------------------


@dataclass
class ChatOptions:
    modes: tuple[str, ...] = ("echo", "one", "two")
    customers: int = 200
    agents: int = 10
    idle: int = 2_000
    rate: float = 500.0
    reply_rate: float = 20.0
    reply_via: str = "socket"  # or "http": the live page's fallback
    duration: float = 30.0
    warmup: float = 3.0
    hold: float = 5.0
    drain: float = 10.0
    redis_url: str = "redis://127.0.0.1:6379/5"
    redis_prefix: str = ""  # default: a fresh one per run
    deflate: bool = True  # browsers negotiate permessage-deflate, and uvicorn accepts it
    connect_concurrency: int = 50
    max_load: float = 0.0  # > 0: before each mode wait (bounded) for a lower 1-min load average
    log_dir: Path | None = None

    def check(self) -> None:
        """ValueError unless every bound holds."""
        unknown = [m for m in self.modes if m not in MODES]
        if unknown or not self.modes:
            raise ValueError(f"--modes takes {', '.join(MODES)}")
        if self.customers < 1:
            raise ValueError("--customers must be at least 1")
        if not 1 <= self.agents <= min(MAX_AGENTS, self.customers):
            raise ValueError(f"--agents must be between 1 and {min(MAX_AGENTS, self.customers)}")
        total = self.customers + self.agents + self.idle
        if self.idle < 0 or total > MAX_CONNECTIONS:
            raise ValueError(
                f"customers + agents + idle = {total:,}; at most {MAX_CONNECTIONS:,} sockets"
            )
        if not 0 < self.duration <= MAX_DURATION:
            raise ValueError(f"--duration must be in (0, {MAX_DURATION:.0f}] seconds")
        if not 0 < self.rate <= MAX_RATE or not 0 <= self.reply_rate <= MAX_RATE:
            raise ValueError(f"--rate and --reply-rate must be in (0, {MAX_RATE:,.0f}]")
        if self.rate / self.customers > CHAT_FRAME_LIMIT * 0.8:
            raise ValueError(
                f"{self.rate / self.customers:.1f} messages/s per customer socket: the server "
                f"limits a socket to {CHAT_FRAME_LIMIT:.0f} frames/s; add --customers"
            )
        if self.reply_rate / self.customers > 5:
            raise ValueError("--reply-rate is more than 5 replies/s per conversation")
        if self.reply_via not in REPLY_PATHS:
            raise ValueError(f"--reply-via takes {' or '.join(REPLY_PATHS)}")
        replying = self.reply_via == "socket" and any(m != "echo" for m in self.modes)
        if replying and self.reply_rate / self.agents > CHAT_FRAME_LIMIT * 0.5:
            raise ValueError(
                f"{self.reply_rate / self.agents:.1f} replies/s per agent socket: the server "
                f"limits a socket to {CHAT_FRAME_LIMIT:.0f} frames/s; add --agents"
            )
        for name in ("warmup", "hold", "drain"):
            if not 0 <= getattr(self, name) <= 60:
                raise ValueError(f"--{name} must be between 0 and 60 seconds")
        if self.connect_concurrency < 1 or self.connect_concurrency > 500:
            raise ValueError("connect concurrency must be between 1 and 500")
        if self.max_load < 0:
            raise ValueError("--max-load must be positive (0: do not wait)")

    def deadline(self) -> float:
        """Hard wall-clock cap for one mode."""
        return SETUP_SECONDS + self.hold + self.warmup + self.duration + self.drain + 120


# --- server processes -----------------------------------------------------------------------------


def raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _child_setup() -> None:  # runs in the child between fork and exec
    raise_nofile()
    with contextlib.suppress(Exception):  # Linux only: SIGTERM the child when we die
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def status_kib(self, field_name: str) -> int | None:
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float:
        try:
            raw = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = raw.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_errors(self) -> dict[str, int]:
        try:
            return summarize_log(self.log_path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return {}


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Disconnected|Timeout)\w*\b")
_LOG_RECORD = re.compile(
    r"^(?:[\d-]+ [\d:,.]+ )?(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b:?\s*(?:[\w.]+ )?"
)
_TASK = re.compile(r"coro=<([\w.]+)\(")


def summarize_log(text: str) -> dict[str, int]:
    """Warnings and errors in a server log, counted by kind.

    Each WARNING / ERROR / CRITICAL record (with its traceback) is one, named by the exception
    it ends with (and, for a dropped asyncio task, the task's function) or by its message;
    warnings are prefixed "warning: ". A traceback printed without a record counts as an error.
    """
    kinds: dict[str, int] = {}
    incident: list[str] = []
    level = ""

    def close() -> None:
        if not incident:
            return
        exceptions = [x for x in incident if _EXCEPTION_LINE.match(x)]
        if exceptions:
            name = exceptions[-1][:100]
        else:
            name = _LOG_RECORD.sub("", incident[0]).strip()[:100]
        task = next((m.group(1) for x in incident if (m := _TASK.search(x))), "")
        key = f"{name} (in {task})" if task else name
        if level == "WARNING":
            key = f"warning: {key}"
        kinds[key] = kinds.get(key, 0) + 1
        incident.clear()

    for line in text.splitlines():
        record = _LOG_RECORD.match(line)
        if record:
            close()
            level = record.group(1)
            if level in ("WARNING", "ERROR", "CRITICAL"):
                incident.append(line)
        elif incident:
            incident.append(line)
        elif line.startswith("Traceback"):
            level = "ERROR"
            incident.append(line)
    close()
    return kinds


def error_count(kinds: dict[str, int]) -> int:
    return sum(n for k, n in kinds.items() if not k.startswith("warning: "))


@contextlib.contextmanager
def servers(
    *, app: str, count: int, env: dict[str, str], log_dir: Path, name: str
) -> Iterator[list[ServerProcess]]:
    """Start ``count`` uvicorn processes serving ``app``; stop them on the way out, whatever
    happens (Ctrl-C included)."""
    started: list[ServerProcess] = []
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        for _ in range(count):
            port = free_port()
            log_path = log_dir / f"chat-{name}-{port}.log"
            command = [
                sys.executable, "-m", "uvicorn", app,
                "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log", "--lifespan", "off", "--log-level", "warning",
            ]  # fmt: skip
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    command,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=settings.BASE_DIR,
                    preexec_fn=_child_setup,  # the bench starts no threads before this
                    start_new_session=True,  # Ctrl-C reaches us; we stop them in order
                )
            started.append(ServerProcess(port=port, process=process, log_path=log_path))
        for server in started:
            _wait_healthy(server)
        yield started
    finally:
        for server in started:
            server.stop()


def _wait_healthy(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited early; see {server.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{server.http_url}/healthz").status_code == 200:
                    return
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s")


def kefu_env(*, redis_url: str | None, prefix: str) -> dict[str, str]:
    """The environment of a Kefu server: this process's settings (database, data folder, secret
    key), production mode, and Redis only when asked for."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        KEFU_DEBUG="0",
        KEFU_DATA_DIR=str(settings.DATA_DIR),
        KEFU_SECRET_KEY=str(settings.SECRET_KEY),
        KEFU_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("KEFU_SECRET_KEY_FILE", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["KEFU_REDIS_PREFIX"] = prefix
    else:
        env.pop("REDIS_URL", None)
    return env


def echo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEFU_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --- the client -----------------------------------------------------------------------------------


class Tracker:
    """Due times of the messages in flight in one direction, and what became of them."""

    def __init__(self) -> None:
        self.due: dict[str, float] = {}
        self.done: set[str] = set()
        self.latencies: list[float] = []
        self.dues: list[float] = []  # due time of each delivered message, as latencies
        self.lags: list[float] = []
        self.requests: list[float] = []
        self.failed = 0
        self.duplicates = 0
        self.offered = 0
        self.sent = 0
        self.first_due: float | None = None
        self.last_delivery = 0.0
        self.error_sample = ""

    def expect(self, token: str, due: float) -> None:
        self.due[token] = due
        self.offered += 1
        if self.first_due is None:
            self.first_due = due

    def was_sent(self, token: str, at: float) -> None:
        due = self.due.get(token)
        self.sent += 1
        if due is not None:
            self.lags.append(at - due)

    def fail(self, token: str, why: str) -> None:
        if self.due.pop(token, None) is not None:
            self.failed += 1
            self.error_sample = self.error_sample or why

    def deliver(self, token: str, at: float) -> None:
        due = self.due.pop(token, None)
        if due is None:
            if token in self.done:
                self.duplicates += 1
            return  # not ours (another direction's message, or the warm-up's)
        self.done.add(token)
        self.dues.append(due)
        self.latencies.append(at - due)
        self.last_delivery = max(self.last_delivery, at)

    @property
    def pending(self) -> int:
        return len(self.due)

    def flow(self, name: str, rate: float, duration: float) -> Flow:
        span = self.last_delivery - self.first_due if self.first_due and self.last_delivery else 0
        return Flow(
            name=name,
            rate=rate,
            duration=duration,
            offered=self.offered,
            sent=self.sent,
            failed=self.failed,
            delivered=len(self.latencies),
            duplicates=self.duplicates,
            span=max(0.0, span),
            latency=Latency.of(self.latencies),
            send_lag=Latency.of(self.lags),
            request=Latency.of(self.requests),
            error_sample=self.error_sample,
            timeline=self.timeline(),
        )

    def timeline(self) -> list[list[float]]:
        if self.first_due is None:
            return []
        buckets: dict[int, list[float]] = {}
        for due, latency in zip(self.dues, self.latencies, strict=True):
            buckets.setdefault(int(due - self.first_due), []).append(latency * 1000)
        return [
            [second, len(v), round(percentile(v, 50) or 0, 1), round(max(v), 1)]
            for second, v in sorted(buckets.items())
        ]


class Counters:
    def __init__(self) -> None:
        self.frames = 0
        self.errors: dict[str, int] = {}
        self.error_sample = ""

    def error(self, frame: dict[str, Any]) -> None:
        code = str(frame.get("code", "?"))
        self.errors[code] = self.errors.get(code, 0) + 1
        self.error_sample = self.error_sample or json.dumps(frame, ensure_ascii=False)[:200]


# Called for each frame a socket receives: returns the waiter key the frame answers, if any.
FrameHandler = Callable[["Conn", dict[str, Any], float], str | None]


class Conn:
    """One WebSocket: a reader task that hands frames to ``handler`` and resolves waiters."""

    def __init__(
        self,
        ws: ClientConnection,
        handler: FrameHandler,
        counters: Counters,
        *,
        wait_for: tuple[str, ...] = (),
    ) -> None:
        self.ws = ws
        self.handler = handler
        self.counters = counters
        loop = asyncio.get_running_loop()
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {
            key: loop.create_future() for key in wait_for
        }
        self.server = 0
        self.conversation_id: int | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                at = time.perf_counter()
                self.counters.frames += 1
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(frame, dict):
                    continue
                key = self.handler(self, frame, at)
                if key is not None:
                    waiter = self.waiters.pop(key, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(frame)
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        finally:
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"closed ({self.ws.close_code})"))
            self.waiters.clear()

    @property
    def open(self) -> bool:
        return self.ws.state is State.OPEN and not self.reader.done()

    async def wait(self, key: str, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        waiter = self.waiters.get(key)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters[key] = waiter
        return await asyncio.wait_for(waiter, timeout)

    async def request(
        self, frame: dict[str, Any], key: str, timeout: float = REPLY_TIMEOUT
    ) -> dict[str, Any]:
        """Send ``frame`` and wait for the frame that answers it (registered before sending)."""
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[key] = waiter
        await asyncio.wait_for(self.ws.send(json.dumps(frame)), SEND_TIMEOUT)
        return await asyncio.wait_for(waiter, timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        self.reader.cancel()


async def open_conn(
    url: str,
    handler: FrameHandler,
    counters: Counters,
    *,
    origin: str,
    deflate: bool,
    headers: dict[str, str] | None = None,
    wait_for: tuple[str, ...] = (),
) -> Conn:
    ws = await connect(
        url,
        origin=Origin(origin),
        additional_headers=headers,
        compression="deflate" if deflate else None,
        open_timeout=CONNECT_TIMEOUT,
        ping_interval=None,  # browsers do not ping; uvicorn pings them (every 20 s)
        close_timeout=2,
        max_queue=256,
        proxy=None,  # loopback only, whatever the environment says
    )
    return Conn(ws, handler, counters, wait_for=wait_for)


def token_of(body: object) -> str:
    return body.split(" ", 1)[0] if isinstance(body, str) else ""


async def paced(rate: float, duration: float, emit: Callable[[int, float], None]) -> int:
    """Call ``emit(i, due)`` with ``due = start + i / rate`` for ``duration`` seconds: open loop,
    never waiting for answers. A late loop emits everything already due at once."""
    total = int(rate * duration)
    start = time.perf_counter()
    i = 0
    while i < total:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        while i < total and start + i / rate <= now:
            emit(i, start + i / rate)
            i += 1
    return total


class Writer:
    """One socket's outgoing queue, so a slow socket never holds up the others."""

    def __init__(self, conn: Conn, tracker: Tracker) -> None:
        self.conn = conn
        self.tracker = tracker
        self.queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while (item := await self.queue.get()) is not None:
            token, text = item
            try:
                await asyncio.wait_for(self.conn.ws.send(text), SEND_TIMEOUT)
            except (ConnectionClosed, WebSocketException, OSError, TimeoutError) as exc:
                self.tracker.fail(token, f"send: {exc!r}")
                continue
            self.tracker.was_sent(token, time.perf_counter())

    async def finish(self) -> None:
        self.queue.put_nowait(None)
        try:
            await asyncio.wait_for(self.task, SEND_TIMEOUT * 2)
        except TimeoutError:
            self.task.cancel()


def message_frame(token: str, conversation_id: int | None) -> str:
    return json.dumps(
        {
            "type": "message.send",
            "id": token,
            "body": f"{token} {CUSTOMER_TEXT}",
            "conversation_id": conversation_id,
        },
        ensure_ascii=False,
    )


async def drain(trackers: list[Tracker], seconds: float) -> None:
    """Wait (bounded) until nothing is in flight."""
    deadline = time.perf_counter() + seconds
    while any(t.pending for t in trackers) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def bounded_gather(
    count: int, make: Callable[[int], Any], concurrency: int, deadline: float
) -> list[Any]:
    """Run ``make(i)`` for i < count, ``concurrency`` at a time, all by ``deadline`` (monotonic);
    each result is the value or the exception."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Any:
        async with semaphore:
            left = deadline - time.monotonic()
            if left <= 0:
                return TimeoutError("setup deadline passed")
            try:
                return await asyncio.wait_for(make(i), left)
            except Exception as exc:
                return exc

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _first_error(results: list[Any]) -> str:
    return next((repr(r)[:200] for r in results if isinstance(r, BaseException)), "")


# --- one mode -----------------------------------------------------------------------------------


@dataclass
class AgentLogin:
    user_id: int
    session_key: str


class Session:
    """The sockets and measurements of one mode against its running server(s)."""

    def __init__(
        self, options: ChatOptions, result: ModeResult, procs: list[ServerProcess], kind: str
    ) -> None:
        self.o = options
        self.result = result
        self.procs = procs
        self.kind = kind  # "kefu" or "echo"
        self.counters = Counters()
        self.to_agent = Tracker()
        self.to_customer = Tracker()
        self.acks = Tracker()
        self.customers: list[Conn] = []
        self.agents: list[Conn] = []
        self.idle: list[Conn] = []
        self.clients: list[httpx.AsyncClient] = []
        self.owner: dict[int, Conn] = {}  # conversation id -> the agent subscribed to it
        self.run_id = secrets.token_hex(3)

    # -- frames ---------------------------------------------------------------------------

    def customer_frame(self, conn: Conn, frame: dict[str, Any], at: float) -> str | None:
        kind = frame.get("type")
        if self.kind == "echo":
            if kind == "message.send":
                self.to_agent.deliver(str(frame.get("id", "")), at)
                return None
            return {"hello": "welcome", "ping": "pong"}.get(str(kind))
        if kind == "message.created":
            message = frame.get("message") or {}
            self.to_customer.deliver(token_of(message.get("body")), at)
            return None
        if kind == "message.ack":
            key = str(frame.get("id", ""))
            self.acks.deliver(key, at)
            return f"ack:{key}"
        if kind == "error":
            self.counters.error(frame)
            ref = frame.get("ref")
            if ref:
                self.to_agent.fail(str(ref), f"error frame: {frame.get('code')}")
                self.acks.fail(str(ref), "error")
                return f"ack:{ref}"
            return "welcome" if "welcome" in conn.waiters else None
        if kind in ("welcome", "pong"):
            return str(kind)
        return None

    def agent_frame(self, conn: Conn, frame: dict[str, Any], at: float) -> str | None:
        kind = frame.get("type")
        if kind == "message.created":
            message = frame.get("message") or {}
            self.to_agent.deliver(token_of(message.get("body")), at)
            return None
        if kind == "subscribed":
            return f"subscribed:{frame.get('conversation_id')}"
        if kind == "message.ack":
            return f"ack:{frame.get('ref')}"
        if kind == "error":
            self.counters.error(frame)
            ref = frame.get("ref")
            return f"ack:{ref}" if ref else None
        if kind in ("hello", "pong"):
            return str(kind)
        return None

    # -- connecting -----------------------------------------------------------------------

    def _origin(self, server: int) -> str:
        return self.procs[server].http_url

    async def chat_socket(self, server: int) -> Conn:
        """A chat socket that said hello (the echo server answers with the hello itself)."""
        conn = await open_conn(
            f"{self.procs[server].ws_url}/ws/chat/v1",
            self.customer_frame,
            self.counters,
            origin=self._origin(server),
            deflate=self.o.deflate,
        )
        conn.server = server
        try:
            answer = await conn.request(
                # As the widget says hello: its own messages come in the acks only.
                {"type": "hello", "v": 1, "site": SITE_KEY, "language": "en", "echo": False},
                "welcome",
            )
        except BaseException:
            await conn.close()
            raise
        if answer.get("type") not in ("welcome", "hello"):
            await conn.close()
            raise RuntimeError(f"hello refused: {json.dumps(answer)[:200]}")
        return conn

    async def agent_socket(self, server: int, login: AgentLogin) -> Conn:
        conn = await open_conn(
            f"{self.procs[server].ws_url}/ws/agent/v1",
            self.agent_frame,
            self.counters,
            origin=self._origin(server),
            deflate=self.o.deflate,
            headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={login.session_key}"},
            wait_for=("hello",),
        )
        conn.server = server
        try:
            await conn.wait("hello")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def start_conversation(self, i: int) -> None:
        conn = self.customers[i]
        token = f"{self.run_id}-first-{i:06d}"
        answer = await conn.request(json.loads(message_frame(token, None)), f"ack:{token}")
        if answer.get("type") != "message.ack":
            raise RuntimeError(f"first message refused: {json.dumps(answer)[:200]}")
        conversation = answer.get("conversation") or {}
        cid = conversation.get("id") or (answer.get("message") or {}).get("conversation_id")
        if not cid:
            raise RuntimeError(f"the ack names no conversation: {json.dumps(answer)[:200]}")
        conn.conversation_id = int(cid)

    async def setup_kefu(self, logins: list[AgentLogin], deadline: float) -> None:
        servers = len(self.procs)
        began = time.perf_counter()
        results = await bounded_gather(
            len(logins),
            lambda i: self.agent_socket(i % servers, logins[i]),
            self.o.connect_concurrency,
            deadline,
        )
        self.agents = [r for r in results if isinstance(r, Conn)]
        if len(self.agents) < len(logins):
            raise RuntimeError(
                f"{len(logins) - len(self.agents)} agent sockets failed: {_first_error(results)}"
            )
        results = await bounded_gather(
            self.o.customers,
            lambda i: self.chat_socket(i % servers),
            self.o.connect_concurrency,
            deadline,
        )
        self.customers = [r for r in results if isinstance(r, Conn)]
        if len(self.customers) < self.o.customers:
            raise RuntimeError(
                f"{self.o.customers - len(self.customers)} customer sockets failed: "
                f"{_first_error(results)}"
            )
        results = await bounded_gather(
            len(self.customers), self.start_conversation, self.o.connect_concurrency, deadline
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise RuntimeError(f"{len(failed)} first messages failed: {_first_error(results)}")
        # Each conversation goes to an agent on the other server than its customer.
        by_server: dict[int, list[Conn]] = {}
        for agent in self.agents:
            by_server.setdefault(agent.server, []).append(agent)
        turn: dict[int, int] = {}
        for customer in self.customers:
            target = (customer.server + 1) % servers
            pool = by_server.get(target) or self.agents
            n = turn.get(target, 0)
            turn[target] = n + 1
            assert customer.conversation_id is not None
            self.owner[customer.conversation_id] = pool[n % len(pool)]

        async def subscribe(i: int) -> None:
            cid = self.customers[i].conversation_id
            assert cid is not None
            answer = await self.owner[cid].request(
                {"type": "subscribe", "conversation_id": cid}, f"subscribed:{cid}"
            )
            if answer.get("type") != "subscribed":
                raise RuntimeError(f"subscribe refused: {json.dumps(answer)[:200]}")

        results = await bounded_gather(
            len(self.customers), subscribe, self.o.connect_concurrency, deadline
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise RuntimeError(f"{len(failed)} subscriptions failed: {_first_error(results)}")
        self.result.customers = len(self.customers)
        self.result.agents = len(self.agents)
        self.result.conversations = len(self.owner)
        self.result.setup_seconds = time.perf_counter() - began

    async def setup_echo(self, deadline: float) -> None:
        began = time.perf_counter()
        results = await bounded_gather(
            self.o.customers,
            lambda i: self.chat_socket(i % len(self.procs)),
            self.o.connect_concurrency,
            deadline,
        )
        self.customers = [r for r in results if isinstance(r, Conn)]
        if len(self.customers) < self.o.customers:
            raise RuntimeError(f"echo sockets failed: {_first_error(results)}")
        self.result.customers = len(self.customers)
        self.result.setup_seconds = time.perf_counter() - began

    # -- idle sockets -------------------------------------------------------------------------

    async def open_idle(self, deadline: float) -> None:
        idle = self.result.idle
        idle.requested = self.o.idle
        idle.hold = self.o.hold
        if not self.o.idle:
            return
        idle.rss_before_kib = [p.status_kib("VmRSS") or 0 for p in self.procs]
        began = time.perf_counter()
        results = await bounded_gather(
            self.o.idle,
            lambda i: self.chat_socket(i % len(self.procs)),
            self.o.connect_concurrency,
            deadline,
        )
        idle.open_seconds = time.perf_counter() - began
        self.idle = [r for r in results if isinstance(r, Conn)]
        idle.opened = len(self.idle)
        idle.failed = self.o.idle - idle.opened
        idle.error_sample = _first_error(results)
        await asyncio.sleep(self.o.hold)
        idle.rss_after_kib = [p.status_kib("VmRSS") or 0 for p in self.procs]

        async def ping(i: int) -> None:
            answer = await self.idle[i].request({"type": "ping"}, "pong")
            if answer.get("type") not in ("pong", "ping"):
                raise RuntimeError(json.dumps(answer)[:200])

        answers = await bounded_gather(
            len(self.idle), ping, self.o.connect_concurrency, time.monotonic() + 120
        )
        idle.answered = sum(1 for a in answers if not isinstance(a, BaseException))
        idle.error_sample = idle.error_sample or _first_error(answers)

    # -- load -------------------------------------------------------------------------------

    async def reply_client(self, agent: Conn, login: AgentLogin) -> httpx.AsyncClient:
        csrf = secrets.token_hex(16)  # any 32 allowed characters: Django's unmasked secret
        client = httpx.AsyncClient(
            base_url=self.procs[agent.server].http_url,
            cookies={settings.SESSION_COOKIE_NAME: login.session_key, "csrftoken": csrf},
            # As the workspace's live page posts the reply form (live.js): JSON back, no flash
            # message and no redirect. A redirect's flash would pile up in the cookie and then
            # the session, since the benchmark never opens the page that shows it.
            headers={
                "X-CSRFToken": csrf,
                "Accept": "application/json",
                "X-Requested-With": "XMLHttpRequest",
            },
            timeout=HTTP_TIMEOUT,
            trust_env=False,
            follow_redirects=False,
        )
        self.clients.append(client)
        return client

    async def load(
        self, *, rate: float, reply_rate: float, duration: float,
        http: dict[int, httpx.AsyncClient], phase: str,
    ) -> None:  # fmt: skip
        """Offer messages (and replies) for ``duration`` s into fresh trackers, then drain."""
        self.to_agent = to_agent = Tracker()
        self.to_customer = to_customer = Tracker()
        self.acks = Tracker()
        writers = [Writer(c, to_agent) for c in self.customers]
        customers = len(self.customers)
        in_flight = asyncio.Semaphore(HTTP_IN_FLIGHT)
        tasks: set[asyncio.Task[None]] = set()

        def emit_message(i: int, due: float) -> None:
            writer = writers[i % customers]
            token = f"{self.run_id}-{phase}c-{i:07d}"
            to_agent.expect(token, due)
            if self.kind == "kefu":
                self.acks.expect(token, due)
            cid = writer.conn.conversation_id or 1
            writer.queue.put_nowait((token, message_frame(token, cid)))

        async def send_reply(token: str, customer: Conn) -> None:
            """As the live page does: a message.send frame on the agent's socket, then its ack."""
            cid = customer.conversation_id
            assert cid is not None
            agent = self.owner[cid]
            frame = {
                "type": "message.send",
                "id": token,
                "conversation_id": cid,
                "body": f"{token} {AGENT_TEXT}",
                "kind": "reply",
            }
            async with in_flight:
                sent = time.perf_counter()
                try:
                    answer = await agent.request(frame, f"ack:{token}", timeout=HTTP_TIMEOUT)
                except (ConnectionError, ConnectionClosed, WebSocketException, TimeoutError) as exc:
                    to_customer.fail(token, f"socket: {exc!r}")
                    return
                to_customer.requests.append(time.perf_counter() - sent)
                to_customer.was_sent(token, sent)
                if answer.get("type") != "message.ack":
                    to_customer.fail(token, f"error frame: {json.dumps(answer)[:120]}")

        async def post_reply(token: str, customer: Conn) -> None:
            assert customer.conversation_id is not None
            agent = self.owner[customer.conversation_id]
            async with in_flight:
                sent = time.perf_counter()
                try:
                    response = await http[id(agent)].post(
                        f"/agent/c/{customer.conversation_id}/reply",
                        data={"body": f"{token} {AGENT_TEXT}", "set_status": ""},
                    )
                except httpx.HTTPError as exc:
                    to_customer.fail(token, f"HTTP: {exc!r}")
                    return
                to_customer.requests.append(time.perf_counter() - sent)
                to_customer.was_sent(token, sent)
                if response.status_code != 200 or not _reply_ok(response):
                    to_customer.fail(token, f"HTTP {response.status_code}: {response.text[:120]}")

        def emit_reply(i: int, due: float) -> None:
            token = f"{self.run_id}-{phase}a-{i:07d}"
            to_customer.expect(token, due)
            customer = self.customers[(i * 7919) % customers]  # spread over conversations
            reply = send_reply if self.o.reply_via == "socket" else post_reply
            task = asyncio.create_task(reply(token, customer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        jobs = [paced(rate, duration, emit_message)]
        if reply_rate > 0 and self.kind == "kefu":
            jobs.append(paced(reply_rate, duration, emit_reply))
        async with asyncio.timeout(duration + 30), asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
        for writer in writers:
            await writer.finish()
        if tasks:
            await asyncio.wait(tasks, timeout=HTTP_TIMEOUT + 5)
        await drain([to_agent, to_customer], self.o.drain)

    async def measure(self, logins: dict[int, AgentLogin]) -> None:
        http: dict[int, httpx.AsyncClient] = {}
        if self.kind == "kefu" and self.o.reply_rate > 0 and self.o.reply_via == "http":
            for agent in self.agents:
                http[id(agent)] = await self.reply_client(agent, logins[id(agent)])
        if self.o.warmup:
            # Gently: warm the code paths and caches without leaving a backlog behind.
            await self.load(
                rate=min(self.o.rate / 2, WARMUP_RATE),
                reply_rate=min(self.o.reply_rate / 2, WARMUP_RATE / 10),
                duration=self.o.warmup, http=http, phase="w",
            )  # fmt: skip
            self.result.warmup_pending = self.to_agent.pending + self.to_customer.pending
        frames = self.counters.frames
        client_cpu = _self_cpu()
        server_cpu = [p.cpu_seconds() for p in self.procs]
        began = time.perf_counter()
        with client_collector_paused():
            await self.load(
                rate=self.o.rate, reply_rate=self.o.reply_rate, duration=self.o.duration,
                http=http, phase="m",
            )  # fmt: skip
        wall = time.perf_counter() - began
        self.result.frames_per_second = (self.counters.frames - frames) / wall
        self.result.client_cpu = (_self_cpu() - client_cpu) / wall
        used = [p.cpu_seconds() - before for p, before in zip(self.procs, server_cpu, strict=True)]
        self.result.server_cpu = [u / wall for u in used]
        if self.kind == "kefu":
            handled = len(self.acks.latencies) + len(self.to_customer.requests)
        else:
            handled = len(self.to_agent.latencies)
        if handled:
            self.result.server_cpu_ms_per_message = sum(used) * 1000 / handled
        self.result.to_agent = self.to_agent.flow("customer → agent", self.o.rate, self.o.duration)
        if self.kind == "kefu":
            self.result.ack = Latency.of(self.acks.latencies)
            if self.o.reply_rate > 0:
                self.result.to_customer = self.to_customer.flow(
                    "agent → customer", self.o.reply_rate, self.o.duration
                )
        self.result.idle.open_after_load = sum(1 for c in self.idle if c.open)

    async def close(self) -> None:
        conns = self.customers + self.agents + self.idle
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(c.close() for c in conns), return_exceptions=True),
                CLOSE_TIMEOUT,
            )
        for client in self.clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), 5)
        for conn in conns:
            conn.reader.cancel()


@contextlib.contextmanager
def client_collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in this (the client's) process while it measures.

    With thousands of sockets open, a full collection here paused the client's event loop for
    up to ~200 ms: messages were written late and frames read late, and that showed up as the
    server's latency (a "client send lag" of 200 ms in the same runs). The measured window is
    bounded (``--duration``, plus the drain), so what the collector would have freed meanwhile
    is freed right after it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run_mode(
    options: ChatOptions, result: ModeResult, procs: list[ServerProcess],
    logins: list[AgentLogin],
) -> None:  # fmt: skip
    kind = "echo" if result.mode == "echo" else "kefu"
    session = Session(options, result, procs, kind)
    deadline = time.monotonic() + SETUP_SECONDS
    try:
        if kind == "kefu":
            await session.setup_kefu(logins, deadline)
        else:
            await session.setup_echo(deadline)
        await session.open_idle(time.monotonic() + SETUP_SECONDS)
        by_conn = {id(a): login for a, login in zip(session.agents, logins, strict=False)}
        await session.measure(by_conn)
    finally:
        result.error_frames = dict(session.counters.errors)
        result.error_frame_sample = session.counters.error_sample
        await session.close()


def run_mode_in_loop(
    options: ChatOptions, result: ModeResult, procs: list[ServerProcess], logins: list[AgentLogin]
) -> None:
    """Run one mode on a fresh event loop (uvloop when installed), bounded by its deadline."""

    async def bounded() -> None:
        await asyncio.wait_for(_run_mode(options, result, procs, logins), options.deadline())

    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(bounded())


# What ends a mode early without ending the run: the error is recorded with the mode's results.
FAILURES = (RuntimeError, TimeoutError, OSError, WebSocketException)


def run_echo(options: ChatOptions, log_dir: Path) -> ModeResult:
    """The echo baseline on one uvicorn process (no Django server, no database)."""
    result = ModeResult(mode="echo", label=MODE_LABELS["echo"], servers=1)
    with servers(
        app="kefu.bench.echo:app", count=1, env=echo_env(), log_dir=log_dir, name="echo"
    ) as procs:
        try:
            run_mode_in_loop(options, result, procs, [])
        except FAILURES as exc:
            result.error = f"{type(exc).__name__}: {exc}"[:400]
        finally:
            _collect(result, procs)
    return result


def run_kefu(
    options: ChatOptions, mode: str, logins: list[AgentLogin], log_dir: Path, prefix: str
) -> ModeResult:
    count = 2 if mode == "two" else 1
    redis_url = options.redis_url if mode in ("one-redis", "two") else None
    result = ModeResult(mode=mode, label=MODE_LABELS[mode], servers=count)
    env = kefu_env(redis_url=redis_url, prefix=prefix)
    with servers(
        app="config.asgi:application", count=count, env=env, log_dir=log_dir, name=mode
    ) as procs:
        try:
            run_mode_in_loop(options, result, procs, logins)
        except FAILURES as exc:
            result.error = f"{type(exc).__name__}: {exc}"[:400]
        finally:
            _collect(result, procs)
    return result


def _collect(result: ModeResult, procs: list[ServerProcess]) -> None:
    result.server_peak_kib = [p.status_kib("VmHWM") or 0 for p in procs]
    for proc in procs:
        for kind, n in proc.log_errors().items():
            result.server_error_kinds[kind] = result.server_error_kinds.get(kind, 0) + n
    result.server_errors = error_count(result.server_error_kinds)


# --- the database side (synchronous, before and after the event loops) -------------------------


def _reply_ok(response: httpx.Response) -> bool:
    """Whether the workspace accepted the reply (``{"ok": true, ...}``, see workspace/actions)."""
    try:
        return bool(response.json().get("ok"))
    except ValueError:
        return False


def prepare_database(agents: int) -> list[AgentLogin]:
    """Migrate, then make sure the bench site and ``agents`` L1 agents exist (no teams, so
    they see the site's unrouted chats); sign each in with a fresh session (no password)."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command

    from kefu.accounts.models import Role, User, UserKind
    from kefu.conversations.models import Conversation
    from kefu.inbox.models import ChatSite

    call_command("migrate", interactive=False, verbosity=0)
    site = ChatSite.objects.filter(key=SITE_KEY).first()
    if site is None:
        if Conversation.objects.exists():
            raise RuntimeError(
                "This database has conversations and no bench chat site: use an empty one "
                "(e.g. KEFU_DATA_DIR=$(mktemp -d), or DATABASE_URL=.../kefu_chatbench)."
            )
        site = ChatSite.objects.create(name="Bench", key=SITE_KEY)
    if site.allowed_origins or site.identity_required or not site.is_active:
        site.allowed_origins, site.identity_required, site.is_active = [], False, True
        site.save(update_fields=["allowed_origins", "identity_required", "is_active"])
    engine = import_module(settings.SESSION_ENGINE)
    logins = []
    for i in range(agents):
        email = AGENT_EMAIL.format(i)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(
                email=email,
                display_name=f"Chat Agent {i}",
                kind=UserKind.STAFF,
                role=Role.AGENT_L1,
            )
            user.set_unusable_password()
            user.save()
        store = engine.SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        logins.append(AgentLogin(user_id=user.pk, session_key=str(store.session_key)))
    return logins


def forget_sessions(logins: list[AgentLogin]) -> None:
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    for login in logins:
        engine.SessionStore(login.session_key).delete()


def clear_redis(url: str, prefix: str) -> int:
    """Delete this run's channel-layer keys (only those under ``prefix``)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


def check_redis(url: str) -> None:
    import redis

    if not re.match(r"^rediss?://(127\.0\.0\.1|localhost|\[::1\])[:/]", url):
        raise ValueError(f"bench only uses a Redis on 127.0.0.1, not {url!r}")
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis at {url} does not answer: {exc}") from exc
    finally:
        client.close()


# --- everything ---------------------------------------------------------------------------------

QUIET_WAIT = 900.0  # seconds at most, per mode


def code_version() -> str:
    """``git describe --always --dirty`` of the checkout (read only), or "unknown"."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - git from PATH
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def wait_for_quiet(max_load: float, *, log: Callable[[str], None]) -> None:
    """Wait until the 1-minute load average is below ``max_load`` (this machine is shared),
    for at most ``QUIET_WAIT`` seconds; then go ahead anyway (the load is recorded)."""
    deadline = time.monotonic() + QUIET_WAIT
    if os.getloadavg()[0] >= max_load:
        log(f"  waiting for the load average to drop below {max_load}...")
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        time.sleep(5)


def run(options: ChatOptions, *, log: Callable[[str], None], command: str = "") -> ChatResult:
    """Run every mode in ``options.modes``; return what was measured (a failed mode keeps its
    error and what it measured before failing)."""
    from datetime import UTC, datetime

    from kefu.bench.report import machine_info

    options.check()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    nofile = raise_nofile()
    needed = 2 * (options.customers + options.agents + options.idle) + 200
    if nofile < needed:
        raise RuntimeError(
            f"the open-file limit is {nofile}, and {needed} descriptors are needed: raise it "
            "(ulimit -n) or open fewer sockets"
        )
    kefu_modes = [m for m in options.modes if m != "echo"]
    needs_redis = any(m in ("one-redis", "two") for m in kefu_modes)
    if needs_redis:
        check_redis(options.redis_url)
    prefix = options.redis_prefix or f"kefu-chatbench-{secrets.token_hex(4)}"
    log_dir = options.log_dir or Path(settings.DATA_DIR) / "bench"
    result = ChatResult(
        machine=machine_info(),
        params={
            "modes": list(options.modes), "customers": options.customers,
            "agents": options.agents, "idle": options.idle, "rate": options.rate,
            "reply_rate": options.reply_rate, "reply_via": options.reply_via,
            "duration": options.duration,
            "warmup": options.warmup, "hold": options.hold, "drain": options.drain,
            "deflate": options.deflate, "nofile": nofile,
            "redis": options.redis_url if needs_redis else "",
            "load_before": list(os.getloadavg()),
            "code": code_version(),
        },
        modes=[],
        command=command,
        measured_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )  # fmt: skip
    logins: list[AgentLogin] = []
    try:
        if kefu_modes:
            log("Migrating and preparing the bench site and agents...")
            logins = prepare_database(options.agents)
        for mode in options.modes:
            if options.max_load:
                wait_for_quiet(options.max_load, log=log)
            log(f"{MODE_LABELS[mode]}...")
            load = os.getloadavg()[0]
            began = time.perf_counter()
            try:
                if mode == "echo":
                    outcome = run_echo(options, log_dir)
                else:
                    outcome = run_kefu(options, mode, logins, log_dir, prefix)
            except FAILURES as exc:  # the servers did not start
                outcome = ModeResult(mode=mode, label=MODE_LABELS[mode], error=f"{exc}"[:400])
            outcome.load_at_start = load
            if outcome.error:
                log(f"  stopped early: {outcome.error}")
            result.modes.append(outcome)
            log(f"  done in {time.perf_counter() - began:.0f} s")
    finally:
        if logins:
            forget_sessions(logins)
        if needs_redis:
            with contextlib.suppress(Exception):
                clear_redis(options.redis_url, prefix)
    result.params["load_after"] = list(os.getloadavg())
    one, five, _ = result.params["load_before"]
    result.notes.append(f"Load average before the run: {one:.2f} (1 min), {five:.2f} (5 min).")
    one, five, _ = result.params["load_after"]
    result.notes.append(f"Load average after the run: {one:.2f} (1 min), {five:.2f} (5 min).")
    return result
