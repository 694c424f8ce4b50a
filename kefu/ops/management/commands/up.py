"""``kefu up``: everything for a local demo in one command (``--production``: the multi-process
setup on PostgreSQL and Redis, see ``kefu.ops.production``).

Creates the data folder, migrates, loads demo data on first run, then runs the web server and the
background worker as child processes of this one, and stops both on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, load demo data on first run, and start the web server and worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument(
            "--production",
            action="store_true",
            help="Several web processes and workers behind a local load balancer, on "
            "PostgreSQL and Redis (DATABASE_URL, REDIS_URL): for testing that setup.",
        )
        parser.add_argument(
            "--allow-sqlite",
            action="store_true",
            help="With --production: run on the SQLite database (one writer at a time across "
            "all processes), to measure that layout; never for production.",
        )
        parser.add_argument(
            "--web", type=int, default=2, help="Web processes with --production (default 2)."
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="Workers with --production (default 2)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Data folder: {settings.DATA_DIR}")
        if options["production"]:
            from kefu.ops import production

            plan = production.Plan(
                host=options["host"],
                port=options["port"],
                web=max(1, options["web"]),
                workers=max(1, options["workers"]),
                demo=not options["no_demo"],
                allow_sqlite=options["allow_sqlite"],
            )
            status = production.run(plan, self.stdout, self.stderr)
            if status:
                sys.exit(status)
            return
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"]:
            from kefu.demo.seed import demo_is_loaded

            if not demo_is_loaded():
                self.stdout.write("Loading demo data (first run)...")
                call_command("demo", verbosity=0)
        base = f"http://{options['host']}:{options['port']}"
        kefu = [sys.executable, "-m", "kefu.cli"]
        children = [
            subprocess.Popen(
                [
                    *kefu,
                    "serve",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                ]
            ),
            subprocess.Popen([*kefu, "worker"]),
        ]
        self._print_welcome(base, options["no_demo"])
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for child in children:
                code = child.poll()
                if code is not None:
                    self.stderr.write(f"A Kefu process exited with code {code}; stopping.")
                    stopping, exit_code = True, code or 1
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if exit_code:
            sys.exit(exit_code)

    def _print_welcome(self, base: str, no_demo: bool) -> None:
        lines = [
            "",
            "Kefu is running.",
            f"  Customer portal:  {base}/",
            f"  Agent workspace:  {base}/agent/",
            f"  Live chat demo:   {base}/chat/demo/  (a pretend exchange page with the widget)",
            f"  REST API docs:    {base}/api/v1/docs",
            f"  Health:           {base}/healthz  {base}/readyz",
        ]
        if not no_demo:
            from kefu.demo.seed import DEMO_LOGINS, DEMO_PASSWORD

            lines.append(f"  Demo logins (password {DEMO_PASSWORD}):")
            lines.extend(f"    {role:<12} {email}" for role, email in DEMO_LOGINS)
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write("\n".join(lines))
        sys.stdout.flush()
        os.environ.setdefault("KEFU_UP", "1")
