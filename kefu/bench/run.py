"""``kefu bench run``: the measurements, in order, against the current database.

1. In-process: SQL queries of one inbox page at 10 vs 100 rows (CaptureQueriesContext), and
   the selector's own latency for the first page and for searches (no HTTP in the way).
2. Over HTTP against a server this starts (or ``--url``): agent inbox and API list first page,
   searches in English and Chinese, then API conversation create at each concurrency.
3. The server's peak memory (VmHWM) after all of that.
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import ApiKey, User
from kefu.accounts.services import actor_for_user, apikey_create, apikey_revoke
from kefu.bench import http
from kefu.bench.report import Row, ms
from kefu.bench.seed import ADMIN_EMAIL, SUPERVISOR_EMAIL, ensure_people
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message
from kefu.conversations.selectors import (
    InboxFilters,
    conversation_list_for_agent,
    conversation_list_for_api,
)
from kefu.demo import scenarios

TARGET_INBOX_P95_MS = 50.0
TARGET_SEARCH_P95_MS = 200.0
TARGET_CREATE_RPS = 200.0
# Environment variables that change how the server performs, recorded with the results.
SERVER_ENV = ("KEFU_DB_CONN_MAX_AGE", "REDIS_URL", "KEFU_TASK_BACKEND")
SEARCH_TERMS = ("withdrawal", "提现")  # a frequent English word and a frequent Chinese bigram


def search_terms() -> list[tuple[str, str]]:
    """(label, query): the frequent words, and a transaction id that matches one conversation
    (the rare-term case, which needs a different plan than the frequent one)."""
    terms = [(f'"{t}"', t) for t in SEARCH_TERMS]
    tx_ids = Conversation.objects.exclude(tx_id="").order_by("pk").values_list("tx_id", flat=True)
    count = tx_ids.count()
    tx_id = tx_ids[count // 2] if count else None
    if tx_id and len(tx_id) > 8:
        terms.append((f'tx id "{tx_id[:8]}…" (one match)', tx_id))
    return terms


@dataclass
class Options:
    url: str | None = None
    workers: int = 1
    concurrency: tuple[int, ...] = (1, 16)
    create_requests: int = 1_000
    read_requests: int = 200
    seconds: float = 20.0  # per load phase
    in_process_runs: int = 50
    reads: bool = True  # in-process checks and the read measurements
    creates: bool = True  # the API create measurements
    log_dir: Path = field(default_factory=lambda: Path(settings.DATA_DIR) / "bench")


@dataclass
class Outcome:
    rows: list[Row]
    dataset: dict[str, int]
    notes: list[str]


def run(options: Options, *, log: Callable[[str], None]) -> Outcome:
    dataset = {
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "customers": Contact.objects.count(),
    }
    if not dataset["conversations"]:
        raise RuntimeError("There are no conversations: run `kefu bench seed` first.")
    ensure_people(contacts=50)
    supervisor = User.objects.get(email=SUPERVISOR_EMAIL)
    admin = User.objects.get(email=ADMIN_EMAIL)
    customer_ids = list(Contact.objects.order_by("-pk").values_list("pk", flat=True)[:2_000])
    rows: list[Row] = []
    notes: list[str] = [_load_note("before")]
    tuned = {k: v for k, v in os.environ.items() if k in SERVER_ENV}
    if tuned:
        notes.append("Server environment: " + ", ".join(f"{k}={v}" for k, v in tuned.items()))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise

    log("Counting queries and timing the selectors in-process...")
    if options.reads:
        rows += query_counts(supervisor)
        rows += selector_timings(supervisor, runs=options.in_process_runs)

    key, secret = apikey_create(
        name="bench",
        scopes=["conversations:read", "conversations:write"],
        actor=actor_for_user(admin),
    )
    session_key = _session_for(supervisor)
    server: http.Server | None = None
    try:
        if options.url:
            base = http.check_loopback(options.url)
            notes.append(f"Server given by --url {base}; its memory is not measured.")
        else:
            log(f"Starting uvicorn ({options.workers} worker(s), DEBUG off)...")
            server = http.start_server(workers=options.workers, log_dir=options.log_dir)
            base = server.url
        rows += _http_measurements(options, base, secret, session_key, customer_ids, log)
        if server is not None:
            peak = http.peak_rss_kib(server.pid)
            rows.append(
                Row(
                    f"Peak server memory (VmHWM, {options.workers} worker process(es))",
                    "n/a" if peak is None else f"{peak / 1024:.0f} MiB",
                )
            )
    finally:
        if server is not None:
            server.stop()
        apikey_revoke(key=ApiKey.objects.get(pk=key.pk), actor=actor_for_user(admin))
        import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()
    notes.append(_load_note("after"))
    return Outcome(rows=rows, dataset=dataset, notes=notes)


def _load_note(when: str) -> str:
    one, five, _ = os.getloadavg()
    return f"Load average {when} the run: {one:.2f} (1 min), {five:.2f} (5 min)."


# --- in-process -------------------------------------------------------------------------------


def query_counts(user: User) -> list[Row]:
    """SQL queries for one list page of 10 and of 100 rows: must not grow with the page."""
    rows = []
    for label, fetch in (
        (
            "Agent inbox selector",
            lambda n: conversation_list_for_agent(
                user=user, filters=InboxFilters(view="all"), limit=n
            ),
        ),
        ("API list (selector + serialiser)", _api_page),
    ):
        counts = []
        for size in (10, 100):
            with CaptureQueriesContext(connection) as ctx:
                fetch(size)
            counts.append(len(ctx.captured_queries))
        rows.append(
            Row(
                f"SQL queries: {label}, page of 10 vs 100",
                f"{counts[0]} vs {counts[1]}",
                "equal",
                counts[0] == counts[1],
            )
        )
    return rows


def _api_page(size: int) -> None:
    from kefu.conversations.api import conversation_out  # the real serialiser, tags included

    page = conversation_list_for_api(filters=InboxFilters(view="all"), limit=size)
    for item in page.items:
        conversation_out(item)


def selector_timings(user: User, *, runs: int) -> list[Row]:
    cases: list[tuple[str, InboxFilters, float | None]] = [
        (
            "Selector (in-process): inbox first page, 25 rows",
            InboxFilters(view="all"),
            TARGET_INBOX_P95_MS,
        ),
    ]
    cases += [
        (
            f"Selector (in-process): search {label}",
            InboxFilters(view="all", q=t),
            TARGET_SEARCH_P95_MS,
        )
        for label, t in search_terms()
    ]
    rows = []
    for label, filters, target in cases:
        times = []
        deadline = time.monotonic() + 30
        for _ in range(max(2, runs) + 3):
            started = time.perf_counter()
            conversation_list_for_agent(user=user, filters=filters, limit=25)
            times.append((time.perf_counter() - started) * 1000)
            if time.monotonic() > deadline:
                break
        times = times[3:] or times  # the first runs warm caches
        p50, p95 = _quantile(times, 50), _quantile(times, 95)
        rows.append(
            Row(
                label,
                f"p50 {ms(p50)}, p95 {ms(p95)}",
                f"p95 ≤ {target:.0f} ms" if target else "",
                p95 <= target if target else None,
            )
        )
    return rows


def _quantile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def _session_for(user: User) -> str:
    """A signed-in session for ``user``, created with the session engine (no password)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return str(store.session_key)


# --- over HTTP --------------------------------------------------------------------------------


def _http_measurements(
    options: Options,
    base: str,
    secret: str,
    session_key: str,
    customer_ids: list[int],
    log: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    api_headers = {"Authorization": f"Bearer {secret}"}
    cookies = {settings.SESSION_COOKIE_NAME: session_key}

    def get(path: str, params: dict[str, str]) -> http.RequestFn:
        return lambda client, _seq: client.get(path, params=params)

    reads: list[tuple[str, http.RequestFn, dict[str, str] | None, dict[str, str] | None, float]] = [
        (
            "Agent inbox first page (GET /agent/?view=all)",
            get("/agent/", {"view": "all"}),
            None,
            cookies,
            TARGET_INBOX_P95_MS,
        ),
        (
            "API list first page (GET /api/v1/conversations)",
            get("/api/v1/conversations", {"limit": "25"}),
            api_headers,
            None,
            TARGET_INBOX_P95_MS,
        ),
    ]
    for name, term in search_terms():
        reads.append(
            (
                f"Agent inbox search {name} (GET /agent/?q=)",
                get("/agent/", {"view": "all", "q": term}),
                None,
                cookies,
                TARGET_SEARCH_P95_MS,
            )
        )
        reads.append(
            (
                f"API search {name} (GET /api/v1/conversations?q=)",
                get("/api/v1/conversations", {"q": term, "limit": "25"}),
                api_headers,
                None,
                TARGET_SEARCH_P95_MS,
            )
        )
    if not options.reads:
        reads = []
    for label, request, headers, cookie_jar, target in reads:
        log(f"  {label}...")
        result = http.run_load(
            name=label,
            base_url=base,
            request=request,
            concurrency=1,
            max_requests=options.read_requests,
            max_seconds=options.seconds,
            headers=headers,
            cookies=cookie_jar,
        )
        rows.append(_latency_row(label, result, target))

    rng = random.Random(7)  # noqa: S311 - synthetic payloads
    payloads = [_create_payload(rng, customer_ids) for _ in range(256)]

    def create(client: httpx.Client, seq: int) -> httpx.Response:
        return client.post("/api/v1/conversations", json=payloads[seq % len(payloads)])

    for concurrency in options.concurrency if options.creates else ():
        label = f"API create (POST /api/v1/conversations), concurrency {concurrency}"
        log(f"  {label}...")
        result = http.run_load(
            name=label,
            base_url=base,
            request=create,
            concurrency=concurrency,
            max_requests=options.create_requests,
            max_seconds=options.seconds,
            headers=api_headers,
            expect=(201,),
        )
        rps_target = TARGET_CREATE_RPS if concurrency >= 16 else None
        rows.append(
            Row(
                label,
                f"{result.throughput:.0f} req/s; p50 {ms(result.percentile(50))}, "
                f"p95 {ms(result.percentile(95))}, p99 {ms(result.percentile(99))}"
                + _errors(result),
                f"≥ {rps_target:.0f} req/s" if rps_target else "",
                (result.throughput >= rps_target and not result.errors) if rps_target else None,
            )
        )
    return rows


def _latency_row(label: str, result: http.LoadResult, target: float) -> Row:
    p95 = result.percentile(95)
    return Row(
        label,
        f"p50 {ms(result.percentile(50))}, p95 {ms(p95)} ({result.ok} requests)" + _errors(result),
        f"p95 ≤ {target:.0f} ms",
        p95 is not None and p95 <= target and not result.errors,
    )


def _errors(result: http.LoadResult) -> str:
    if not result.errors:
        return ""
    return f"; {result.errors} errors ({result.error_sample[:80]})"


def _create_payload(rng: random.Random, customer_ids: list[int]) -> dict[str, Any]:
    scenario = rng.choices(scenarios.SCENARIOS, weights=[s.weight for s in scenarios.SCENARIOS])[0]
    language = rng.choice(("en", "zh-hans"))
    texts = scenario.texts(language)
    asset, network = rng.choice(scenario.assets) if scenario.assets else ("", "")
    values = {
        "name": "", "email": "", "uid": str(rng.randint(10_000_000, 99_999_999)),
        "asset": asset, "network": network, "hours": "3",
        "amount": scenarios.sample_amount(rng, asset),
        "txid": scenarios.sample_txid(rng, network) if scenario.has_txid else "-",
    }  # fmt: skip
    return {
        "customer_id": rng.choice(customer_ids),
        "subject": rng.choice(texts.subjects).format(**values)[:200],
        "body": rng.choice(texts.bodies).format(**values),
        "category": str(scenario.category),
        "language": language,
        "tx_id": values["txid"] if scenario.has_txid else "",
        "asset": asset,
        "network": network,
    }
