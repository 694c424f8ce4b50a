"""Two real server processes sharing Redis: a visitor on one talks with an agent on the other.

The processes use their own SQLite file (migrated here) and a Redis key prefix of their own, so
the test needs nothing from the test runner's database.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis
import websockets

from kefu.testing.live import ROOT, AsgiServerProcess

REDIS_URL = "redis://127.0.0.1:6379/0"
AGENT_EMAIL = "two.process.agent@kefu.test"
AGENT_PASSWORD = "two-process-Pass-2026"

SETUP = f"""
from kefu.accounts.models import Role, Team, User, UserKind
from kefu.inbox.models import ChatSite
team = Team.objects.create(name="Chat")
agent = User.objects.create_user(
    "{AGENT_EMAIL}", "{AGENT_PASSWORD}", kind=UserKind.STAFF, role=Role.AGENT_L1,
    display_name="Lin")
agent.teams.add(team)
ChatSite.objects.create(name="Two", key="two-site", team=team)
"""


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    if not _redis_available():
        pytest.fail("Redis is required on 127.0.0.1:6379 for the multi-process test")
    values = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KEFU_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kefu.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "KEFU_REDIS_PREFIX": f"kefu-test-{secrets.token_hex(4)}",
        "KEFU_SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "KEFU_REALTIME_RESYNC_SECONDS": "0",  # prove live delivery, not the safety net
    }
    run = {**__import__("os").environ, **values}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=run, cwd=ROOT, check=True, timeout=120)
    subprocess.run([*manage, "shell", "-c", SETUP], env=run, cwd=ROOT, check=True, timeout=60)
    return values


def _login(base: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        response = client.post(
            "/login",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": AGENT_EMAIL,
                "password": AGENT_PASSWORD,
            },
            headers={"Referer": f"{base}/login"},
        )
        assert response.status_code in (302, 303), response.text[:500]
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _reply(base: str, cookie: str, conversation_id: int, body: str) -> None:
    with httpx.Client(base_url=base, timeout=10, headers={"Cookie": cookie}) as client:
        page = client.get(f"/agent/c/{conversation_id}/")
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        response = client.post(
            f"/agent/c/{conversation_id}/reply",
            data={"csrfmiddlewaretoken": token.group(1), "body": body, "set_status": ""},
            headers={"Referer": f"{base}/agent/c/{conversation_id}/"},
        )
        assert response.status_code in (200, 302, 303), response.text[:300]


async def _recv(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == kind:
            return frame


def test_visitor_and_agent_on_different_processes_talk_both_ways(env):
    one = AsgiServerProcess(env).start()
    two = AsgiServerProcess(env).start()
    try:
        cookie = _login(two.url)

        async def scenario() -> None:
            ws_one = one.url.replace("http://", "ws://")
            ws_two = two.url.replace("http://", "ws://")
            async with websockets.connect(f"{ws_one}/ws/chat/v1") as visitor:
                await visitor.send(json.dumps({"type": "hello", "site": "two-site"}))
                assert (await _recv(visitor, "welcome"))["conversation"] is None
                await visitor.send(
                    json.dumps({"type": "message.send", "id": "two-proc-01", "body": "hi"})
                )
                cid = (await _recv(visitor, "message.ack"))["conversation"]["id"]
                async with websockets.connect(
                    f"{ws_two}/ws/agent/v1",
                    additional_headers={"Cookie": cookie, "Origin": two.url},
                ) as agent:
                    await _recv(agent, "hello")
                    await agent.send(json.dumps({"type": "subscribe", "conversation_id": cid}))
                    await _recv(agent, "subscribed")
                    # Stay quiet longer than Redis clients' default read timeout (5 s): an idle
                    # process must still hear the next message.
                    await asyncio.sleep(7)
                    # visitor (process one) -> agent (process two)
                    await visitor.send(
                        json.dumps(
                            {
                                "type": "message.send",
                                "id": "two-proc-02",
                                "body": "still there?",
                                "conversation_id": cid,
                            }
                        )
                    )
                    got = await _recv(agent, "message.created")
                    assert got["message"]["body"] == "still there?"
                    # agent (process two, over HTTP) -> visitor (process one)
                    await asyncio.to_thread(_reply, two.url, cookie, cid, "Yes, checking now")
                    while True:
                        frame = await _recv(visitor, "message.created")
                        if frame["message"]["author"] == "agent":
                            break
                    assert frame["message"]["body"] == "Yes, checking now"
                    assert frame["message"]["name"] == "Lin"

        # A thread of its own: Playwright's sync API may have left a running loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, scenario()).result(timeout=120)
    finally:
        one.stop()
        two.stop()
