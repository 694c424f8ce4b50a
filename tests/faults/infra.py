"""Private servers and killable processes for the fault tests.

Everything here runs on 127.0.0.1 on free ports and belongs to the test that started it: the
machine's shared PostgreSQL and Redis are never touched. Each process gets a session (process
group) of its own, so ``kill9`` takes down a server and anything it forked, and ``Processes``
stops whatever is still running when a test ends, passed or failed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from kefu.testing.live import ROOT

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _own_group_dying_with_parent() -> None:
    """In the child: a process group of its own (``kill9`` takes all of it), and SIGKILL when
    the thread that started it ends, so a test runner killed mid-test leaves no server behind."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Proc:
    """One child process in a process group of its own."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path = ROOT):
        self.argv = list(argv)
        self.log = log
        self.handle = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            env=env,
            cwd=cwd,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_dying_with_parent,
        )

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole group: no cleanup handler runs, as when a machine dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # stray children of a stopped leader
        self.handle.close()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Processes:
    """Every process a test started; ``stop_all`` runs in the fixture's finalizer."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Proc] = []

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Proc:
        proc = Proc(argv, env=env, log=self.directory / f"{name}-{len(self.started)}.log")
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            with contextlib.suppress(Exception):
                proc.stop(timeout=5)


# --- Kefu processes ------------------------------------------------------------------------


def kefu_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "KEFU_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "KEFU_SECRET_KEY": "fault-tests-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "KEFU_HELP_SEARCH_WARM": "0",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def shell(env: dict[str, str], code: str, timeout: float = 60) -> str:
    return manage(env, "shell", "-v", "0", "-c", code, timeout=timeout)


def start_web(procs: Processes, env: dict[str, str], port: int | None = None) -> tuple[Proc, str]:
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    proc = procs.start(
        "web",
        [
            PYTHON,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        env,
    )

    def healthy() -> bool:
        if not proc.alive:
            raise AssertionError(f"web process exited:\n{proc.tail()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=30, what="the web process")
    return proc, url


def start_worker(procs: Processes, env: dict[str, str]) -> Proc:
    return procs.start(
        "worker",
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "worker",
            "--interval",
            "0.2",
            "--schedule-interval",
            "0.5",
        ],
        env,
    )


# --- private Redis -------------------------------------------------------------------------


class PrivateRedis:
    """``redis-server`` on a free port, no persistence: a restart loses every key, as a
    crashed Redis without a disk would."""

    def __init__(self, procs: Processes) -> None:
        self.procs = procs
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: Proc | None = None

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is required for the fault tests")
        self.proc = self.procs.start(
            "redis",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        wait_for(lambda: self._ping(client), timeout=10, what="redis-server")
        return self

    @staticmethod
    def _ping(client) -> bool:  # type: ignore[no-untyped-def]
        import redis

        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill9()


# --- private PostgreSQL --------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise AssertionError("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are needed")
    return found[-1].parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb in a temp dir, a free port, trust auth on
    127.0.0.1). When the tests run as root, the server runs as the ``postgres`` system user
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-fault-pg-"))
        self.data = self.dir / "data"
        self.runas: list[str] = []
        if os.geteuid() == 0:
            self.runas = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, user="postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self.runas, *argv],
            check=True,
            timeout=timeout,
            capture_output=True,
            cwd=self.dir,
        )

    def init(self) -> PrivatePostgres:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        return self.start()

    def start(self) -> PrivatePostgres:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        return self

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; "immediate" aborts every connection as a crash would."""
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def createdb(self, name: str, template: str | None = None) -> str:
        argv = [
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
        ]
        if template:
            argv += ["-T", template]
        self._run(*argv, name)
        return self.url(name)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def sql(database_url: str, query: str, params: Sequence[object] = ()) -> list[tuple]:  # type: ignore[type-arg]
    """Run one statement on a test's database from the test process (autocommit)."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(
            sqlite3.connect(database_url[len("sqlite:///") :], timeout=10)
        ) as db:
            cursor = db.execute(query.replace("%s", "?"), params)
            rows = cursor.fetchall()
            db.commit()
            return rows
    import psycopg

    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
        cursor = db.execute(query, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []
