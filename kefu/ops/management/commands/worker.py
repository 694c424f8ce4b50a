"""Run background jobs from the database queue (django-tasks-db; see docs/adr/0003), enqueue
the periodic jobs of ``kefu.ops.periodic.SCHEDULE`` when they fall due, and take back the jobs
of workers that died (``kefu.ops.liveness``, ADR 0027)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kefu.ops import liveness, periodic


class Command(BaseCommand):
    help = "Run the Kefu background worker (several may run on several machines)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between polls when the queue is empty.",
        )
        parser.add_argument("--batch", action="store_true", help="Run every due job, then exit.")
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Do not enqueue periodic jobs (another worker does).",
        )
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=5.0,
            help="Seconds between checks for due periodic jobs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = liveness.new_worker_id()
        heartbeat = liveness.Heartbeat(worker_id=worker_id)
        heartbeat.tick()  # alive before the first claim; stale jobs are ready before we poll
        heartbeat.start()
        scheduler: periodic.Scheduler | None = None
        if not options["no_schedule"]:
            if options["batch"]:
                periodic.run_due()  # due periodic jobs join this batch
            else:
                scheduler = periodic.Scheduler(interval=options["schedule_interval"])
                scheduler.start()
        try:
            call_command(
                "db_worker",
                interval=options["interval"],
                batch=options["batch"],
                verbosity=options["verbosity"],
                worker_id=worker_id,
            )
        finally:
            if scheduler is not None:
                scheduler.stop()
            heartbeat.stop()
            heartbeat.join(timeout=5)
