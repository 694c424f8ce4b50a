"""Fixtures for the fault tests: killable processes, a migrated database per test, private
Redis and PostgreSQL servers. See docs/subsystems/faults.md."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.infra import PrivatePostgres, PrivateRedis, Processes, kefu_env, manage


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    directory = tmp_path / "logs"
    directory.mkdir()
    started = Processes(directory)
    yield started
    started.stop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test session; each test works on a copy."""
    directory = tmp_path_factory.mktemp("fault-sqlite")
    path = directory / "template.sqlite3"
    manage(kefu_env(directory, f"sqlite:///{path}"), "migrate", "-v", "0", timeout=300)
    return path


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster for the session, with a migrated template database."""
    server = PrivatePostgres()
    try:
        server.init()
        url = server.createdb("kefu_template")
        manage(kefu_env(server.dir, url, KEFU_DB_POOL="0"), "migrate", "-v", "0", timeout=300)
        yield server
    finally:
        server.destroy()


def runner_on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture
def kefu_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh migrated database for the processes of one test: a copy of the SQLite template
    in the suite's SQLite pass, a copy of the private PostgreSQL template in its PostgreSQL
    pass (never the runner's own database)."""
    if runner_on_postgres():
        server: PrivatePostgres = request.getfixturevalue("private_pg")
        return server.createdb(f"kefu_{secrets.token_hex(4)}", template="kefu_template")
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "kefu.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def private_redis(procs: Processes) -> PrivateRedis:
    return PrivateRedis(procs).start()


@pytest.fixture
def report(record_property):  # type: ignore[no-untyped-def]
    """Print a one-line summary (visible with -s) and attach it to the JUnit report."""

    def emit(line: str) -> None:
        print(f"\n[fault] {line}")
        record_property("fault_summary", line)

    return emit
