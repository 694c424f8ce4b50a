"""``kefu up --production``: the multi-process setup on one machine, for testing it.

Two web processes (uvicorn), two workers and a small load balancer (``kefu.ops.proxy``) on
127.0.0.1, against the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (``--allow-sqlite``:
the SQLite file instead, to measure the layout on the embedded database). The children
get what production needs: hashed static files, one metrics folder for all of them, JSON logs.
Production proper runs the same commands under systemd or containers
(docs/subsystems/production.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from io import TextIOBase
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError


@dataclass
class Plan:
    host: str
    port: int
    web: int
    workers: int
    demo: bool
    allow_sqlite: bool = False  # measuring the process layout on the embedded database
    env: dict[str, str] = field(default_factory=dict)

    def web_ports(self) -> list[int]:
        return [self.port + 1 + i for i in range(self.web)]


def preflight(*, allow_sqlite: bool = False, out: TextIOBase | None = None) -> None:
    """Refuse clearly unless PostgreSQL (or, when allowed, SQLite) and Redis are configured and
    answer. SQLite is allowed only to measure the process layout on the embedded database: all
    processes share one file and write one at a time (WAL, IMMEDIATE transactions)."""
    database = settings.DATABASES["default"]
    sqlite = database["ENGINE"] == "django.db.backends.sqlite3"
    if sqlite and allow_sqlite:
        if out is not None:
            out.write(
                "SQLite: every process writes to one file, one writer at a time. "
                "Use this to measure, not for production.\n"
            )
    elif database["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError(
            "kefu up --production needs PostgreSQL: set "
            "DATABASE_URL=postgres://user@127.0.0.1:5432/kefu (SQLite is for one process; "
            "--allow-sqlite runs it anyway, to measure)."
        )
    if not settings.REDIS_URL:
        raise CommandError(
            "kefu up --production needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 "
            "(it carries real-time events between the web processes)."
        )
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        if sqlite:
            raise CommandError(f"The SQLite database cannot be opened: {exc}") from exc
        where = f"{database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432}"
        raise CommandError(
            f"PostgreSQL at {where} (database {database.get('NAME')!r}) is not reachable: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}. "
            "Start it, or point DATABASE_URL at a running server."
        ) from exc
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise CommandError(
            f"Redis at {settings.REDIS_URL.split('@')[-1]} is not reachable "
            f"({type(exc).__name__}). Start it, or point REDIS_URL at a running server."
        ) from exc


def child_env(plan: Plan) -> dict[str, str]:
    metrics = Path(settings.DATA_DIR) / "metrics"
    shutil.rmtree(metrics, ignore_errors=True)  # samples of an earlier run would be added up
    metrics.mkdir(parents=True)
    env = {
        **os.environ,
        "KEFU_STATIC_HASHED": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "KEFU_WEB_PROCESSES": str(plan.web),
        "KEFU_DATA_DIR": str(settings.DATA_DIR),
    }
    env.setdefault("KEFU_LOG_FORMAT", "json")
    if not os.environ.get("KEFU_SECRET_KEY") and not os.environ.get("KEFU_SECRET_KEY_FILE"):
        # Every process reads the same generated key from the data folder; say it in the env
        # so the children never race to create it.
        env["KEFU_SECRET_KEY"] = settings.SECRET_KEY
    return env


def prepare(plan: Plan, out: TextIOBase) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    if plan.demo:
        from kefu.demo.seed import demo_is_loaded

        if not demo_is_loaded():
            out.write("Loading demo data (first run)...\n")
            call_command("demo", verbosity=0)
    # Collected under the children's settings (hashed, compressed names).
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "collectstatic", "--noinput", "-v", "0"],
        env=plan.env,
        check=True,
        timeout=600,
    )


def commands(plan: Plan) -> list[tuple[str, list[str]]]:
    kefu = [sys.executable, "-m", "kefu.cli"]
    children: list[tuple[str, list[str]]] = [
        (f"web-{i + 1}", [*kefu, "serve", "--host", "127.0.0.1", "--port", str(port)])
        for i, port in enumerate(plan.web_ports())
    ]
    for i in range(plan.workers):
        # One scheduler enqueues the periodic jobs; every worker runs jobs.
        extra = [] if i == 0 else ["--no-schedule"]
        children.append((f"worker-{i + 1}", [*kefu, "worker", *extra]))
    proxy = [sys.executable, "-m", "kefu.ops.proxy", "--listen", f"{plan.host}:{plan.port}"]
    for port in plan.web_ports():
        proxy += ["--backend", f"127.0.0.1:{port}"]
    children.append(("proxy", proxy))
    return children


def run(plan: Plan, out: TextIOBase, err: TextIOBase) -> int:
    """Start everything, wait for Ctrl-C / SIGTERM or a child's exit, stop everything."""
    preflight(allow_sqlite=plan.allow_sqlite, out=out)
    plan.env = child_env(plan)
    prepare(plan, out)
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        for name, argv in commands(plan):
            started.append((name, subprocess.Popen(argv, env=plan.env)))
        base = f"http://{plan.host}:{plan.port}"
        out.write(
            "\n".join(
                [
                    "",
                    "Kefu is running in production mode (for testing on this machine).",
                    f"  Load balancer:  {base}/  -> web processes on ports "
                    + ", ".join(str(p) for p in plan.web_ports()),
                    f"  Workers:        {plan.workers}",
                    f"  Metrics:        http://127.0.0.1:{plan.web_ports()[0]}/metrics "
                    "(every process of this machine)",
                    f"  Processes:      {', '.join(f'{n}={p.pid}' for n, p in started)}",
                    "Press Ctrl-C to stop.",
                    "",
                ]
            )
        )
        out.flush()
        while not stopping:
            for name, child in started:
                code = child.poll()
                if code is not None:
                    err.write(f"{name} (pid {child.pid}) exited with code {code}; stopping.\n")
                    stopping, exit_code = True, code or 1
            time.sleep(0.5)
    finally:
        _stop_all(started, plan.env.get("PROMETHEUS_MULTIPROC_DIR", ""))
    return exit_code


def _stop_all(started: list[tuple[str, subprocess.Popen[bytes]]], metrics_dir: str) -> None:
    for _, child in started:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for _, child in started:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)
    if metrics_dir:
        from prometheus_client import multiprocess

        for _, child in started:
            multiprocess.mark_process_dead(child.pid, metrics_dir)  # type: ignore[no-untyped-call]
