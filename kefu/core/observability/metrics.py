"""Prometheus metrics (prometheus_client).

With ``PROMETHEUS_MULTIPROC_DIR`` set (before any process starts), every web process and
worker writes its samples to files there and ``/metrics`` on any web process of the machine
adds them up; without it each process reports only itself. Label values are bounded: routes are
URL names (or patterns), never raw paths.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:  # prometheus_client writes there as soon as a metric is created
    Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

from prometheus_client import Counter, Gauge, Histogram  # noqa: E402 - after the folder exists

HTTP_REQUESTS = Counter(
    "kefu_http_requests",
    "HTTP requests answered, by route name, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "kefu_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "kefu_websocket_connections",
    "Open WebSocket connections, by consumer (live processes only).",
    ["consumer"],
    multiprocess_mode="livesum",
)
WEBSOCKET_OPENED = Counter(
    "kefu_websocket_connections_opened",
    "WebSocket connections accepted, by consumer.",
    ["consumer"],
)
JOBS = Counter(
    "kefu_jobs",
    "Background jobs run by workers, by task name and outcome (SUCCESSFUL or FAILED).",
    ["task", "outcome"],
)
JOB_DURATION = Histogram(
    "kefu_job_duration_seconds",
    "Time a background job ran, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0),
)
DELIVERY_ATTEMPTS = Counter(
    "kefu_outbound_delivery_attempts",
    "Outbound channel delivery attempts, by channel and outcome (sent, retry, failed).",
    ["channel", "outcome"],
)


def delivery_attempted(*, channel: str, outcome: str) -> None:
    DELIVERY_ATTEMPTS.labels(channel=channel, outcome=outcome).inc()
