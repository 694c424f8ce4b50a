"""``/metrics``: Prometheus text format, for a bearer token or allowed client addresses only."""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# The classic text format generate_latest() writes (Prometheus reads it without negotiation).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _client_allowed(request: HttpRequest) -> bool:
    token = settings.KEFU_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.KEFU_METRICS_ALLOWED_IPS)


class JobQueueCollector(Collector):
    """Queue depth read from the database job queue at scrape time."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from django.db.models import Count, Min, Q
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        from kefu.core import clock

        now = clock.now()
        ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        due = Q(run_after=get_date_max()) | Q(run_after__lte=now)
        depth = GaugeMetricFamily(
            "kefu_job_queue_depth", "Jobs waiting in the queue, by queue.", labels=["queue"]
        )
        due_family = GaugeMetricFamily(
            "kefu_job_queue_due", "Jobs waiting whose time has come, by queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "kefu_job_queue_oldest_due_seconds",
            "Age of the oldest job whose time has come (0 when none), by queue.",
            labels=["queue"],
        )
        rows = ready.values("queue_name").annotate(
            total=Count("id"), due=Count("id", filter=due), first=Min("enqueued_at", filter=due)
        )
        for row in rows:
            depth.add_metric([row["queue_name"]], row["total"])
            due_family.add_metric([row["queue_name"]], row["due"])
            age = (now - row["first"]).total_seconds() if row["first"] else 0.0
            oldest.add_metric([row["queue_name"]], max(age, 0.0))
        running = GaugeMetricFamily("kefu_jobs_running", "Jobs being run by a worker now.")
        running.add_metric([], DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count())
        yield from (depth, due_family, oldest, running)


def render_metrics() -> bytes:
    """Every process's samples (multiprocess mode) or this process's, plus the queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        queue = CollectorRegistry()
        queue.register(JobQueueCollector())
        output += generate_latest(queue)
    return output


def metrics(request: HttpRequest) -> HttpResponse:
    if not _client_allowed(request):
        raise Http404
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)
