"""Measure Kefu over HTTP on 127.0.0.1: start a server, drive load, read its peak memory.

The server is a child process (``uvicorn config.asgi:application``) with production settings
(``config.settings``, DEBUG off) on the same database and data folder as this process. Every
loop here is bounded by a request count *and* a deadline, and only loopback URLs are accepted.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from django.conf import settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


def check_loopback(url: str) -> str:
    """``url`` without a trailing slash, if it points at this machine; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
        raise ValueError(f"bench only targets 127.0.0.1, not {url!r}")
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A uvicorn child process serving Kefu on 127.0.0.1."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(*, workers: int = 1, port: int | None = None, log_dir: Path) -> Server:
    """Start uvicorn with production settings and wait (bounded) until /healthz answers."""
    port = port or free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        KEFU_DEBUG="0",
        KEFU_DATA_DIR=str(settings.DATA_DIR),
        KEFU_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    db_url = os.environ.get("DATABASE_URL")
    if db_url:
        env["DATABASE_URL"] = db_url
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"bench-server-{port}.log"
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(max(1, workers)),
        "--lifespan", "off", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early; see {log_path}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s")


def peak_rss_kib(pid: int) -> int | None:
    """Peak resident memory (VmHWM) of ``pid`` and its child processes, in KiB."""
    total = 0
    found = False
    for each in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
                found = True
    return total if found else None


def _children(pid: int) -> list[int]:
    try:
        raw = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(p) for p in raw.split()]
    return kids + [g for k in kids for g in _children(k)]


# --- load -------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    error_sample: str = ""

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float | None:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1] * 1000


# One request: given a client and the request's sequence number, return the HTTP response.
RequestFn = Callable[[httpx.Client, int], httpx.Response]


def run_load(
    *,
    name: str,
    base_url: str,
    request: RequestFn,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    warmup: int = 10,
    expect: tuple[int, ...] = (200,),
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> LoadResult:
    """Send up to ``max_requests`` (for at most ``max_seconds``) from ``concurrency`` threads,
    each with its own keep-alive connection; time every request."""
    base_url = check_loopback(base_url)
    result = LoadResult(name=name, concurrency=concurrency)
    lock = threading.Lock()
    counter = iter(range(max_requests))

    def client() -> httpx.Client:
        return httpx.Client(
            base_url=base_url,
            headers=headers,
            cookies=cookies,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
        )

    with client() as warm:
        for i in range(warmup):
            request(warm, -1 - i)

    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        with client() as http:
            while time.monotonic() < deadline:
                with lock:
                    seq = next(counter, None)
                if seq is None:
                    return
                started = time.perf_counter()
                try:
                    response = request(http, seq)
                except httpx.HTTPError as exc:
                    with lock:
                        result.errors += 1
                        result.error_sample = result.error_sample or repr(exc)
                    continue
                took = time.perf_counter() - started
                with lock:
                    result.statuses[response.status_code] = (
                        result.statuses.get(response.status_code, 0) + 1
                    )
                    if response.status_code in expect:
                        result.latencies.append(took)
                    else:
                        result.errors += 1
                        result.error_sample = result.error_sample or (
                            f"HTTP {response.status_code}: {response.text[:200]}"
                        )

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max_seconds + REQUEST_TIMEOUT + 5)
    result.elapsed = time.perf_counter() - began
    return result
