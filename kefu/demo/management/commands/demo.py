"""``kefu demo``: load the demo data set (idempotent) and print the demo logins."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kefu.demo.seed import (
    DEFAULT_CONVERSATIONS,
    DEFAULT_SEED,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    load_demo,
)


def _quiet(message: str) -> None:
    del message


class Command(BaseCommand):
    help = "Load demo staff, teams, customers, tags, macros and conversations (once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--conversations",
            type=int,
            default=DEFAULT_CONVERSATIONS,
            help="How many conversations to write (first load only).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Random seed; the same seed gives the same data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = max(1, min(int(options["conversations"]), 5_000))
        started = time.monotonic()
        verbose = int(options["verbosity"]) >= 1
        result = load_demo(
            conversations=count,
            seed=int(options["seed"]),
            log=self.stdout.write if verbose else _quiet,
        )
        if not verbose:
            return
        if result.created:
            summary = ", ".join(f"{k} {v}" for k, v in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data loaded in {time.monotonic() - started:.1f} s: {summary}."
                )
            )
        else:
            self.stdout.write("Demo data is already loaded; nothing changed.")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for role, email in DEMO_LOGINS:
            self.stdout.write(f"  {role:<13} {email}")
