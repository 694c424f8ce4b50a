"""``kefu bench seed --conversations N`` and ``kefu bench run``: see docs/benchmarks.md.

``seed`` writes synthetic data in bulk, bypassing the services on purpose (kefu/bench/seed.py
says why and what that means). ``run`` measures over HTTP on 127.0.0.1 against a server it
starts itself, and prints a Markdown table (optionally appended to docs/benchmarks.md).
"""

from __future__ import annotations

import shlex
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.bench import report
from kefu.bench.run import Options, run
from kefu.bench.seed import DEFAULT_BATCH, MAX_CONVERSATIONS, seed_conversations


class Command(BaseCommand):
    help = "Seed synthetic benchmark data, or measure latency, throughput and memory."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="Write N synthetic conversations fast (bulk).")
        seed.add_argument(
            "--conversations",
            type=int,
            required=True,
            help=f"How many (1 to {MAX_CONVERSATIONS:,}).",
        )
        seed.add_argument("--batch", type=int, default=DEFAULT_BATCH)
        seed.add_argument("--seed", type=int, default=1, help="Random seed.")
        seed.add_argument("--days", type=int, default=365, help="Spread over this many days.")

        bench = sub.add_parser("run", help="Measure over HTTP on 127.0.0.1.")
        bench.add_argument(
            "--url", help="Use this running server (127.0.0.1 only) instead of starting one."
        )
        bench.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
        bench.add_argument(
            "--concurrency",
            default="1,16",
            help="Comma-separated client concurrencies for API create.",
        )
        bench.add_argument(
            "--requests",
            type=int,
            default=1_000,
            help="At most this many creates per concurrency level.",
        )
        bench.add_argument(
            "--read-requests",
            type=int,
            default=200,
            help="At most this many requests per read measurement.",
        )
        bench.add_argument(
            "--seconds", type=float, default=20.0, help="At most this long per measurement."
        )
        bench.add_argument(
            "--write-docs",
            metavar="PATH",
            nargs="?",
            const="docs/benchmarks.md",
            help="Append the results to this Markdown file (default docs/benchmarks.md).",
        )
        bench.add_argument(
            "--only",
            choices=("all", "reads", "create"),
            default="all",
            help="Measure only the reads (lists, search, query counts) or only API create.",
        )
        bench.add_argument("--title", default="", help="Heading of the appended section.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seed":
            self._seed(options)
        else:
            self._run(options)

    def _seed(self, options: dict[str, Any]) -> None:
        n = int(options["conversations"])
        if not 1 <= n <= MAX_CONVERSATIONS:
            raise CommandError(f"--conversations must be between 1 and {MAX_CONVERSATIONS:,}")
        self.stdout.write(f"Seeding {n:,} conversations (bulk; no timeline or audit rows)...")

        def progress(done: int, seconds: float) -> None:
            if done == n or done % 50_000 < int(options["batch"]):
                self.stdout.write(f"  {done:,} / {n:,} in {seconds:.0f} s")

        result = seed_conversations(
            n,
            batch_size=int(options["batch"]),
            seed=int(options["seed"]),
            days=int(options["days"]),
            progress=progress,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.conversations:,} conversations and {result.messages:,} messages "
                f"(ids {result.first_id}-{result.last_id}) in {result.seconds:.1f} s "
                f"({result.conversations / max(result.seconds, 1e-9):,.0f}/s)."
            )
        )

    def _run(self, options: dict[str, Any]) -> None:
        try:
            concurrency = tuple(
                max(1, min(int(c), 256)) for c in str(options["concurrency"]).split(",") if c
            )
        except ValueError as exc:
            raise CommandError("--concurrency takes numbers such as 1,16") from exc
        opts = Options(
            url=options["url"],
            workers=max(1, min(int(options["workers"]), 16)),
            concurrency=concurrency or (1, 16),
            create_requests=max(1, min(int(options["requests"]), 100_000)),
            read_requests=max(1, min(int(options["read_requests"]), 10_000)),
            reads=options["only"] in ("all", "reads"),
            creates=options["only"] in ("all", "create"),
            seconds=max(1.0, min(float(options["seconds"]), 600.0)),
        )
        try:
            outcome = run(opts, log=self.stdout.write)
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        info = report.machine_info()
        title = options["title"] or (
            f"{info['database']}, {outcome.dataset['conversations']:,} conversations"
        )
        command = "kefu bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        section = report.markdown_section(
            title=title,
            rows=outcome.rows,
            info=info,
            dataset=outcome.dataset,
            command=command,
            notes=outcome.notes,
        )
        self.stdout.write("")
        self.stdout.write(section)
        if options["write_docs"]:
            path = Path(options["write_docs"])
            report.append_to(path, section)
            self.stdout.write(f"Appended to {path}")
