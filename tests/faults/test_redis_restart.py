"""Fault: Redis (the channel layer between two web processes) is killed with SIGKILL and
started again empty (no persistence: every group membership is gone) while customers on one
process chat with an agent watching on the other.

Messages are stored in the database whatever happens to Redis, so sending goes on; what was
sent while Redis was down reaches the agent from the database (resume / resync), and once
Redis is back live delivery resumes by itself: a message sent after the restart reaches the
agent within a few seconds without anyone reloading. Nothing lost or duplicated.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time

from tests.faults.chat_ws import AGENT_SETUP, WsAgent, WsCustomer, login, wait_all_delivered
from tests.faults.infra import PrivateRedis, kefu_env, shell, sql, start_web

EMAIL, PASSWORD, SITE = "redis.agent@kefu.test", "redis-Pass-2026-x", "redis-site"
CUSTOMERS = 3
RESYNC = 3


def test_redis_restart_under_chat_load_resumes_and_loses_nothing(
    procs, kefu_db, private_redis: PrivateRedis, tmp_path, report
):
    env = kefu_env(
        tmp_path,
        kefu_db,
        REDIS_URL=private_redis.url,
        KEFU_REDIS_PREFIX=f"fault-{secrets.token_hex(4)}",
        KEFU_REALTIME_RESYNC_SECONDS=str(RESYNC),
    )
    shell(env, AGENT_SETUP.format(email=EMAIL, password=PASSWORD, site=SITE))
    _one, url_a = start_web(procs, env)
    _two, url_b = start_web(procs, env)
    cookie = login(url_b, EMAIL, PASSWORD)
    ws_a, ws_b = (u.replace("http://", "ws://") for u in (url_a, url_b))

    async def scenario() -> dict:
        customers = [WsCustomer([ws_a], SITE, f"rd{i}") for i in range(CUSTOMERS)]
        for c in customers:
            await c.connect()
            await c.send(f"{c.name}-first", "hello")
        agent = WsAgent(ws_b, cookie, url_b)
        await agent.open([c.conversation_id for c in customers])
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(c.run(stop, pause=0.1)) for c in customers]
        await asyncio.sleep(1.5)
        await asyncio.to_thread(private_redis.kill9)
        down_at = time.monotonic()
        await asyncio.sleep(3)
        sent_while_down = {mid for c in customers for mid in c.acked.values()}
        await asyncio.to_thread(private_redis.start)
        up_at = time.monotonic()
        await asyncio.sleep(2)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)

        # Live delivery resumed by itself: a fresh message reaches the agent quickly.
        probe = customers[0]
        marker = time.monotonic()
        await probe.send(f"{probe.name}-probe", "after the restart")
        probe_id = probe.acked[f"{probe.name}-probe"]
        while not agent.delivered[probe_id] and time.monotonic() - marker < 3 * RESYNC:
            await asyncio.sleep(0.05)
        probe_latency = time.monotonic() - marker if agent.delivered[probe_id] else None

        await wait_all_delivered(customers, agent, 4 * RESYNC)
        firsts = {m for c in customers for k, m in c.acked.items() if k.endswith("-first")}
        for c in customers:
            await c.close()
        await agent.close()
        return {
            "customers": customers,
            "agent": agent,
            "firsts": firsts,
            "down": up_at - down_at,
            "probe_latency": probe_latency,
            "acked_by_restart": len(sent_while_down),
        }

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, scenario()).result(timeout=120)
    customers, agent = out["customers"], out["agent"]

    acked = {mid for c in customers for mid in c.acked.values()}
    got: dict[int, int] = {}
    for c in customers:
        for mid, n in c.delivered.items():
            got[mid] = got.get(mid, 0) + n
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    lost = sorted(mid for mid in acked if got.get(mid, 0) == 0)
    agent_expected = acked - out["firsts"]
    agent_lost = sorted(mid for mid in agent_expected if not agent.delivered[mid])
    agent_dups = sum(n - 1 for n in agent.delivered.values() if n > 1)
    stored = sql(kefu_db, "SELECT COUNT(*) FROM conversations_message WHERE channel = 'chat'")[0][0]
    errors = [e for c in customers for e in c.errors] + agent.errors
    latency = out["probe_latency"]
    report(
        f"redis restart (down {out['down']:.1f} s, restarted empty): customers={len(customers)} "
        f"sent={sum(c.sent for c in customers)} acked={len(acked)} stored={stored} "
        f"reconnects={sum(c.reconnects for c in customers)} delivered to customers={len(got)} "
        f"duplicates={duplicates} lost={len(lost)}; agent delivered="
        f"{len(agent_expected) - len(agent_lost)}/{len(agent_expected)} duplicates={agent_dups} "
        f"lost={len(agent_lost)}; live again after restart: "
        f"{f'{latency:.2f} s' if latency is not None else 'NO'}"
    )
    assert not errors, errors[:10]
    assert all(not c.pending for c in customers)
    assert stored == len(acked)
    assert duplicates == 0
    assert not lost, lost
    assert agent_dups == 0
    assert not agent_lost, agent_lost
    assert latency is not None, "live delivery did not resume after the Redis restart"
