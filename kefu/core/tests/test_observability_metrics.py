"""/metrics: Prometheus text that parses, counts requests by route and status, reports open
WebSockets, job outcomes and the queue depth, and is refused to anyone not allowed."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks import task
from prometheus_client.parser import text_string_to_metric_families

from kefu.testing.realtime import chat_socket

OUTSIDE = "203.0.113.9"


def scrape(client: Client | None = None, **extra: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, keyed by (name, labels)."""
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_requests_are_counted_by_route_method_and_status():
    before = scrape()
    Client().get("/healthz")
    Client().get("/healthz")
    Client().get("/no-such-page/")
    after = scrape()
    ok = {"route": "healthz", "method": "GET", "status": "200"}
    assert value(after, "kefu_http_requests_total", **ok) - value(
        before, "kefu_http_requests_total", **ok
    ) == pytest.approx(2)
    missing = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "kefu_http_requests_total", **missing) - value(
        before, "kefu_http_requests_total", **missing
    ) == pytest.approx(1)
    latency = {"route": "healthz", "method": "GET"}
    assert value(after, "kefu_http_request_duration_seconds_count", **latency) - value(
        before, "kefu_http_request_duration_seconds_count", **latency
    ) == pytest.approx(2)
    assert value(after, "kefu_http_request_duration_seconds_bucket", le="+Inf", **latency) == value(
        after, "kefu_http_request_duration_seconds_count", **latency
    )


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_and_wrong_tokens(settings):
    settings.KEFU_METRICS_TOKEN = "metrics-token-0123456789"
    assert Client().get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404
    assert (
        Client()
        .get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer wrong-token")
        .status_code
        == 404
    )
    granted = Client().get(
        "/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer metrics-token-0123456789"
    )
    assert granted.status_code == 200
    assert b"kefu_http_requests_total" in granted.content


@pytest.mark.django_db
def test_allowed_networks_come_from_settings(settings):
    settings.KEFU_METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    settings.KEFU_METRICS_TOKEN = ""
    assert Client().get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert Client().get("/metrics", REMOTE_ADDR="198.51.100.1").status_code == 404


@task()
def _ok_job() -> None:
    return None


@task()
def _failing_job() -> None:
    raise RuntimeError("boom")


@pytest.mark.django_db
def test_job_outcomes_are_counted_by_task():
    before = scrape()
    _ok_job.enqueue()
    _failing_job.enqueue()
    after = scrape()
    ok = {"task": _ok_job.name, "outcome": "SUCCESSFUL"}
    failed = {"task": _failing_job.name, "outcome": "FAILED"}
    assert value(after, "kefu_jobs_total", **ok) - value(
        before, "kefu_jobs_total", **ok
    ) == pytest.approx(1)
    assert value(after, "kefu_jobs_total", **failed) - value(
        before, "kefu_jobs_total", **failed
    ) == pytest.approx(1)
    assert value(after, "kefu_job_duration_seconds_count", task=_ok_job.name) >= 1


@pytest.mark.django_db
def test_queue_depth_counts_waiting_jobs_of_the_database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert value(scrape(), "kefu_job_queue_depth", queue="default") == 0
    _ok_job.enqueue()
    _ok_job.enqueue()
    samples = scrape()
    assert value(samples, "kefu_job_queue_depth", queue="default") == 2
    assert value(samples, "kefu_job_queue_due", queue="default") == 2
    assert value(samples, "kefu_jobs_running") == 0


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_open_websockets_are_a_gauge_by_consumer():
    from asgiref.sync import sync_to_async

    def gauge() -> float:
        return value(scrape(), "kefu_websocket_connections", consumer="ChatConsumer")

    start = await sync_to_async(gauge)()
    first = await chat_socket()
    second = await chat_socket()
    assert await sync_to_async(gauge)() == start + 2
    await first.close()
    assert await sync_to_async(gauge)() == start + 1
    await second.close()
    assert await sync_to_async(gauge)() == start
