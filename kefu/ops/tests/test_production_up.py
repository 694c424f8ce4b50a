"""``kefu up --production``: two web processes, two workers and the load balancer on PostgreSQL
and Redis, and (``--allow-sqlite``) on one SQLite file. One run on each proves the setup end to
end: the balancer reaches both web processes, they share real-time state through Redis (a
visitor on one talks to an agent on the other), /metrics on either adds up every process (web
and workers), logs are JSON with the request id, and SIGTERM stops everything. Without
PostgreSQL (or the flag) or Redis it refuses with a clear message."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
import websockets
from prometheus_client.parser import text_string_to_metric_families

from kefu.testing.live import ROOT, free_port

PG_URL = os.environ.get("KEFU_CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/kefu")
PG_SERVER = PG_URL.rsplit("/", 1)[0]
REDIS_URL = "redis://127.0.0.1:6379/9"
UP = [sys.executable, "-m", "kefu.cli", "up", "--production", "--no-demo"]
AGENT_EMAIL = "prod.agent@kefu.test"
AGENT_PASSWORD = "prod-up-Pass-2026"
SETUP = f"""
from kefu.accounts.models import Role, Team, User, UserKind
from kefu.inbox.models import ChatSite
team = Team.objects.create(name="Chat")
agent = User.objects.create_user(
    "{AGENT_EMAIL}", "{AGENT_PASSWORD}", kind=UserKind.STAFF, role=Role.AGENT_L1,
    display_name="Mei")
agent.teams.add(team)
ChatSite.objects.create(name="Prod", key="prod-site", team=team)
"""


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KEFU_", "PROMETHEUS_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "KEFU_DATA_DIR": str(tmp_path),
            "KEFU_SECRET_KEY": secrets.token_urlsafe(40),
            "KEFU_HELP_SEARCH_WARM": "0",
        }
    )
    return env


@pytest.fixture(params=["postgresql", "sqlite"])
def services(request, tmp_path: Path):
    """The environment of one run: Redis, and PostgreSQL or (``--allow-sqlite``) a SQLite file."""
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5).close()
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except (psycopg.Error, redis.RedisError) as exc:
        pytest.fail(f"PostgreSQL and Redis on 127.0.0.1 are required: {exc}")
    if request.param == "sqlite":
        env = _base_env(tmp_path)
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'kefu.sqlite3'}",
                "REDIS_URL": REDIS_URL,
                "KEFU_REDIS_PREFIX": f"kefu-prod-{secrets.token_hex(4)}",
                "KEFU_REALTIME_RESYNC_SECONDS": "0",
                "KEFU_TEST_UP_EXTRA": "--allow-sqlite",
            }
        )
        yield env
        return
    name = f"kefu_prod_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    env = _base_env(tmp_path)
    env.update(
        {
            "DATABASE_URL": f"{PG_SERVER}/{name}",
            "REDIS_URL": REDIS_URL,
            "KEFU_REDIS_PREFIX": f"kefu-prod-{secrets.token_hex(4)}",
            "KEFU_REALTIME_RESYNC_SECONDS": "0",  # live delivery only, no database catch-up
        }
    )
    try:
        yield env
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _kefu(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "kefu up --production exited early"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("kefu up --production did not become ready")


def _samples(url: str) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    out: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _login(base: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        response = client.post(
            "/login",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": AGENT_EMAIL,
                "password": AGENT_PASSWORD,
            },
            headers={"Referer": f"{base}/login"},
        )
        assert response.status_code in (302, 303), response.text[:300]
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def _recv(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if frame["type"] == kind:
            return frame


async def _chat_across_processes(web_1: str, web_2: str, cookie: str, url_1: str) -> dict:
    """A visitor on web-1 writes; an agent on web-2 hears it. Returns a metrics scrape taken
    while both sockets are open."""
    async with websockets.connect(f"{web_1}/ws/chat/v1") as visitor:
        await visitor.send(json.dumps({"type": "hello", "site": "prod-site"}))
        await _recv(visitor, "welcome")
        first = {"type": "message.send", "id": "prod-msg-0001", "body": "hi"}
        await visitor.send(json.dumps(first))
        cid = (await _recv(visitor, "message.ack"))["conversation"]["id"]
        async with websockets.connect(
            f"{web_2}/ws/agent/v1",
            additional_headers={"Cookie": cookie, "Origin": web_2.replace("ws://", "http://")},
        ) as agent:
            await _recv(agent, "hello")
            await agent.send(json.dumps({"type": "subscribe", "conversation_id": cid}))
            await _recv(agent, "subscribed")
            await visitor.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "id": "prod-msg-0002",
                        "body": "across processes",
                        "conversation_id": cid,
                    }
                )
            )
            got = await _recv(agent, "message.created")
            assert got["message"]["body"] == "across processes"
            return await asyncio.to_thread(_samples, url_1)


def test_two_web_processes_two_workers_behind_the_balancer(services, tmp_path):
    env = services
    migrated = _kefu(env, "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    setup = _kefu(env, "shell", "-c", SETUP)
    assert setup.returncode == 0, setup.stderr[-2000:]
    port = free_port()
    while any(_in_use(p) for p in (port + 1, port + 2)):
        port = free_port()
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as log_file:
        extra = env.pop("KEFU_TEST_UP_EXTRA", "").split()
        proc = subprocess.Popen(
            [*UP, *extra, "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            balancer = f"http://127.0.0.1:{port}"
            web = [f"http://127.0.0.1:{port + 1}", f"http://127.0.0.1:{port + 2}"]
            _wait_ready(balancer, proc)
            for url in web:
                _wait_ready(url, proc, 30)

            # The balancer spreads connections over both web processes, echoing request ids.
            via = httpx.get(f"{balancer}/healthz", headers={"X-Request-ID": "prod-test-req-01"})
            assert via.status_code == 200
            assert via.headers["X-Request-ID"] == "prod-test-req-01"
            for _ in range(3):
                assert httpx.get(f"{web[0]}/healthz").status_code == 200
            for _ in range(5):
                assert httpx.get(f"{web[1]}/healthz").status_code == 200

            # Shared state through Redis: the visitor on web-1, the agent on web-2.
            cookie = _login(web[1])
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                open_sockets = pool.submit(
                    asyncio.run,
                    _chat_across_processes(
                        web[0].replace("http://", "ws://"),
                        web[1].replace("http://", "ws://"),
                        cookie,
                        web[0],
                    ),
                ).result(timeout=120)

            def value(samples, name, **labels):
                return samples.get((name, frozenset(labels.items())), 0.0)

            assert value(open_sockets, "kefu_websocket_connections", consumer="ChatConsumer") == 1
            assert value(open_sockets, "kefu_websocket_connections", consumer="AgentConsumer") == 1

            # One scrape of either web process adds up both of them and the workers.
            deadline = time.monotonic() + 30
            while True:
                samples = _samples(web[1])
                jobs = sum(
                    v
                    for (name, labels), v in samples.items()
                    if name == "kefu_jobs_total" and ("outcome", "SUCCESSFUL") in labels
                )
                if jobs > 0 or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert jobs > 0, "the workers' job outcomes are not in the web process's scrape"
            healthz = value(
                samples, "kefu_http_requests_total", route="healthz", method="GET", status="200"
            )
            assert healthz == 9  # 1 through the balancer + 3 on web-1 + 5 on web-2
            # The database queue is read at scrape time.
            assert ("kefu_jobs_running", frozenset()) in samples
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
    assert code == 0
    for p in (port, port + 1, port + 2):
        assert not _in_use(p), f"port {p} still served after stopping"

    # JSON logs, one object a line, carrying the caller's request id.
    lines = [
        json.loads(line)
        for line in log_path.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    access = [r for r in lines if r.get("request_id") == "prod-test-req-01"]
    assert [(r["logger"], r["path"], r["status"]) for r in access] == [
        ("kefu.request", "/healthz", 200)
    ]
    assert any(r.get("job_id") for r in lines), "no job's log line carried its job id"


def _in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_production_mode_refuses_sqlite_with_a_clear_message(tmp_path):
    env = _base_env(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'kefu.sqlite3'}"
    env["REDIS_URL"] = REDIS_URL
    result = _kefu(env, "up", "--production", "--no-demo")
    assert result.returncode != 0
    assert "kefu up --production needs PostgreSQL" in result.stderr
    assert "--allow-sqlite" in result.stderr  # says how to measure it anyway


def test_production_mode_refuses_without_redis(tmp_path):
    env = _base_env(tmp_path)
    env["DATABASE_URL"] = PG_URL
    result = _kefu(env, "up", "--production", "--no-demo")
    assert result.returncode != 0
    assert "kefu up --production needs Redis" in result.stderr


def test_production_mode_names_an_unreachable_database(tmp_path):
    env = _base_env(tmp_path)
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/kefu"
    env["REDIS_URL"] = REDIS_URL
    env["KEFU_DB_POOL"] = "0"
    result = _kefu(env, "up", "--production", "--no-demo")
    assert result.returncode != 0
    assert "is not reachable" in result.stderr
    assert "Traceback" not in result.stderr
