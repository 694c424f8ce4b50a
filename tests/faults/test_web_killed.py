"""Fault: one of two web processes (uvicorn, ``config.asgi:application``, sharing a private
Redis and the database) is killed with SIGKILL while chat customers are sending.

Customers connected to the killed process reconnect to the other one, resume from their last
seq and resend what was not acknowledged (same idempotency keys). Every acknowledged message
must be stored once and given exactly once to its customer's socket and to an agent watching
on the surviving process; none lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time

from tests.faults.chat_ws import AGENT_SETUP, WsAgent, WsCustomer, login, wait_all_delivered
from tests.faults.infra import kefu_env, shell, sql, start_web

EMAIL, PASSWORD, SITE = "fault.agent@kefu.test", "fault-Pass-2026-x", "fault-site"
CUSTOMERS = 4


def _env(tmp_path, kefu_db, redis_url):  # type: ignore[no-untyped-def]
    return kefu_env(
        tmp_path,
        kefu_db,
        REDIS_URL=redis_url,
        KEFU_REDIS_PREFIX=f"fault-{secrets.token_hex(4)}",
        KEFU_REALTIME_RESYNC_SECONDS="3",
    )


def test_web_process_killed_under_chat_load_loses_nothing(
    procs, kefu_db, private_redis, tmp_path, report
):
    env = _env(tmp_path, kefu_db, private_redis.url)
    shell(env, AGENT_SETUP.format(email=EMAIL, password=PASSWORD, site=SITE))
    victim, url_a = start_web(procs, env)
    _survivor, url_b = start_web(procs, env)
    cookie = login(url_b, EMAIL, PASSWORD)
    ws_a, ws_b = (u.replace("http://", "ws://") for u in (url_a, url_b))

    async def scenario() -> dict:
        customers = [
            WsCustomer([ws_a, ws_b] if i % 2 == 0 else [ws_b, ws_a], SITE, f"web{i}")
            for i in range(CUSTOMERS)
        ]
        for c in customers:
            await c.connect()
            await c.send(f"{c.name}-first", "hello")
        agent = WsAgent(ws_b, cookie, url_b)
        await agent.open([c.conversation_id for c in customers])
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(c.run(stop)) for c in customers]
        await asyncio.sleep(2)
        acked_before = sum(len(c.acked) for c in customers)
        await asyncio.to_thread(victim.kill9)
        killed_at = time.monotonic()
        await asyncio.sleep(3)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        # Everything acknowledged reaches its customer and the agent (bounded wait).
        await wait_all_delivered(customers, agent, 15)
        for c in customers:
            await c.close()
        await agent.close()
        return {
            "customers": customers,
            "agent": agent,
            "acked_before": acked_before,
            "killed_at": killed_at,
        }

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, scenario()).result(timeout=90)
    customers, agent = out["customers"], out["agent"]

    acked = {mid for c in customers for mid in c.acked.values()}
    firsts = {m for c in customers for k, m in c.acked.items() if k.endswith("-first")}
    got: dict[int, int] = {}
    for c in customers:
        for mid, n in c.delivered.items():
            got[mid] = got.get(mid, 0) + n
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    lost = sorted(mid for mid in acked if got.get(mid, 0) == 0)
    agent_expected = acked - firsts  # sent after the agent subscribed
    agent_lost = sorted(mid for mid in agent_expected if not agent.delivered[mid])
    agent_dups = sum(n - 1 for n in agent.delivered.values() if n > 1)
    stored_twice = sql(
        kefu_db,
        "SELECT external_id, COUNT(*) FROM conversations_message WHERE channel = 'chat' "
        "GROUP BY external_id HAVING COUNT(*) > 1",
    )
    stored = sql(kefu_db, "SELECT COUNT(*) FROM conversations_message WHERE channel = 'chat'")[0][0]
    errors = [e for c in customers for e in c.errors] + agent.errors
    report(
        f"web process killed -9 under load: customers={len(customers)} "
        f"sent={sum(c.sent for c in customers)} acked={len(acked)} "
        f"(before kill {out['acked_before']}) stored={stored} reconnects="
        f"{sum(c.reconnects for c in customers)} rate-limited resends="
        f"{sum(c.rate_limited for c in customers)} delivered to customers={len(got)} "
        f"duplicates={duplicates} lost={len(lost)}; agent on the survivor delivered="
        f"{len(agent_expected) - len(agent_lost)}/{len(agent_expected)} duplicates={agent_dups} "
        f"lost={len(agent_lost)}; stored twice={len(stored_twice)}"
    )
    assert sum(c.reconnects for c in customers) >= CUSTOMERS // 2  # the kill was felt
    assert not errors, errors[:10]
    assert all(not c.pending for c in customers)
    assert stored == len(acked)
    assert not stored_twice
    assert duplicates == 0
    assert not lost, lost
    assert agent_dups == 0
    assert not agent_lost, agent_lost
