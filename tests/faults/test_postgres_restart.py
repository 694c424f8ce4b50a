"""Fault: PostgreSQL stops (immediate shutdown: every connection aborted, as in a crash) and
comes back while chat customers keep sending over HTTP and an agent's browser loads pages.

While it is down every request must fail cleanly — 503 with Retry-After, the chat error frame
``unavailable`` — never a 500 or a hung request; once it is back the web process recovers by
itself (no restart). The customers then resend what was refused, with the same keys: every
message is stored exactly once, and no conversation holds a partial write (its ``last_seq``
equals its number of messages, and sequence numbers have no gaps).
Runs on the test's own PostgreSQL (never the machine's shared server), in both CI passes.
"""

from __future__ import annotations

import secrets
import threading
import time

import httpx

from tests.faults.chat_http import HttpChatClient
from tests.faults.infra import kefu_env, shell, sql, start_web, wait_for

CLIENTS = 3
SETUP = """
from kefu.accounts.models import Team
from kefu.inbox.models import ChatSite
ChatSite.objects.create(name="PG", key="pg-site", team=Team.objects.create(name="Chat"))
"""


def _browse(base: str, stop: threading.Event, seen: dict[int, int], bad: list[str]) -> None:
    with httpx.Client(
        base_url=base,
        timeout=15,
        headers={"Accept": "text/html"},
        follow_redirects=True,
        cookies={"sessionid": "s" * 32},  # a browser with a session: the page reads the DB
    ) as client:
        while not stop.is_set():
            try:
                response = client.get("/agent/")
            except httpx.HTTPError as exc:
                bad.append(f"page: {type(exc).__name__}")
                continue
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            if response.status_code == 503 and not response.headers.get("Retry-After"):
                bad.append("page: 503 without Retry-After")
            elif response.status_code not in (200, 503):
                bad.append(f"page: {response.status_code}")
            time.sleep(0.1)


def test_postgres_restart_fails_cleanly_and_recovers(procs, private_pg, tmp_path, report):
    url = private_pg.createdb(f"kefu_{secrets.token_hex(4)}", template="kefu_template")
    env = kefu_env(tmp_path, url, KEFU_DB_POOL_TIMEOUT="2", KEFU_DB_POOL_MIN_SIZE="1")
    shell(env, SETUP)
    _web, base = start_web(procs, env)

    clients = [HttpChatClient(base, "pg-site", f"pg{i}") for i in range(CLIENTS)]
    for client in clients:
        client.hello()
        assert client.send(f"{client.name}-first", "hello") == "acked"
    stop = threading.Event()
    pages: dict[int, int] = {}
    page_bad: list[str] = []
    threads = [threading.Thread(target=c.run, args=(stop,)) for c in clients]
    threads.append(threading.Thread(target=_browse, args=(base, stop, pages, page_bad)))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        acked_before = sum(len(c.acked) for c in clients)
        private_pg.stop("immediate")
        down_at = time.monotonic()
        time.sleep(4)
        refused_while_down = sum(c.outcomes["unavailable"] for c in clients)
        private_pg.start()
        up_at = time.monotonic()
        marks = [len(c.acked) for c in clients]
        # Recovered by itself: every client gets messages acknowledged again.
        wait_for(
            lambda: all(len(c.acked) > m for c, m in zip(clients, marks, strict=True)),
            timeout=20,
            what="the web process to recover",
        )
        recovered_in = time.monotonic() - up_at
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    for client in clients:
        client.resend_pending()

    keys = {key: mid for c in clients for key, mid in c.acked.items()}
    rows = sql(
        url,
        "SELECT external_id, COUNT(*) FROM conversations_message WHERE channel = 'chat' "
        "GROUP BY external_id",
    )
    stored = {external_id.split(":", 1)[1]: n for external_id, n in rows}
    lost = [k for k in keys if stored.get(k, 0) == 0]
    duplicates = sum(n - 1 for n in stored.values() if n > 1)
    unexpected = [k for k in stored if k not in keys]  # stored but never acknowledged
    partial = sql(
        url,
        "SELECT c.id, c.last_seq, COUNT(m.id), MAX(m.seq) FROM conversations_conversation c "
        "LEFT JOIN conversations_message m ON m.conversation_id = c.id "
        "GROUP BY c.id, c.last_seq HAVING c.last_seq <> COUNT(m.id) "
        "OR c.last_seq <> COALESCE(MAX(m.seq), 0)",
    )
    sent = sum(c.sent + 1 for c in clients)
    refused = sum(c.outcomes["unavailable"] for c in clients)
    bad = [b for c in clients for b in c.bad] + page_bad
    report(
        f"postgres restart (down {up_at - down_at:.1f} s): chat messages sent={sent} "
        f"acked={len(keys)} (before outage {acked_before}) refused 503={refused} "
        f"(while down {refused_while_down}) resent={sum(c.resent for c in clients)} "
        f"delivered(stored)={len(stored)} duplicates={duplicates} lost={len(lost)} "
        f"unacknowledged stored={len(unexpected)} partial conversations={len(partial)}; "
        f"pages {pages}; bad answers={len(bad)}; recovered {recovered_in:.1f} s after restart"
    )
    assert not bad, bad[:10]
    assert refused_while_down > 0  # the outage was seen, and answered 503
    assert pages.get(503, 0) > 0
    assert all(not c.pending for c in clients), [c.pending for c in clients]
    assert not lost
    assert duplicates == 0
    assert not unexpected
    assert not partial, partial
