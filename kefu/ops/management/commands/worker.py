"""Run background jobs from the database queue (django-tasks-db; see docs/adr/0003)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


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

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "db_worker",
            interval=options["interval"],
            batch=options["batch"],
            verbosity=options["verbosity"],
        )
