"""``kefu bench seed --conversations N``, ``kefu bench run`` and ``kefu bench chat``: see
docs/benchmarks.md.

``seed`` writes synthetic data in bulk, bypassing the services on purpose (kefu/bench/seed.py
says why and what that means). ``run`` measures over HTTP on 127.0.0.1 against a server it
starts itself, and prints a Markdown table (optionally appended to docs/benchmarks.md).
``chat`` measures live chat over WebSockets against servers it starts (kefu/bench/chat.py).
``helpcenter`` measures knowledge-base search and article pages (kefu/bench/helpcenter.py).
``assistant`` measures the assistant's intent classifier in-process (kefu/bench/assistant.py);
``assistant-reply`` complete assistant replies (kefu/bench/assistant_reply.py);
``email`` email ingestion through the real pipeline (kefu/bench/email_ingest.py).
``sla`` the SLA worker over N open conversations with running timers (kefu/bench/sla.py).
``load`` mixed production-like traffic with Locust (kefu/bench/load.py, kefu/bench/load_run.py).
``analytics`` the analytics dashboards over N conversations' facts (kefu/bench/analytics.py).
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.bench import analytics as analytics_bench
from kefu.bench import assistant, assistant_reply, chat, email_ingest, helpcenter, report
from kefu.bench import sla as sla_bench
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

        live = sub.add_parser(
            "chat", help="Live chat over WebSockets on 127.0.0.1 (servers started here)."
        )
        defaults = chat.ChatOptions()
        live.add_argument(
            "--modes",
            default=",".join(defaults.modes),
            help=f"Comma-separated, in order: {', '.join(chat.MODES)}.",
        )
        live.add_argument(
            "--customers",
            type=int,
            default=defaults.customers,
            help="Active customer sockets, one conversation each.",
        )
        live.add_argument(
            "--agents",
            type=int,
            default=defaults.agents,
            help="Agent sockets; the conversations are spread over them.",
        )
        live.add_argument(
            "--idle",
            type=int,
            default=defaults.idle,
            help="Idle chat sockets held open (hello only).",
        )
        live.add_argument(
            "--rate",
            type=float,
            default=defaults.rate,
            help="Customer messages offered per second (open loop).",
        )
        live.add_argument(
            "--reply-rate",
            type=float,
            default=defaults.reply_rate,
            help="Agent replies per second (0: none).",
        )
        live.add_argument(
            "--reply-via",
            choices=chat.REPLY_PATHS,
            default=defaults.reply_via,
            help="How agents send replies: 'socket' (a message.send frame on the agent socket, "
            "as the live page does) or 'http' (the workspace's reply form, its fallback).",
        )
        live.add_argument(
            "--duration",
            type=float,
            default=defaults.duration,
            help=f"Seconds of measured load (at most {chat.MAX_DURATION:.0f}).",
        )
        live.add_argument("--warmup", type=float, default=defaults.warmup)
        live.add_argument(
            "--hold",
            type=float,
            default=defaults.hold,
            help="Seconds the idle sockets are held before they are pinged.",
        )
        live.add_argument(
            "--drain",
            type=float,
            default=defaults.drain,
            help="At most this long to wait for late deliveries.",
        )
        live.add_argument(
            "--redis-url",
            default=defaults.redis_url,
            help="Redis for the one-redis and two modes (127.0.0.1 only).",
        )
        live.add_argument(
            "--redis-prefix",
            default="",
            help="Channel-layer key prefix (default: a fresh one per run).",
        )
        live.add_argument(
            "--no-deflate",
            action="store_true",
            help="Do not negotiate permessage-deflate (browsers do).",
        )
        live.add_argument(
            "--max-load",
            type=float,
            default=0.0,
            help="Before each mode, wait (at most 15 min) for the 1-min load average to drop "
            "below this (the machine is shared); 0: do not wait.",
        )
        live.add_argument(
            "--json",
            metavar="PATH",
            nargs="?",
            const="-",
            help="Also write the results as JSON (to stdout without PATH).",
        )
        live.add_argument(
            "--write-docs",
            metavar="PATH",
            nargs="?",
            const="docs/benchmarks.md",
            help="Replace the live chat results in this Markdown file (default "
            "docs/benchmarks.md).",
        )

        kb = sub.add_parser(
            "helpcenter", help="Help-center search (in-process) and article pages (HTTP)."
        )
        kb.add_argument("--articles", type=int, default=10_000, help="Articles per language.")
        kb.add_argument(
            "--no-seed", action="store_true", help="Reuse the articles of an earlier run."
        )
        kb.add_argument("--repeats", type=int, default=30, help="Rounds of the query set.")
        kb.add_argument(
            "--requests", type=int, default=1_000, help="Article pages per concurrency (0: none)."
        )

        intents = sub.add_parser(
            "assistant", help="Assistant intent classifier: latency per message and memory."
        )
        intents.add_argument("--repeats", type=int, default=3, help="Rounds of the message set.")
        intents.add_argument("--data", help="JSON-lines messages (default: the test set).")

        replies = sub.add_parser(
            "assistant-reply",
            help="Complete assistant replies (classification, retrieval, flow), no LLM.",
        )
        replies.add_argument("--messages", type=int, default=400, help="Customer messages.")

        timers = sub.add_parser("sla", help="The SLA worker over N open conversations' timers.")
        timers.add_argument("--conversations", type=int, default=100_000)
        timers.add_argument(
            "--reset", action="store_true", help="Delete earlier 'Bench SLA' data first."
        )

        dash = sub.add_parser(
            "analytics", help="Analytics dashboards over N conversations' facts (throwaway DB)."
        )
        dash.add_argument("--conversations", type=int, default=1_000_000)
        dash.add_argument(
            "--changed", type=int, default=1_000, help="Conversations for the incremental refresh."
        )
        dash.add_argument(
            "--reset", action="store_true", help="Delete earlier bench analytics data first."
        )
        dash.add_argument(
            "--reuse",
            action="store_true",
            help="Keep the facts and rollups of an earlier run; only time the views.",
        )

        mail = sub.add_parser(
            "email", help="Email ingestion through the real pipeline (use a throwaway database)."
        )
        mail.add_argument("--messages", type=int, default=1000, help="Generated messages.")
        mail.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Store all first, then process with N worker processes (N > 1: PostgreSQL).",
        )

        load = sub.add_parser(
            "load",
            help="Mixed traffic with Locust (chat, agents, API, help search) on 127.0.0.1.",
        )
        load.add_argument("--mode", choices=["single", "production"], default="single")
        load.add_argument("--users", type=int, default=30)
        load.add_argument("--spawn-rate", type=float, default=10.0)
        load.add_argument("--seconds", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            from kefu.bench import load_run

            try:
                report = load_run.run(
                    mode=options["mode"],
                    users=int(options["users"]),
                    spawn_rate=float(options["spawn_rate"]),
                    seconds=int(options["seconds"]),
                    log=self.stdout.write,
                )
            except load_run.LoadRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(load_run.markdown(report))
            return
        if options["action"] == "email":
            if options.get("workers") is None:
                email_ingest.run(messages=int(options["messages"]), log=self.stdout.write)
                return
            try:
                email_ingest.run_workers(
                    messages=int(options["messages"]),
                    workers=int(options["workers"]),
                    log=self.stdout.write,
                )
            except email_ingest.WorkersRefused as exc:
                raise CommandError(str(exc)) from exc
            return
        if options["action"] == "sla":
            n = int(options["conversations"])
            if not 1 <= n <= 1_000_000:
                raise CommandError("--conversations must be between 1 and 1,000,000")
            sla_result = sla_bench.run_sla_bench(
                conversations=n, reset=bool(options["reset"]), log=self.stdout.write
            )
            self.stdout.write(sla_bench.markdown(sla_result))
            return
        if options["action"] == "analytics":
            n = int(options["conversations"])
            if not 1 <= n <= 2_000_000:
                raise CommandError("--conversations must be between 1 and 2,000,000")
            changed = max(0, min(int(options["changed"]), 100_000))
            dash_result = analytics_bench.run_analytics_bench(
                conversations=n,
                changed=changed,
                reset=bool(options["reset"]),
                reuse=bool(options["reuse"]),
                log=self.stdout.write,
            )
            self.stdout.write(analytics_bench.markdown(dash_result))
            return
        if options["action"] == "assistant-reply":
            assistant_reply.run(messages=int(options["messages"]), log=self.stdout.write)
            return
        if options["action"] == "assistant":
            result = assistant.run_assistant_bench(
                repeats=max(1, min(int(options["repeats"]), 100)),
                data=Path(options["data"]) if options["data"] else None,
            )
            self.stdout.write(assistant.markdown(result))
            return
        if options["action"] == "seed":
            self._seed(options)
        elif options["action"] == "chat":
            self._chat(options)
        elif options["action"] == "helpcenter":
            self._helpcenter(options)
        else:
            self._run(options)

    def _helpcenter(self, options: dict[str, Any]) -> None:
        articles = int(options["articles"])
        if not 1 <= articles <= 100_000:
            raise CommandError("--articles must be between 1 and 100,000")
        result = helpcenter.run_helpcenter_bench(
            articles=articles,
            seed=not options["no_seed"],
            repeats=max(1, int(options["repeats"])),
            requests=max(0, int(options["requests"])),
            log=self.stdout.write,
        )
        self.stdout.write(helpcenter.markdown(result))

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

    def _chat(self, options: dict[str, Any]) -> None:
        opts = chat.ChatOptions(
            modes=tuple(m.strip() for m in str(options["modes"]).split(",") if m.strip()),
            customers=int(options["customers"]),
            agents=int(options["agents"]),
            idle=int(options["idle"]),
            rate=float(options["rate"]),
            reply_rate=float(options["reply_rate"]),
            reply_via=str(options["reply_via"]),
            duration=float(options["duration"]),
            warmup=float(options["warmup"]),
            hold=float(options["hold"]),
            drain=float(options["drain"]),
            redis_url=str(options["redis_url"]),
            redis_prefix=str(options["redis_prefix"]),
            deflate=not options["no_deflate"],
            max_load=float(options["max_load"]),
        )
        command = "kefu bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])

        def stop(signum: int, frame: object) -> None:  # SIGTERM ends the run like Ctrl-C
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            outcome = chat.run(opts, log=self.stdout.write, command=command)
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            self.stderr.write("Interrupted: the servers were stopped.")
            raise SystemExit(130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        section = chat.markdown(outcome)
        self.stdout.write("")
        self.stdout.write(section)
        if options["json"]:
            text = json.dumps(chat.to_json(outcome), indent=2, ensure_ascii=False)
            if options["json"] == "-":
                self.stdout.write(text)
            else:
                Path(options["json"]).write_text(text + "\n", encoding="utf-8")
                self.stdout.write(f"JSON written to {options['json']}")
        if options["write_docs"]:
            path = Path(options["write_docs"])
            chat.replace_docs_block(path, section)
            self.stdout.write(f"Results written to {path}")
