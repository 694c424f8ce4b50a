"""``kefu bench email``: email ingestion through the real pipeline, synchronously.

Generates a corpus of realistic MIME messages (deterministic): customers writing in English,
Simplified and Traditional Chinese, Japanese, Russian and French, in the charsets their
clients use (UTF-8, GB2312/GBK, Big5, ISO-2022-JP, KOI8-R/Windows-1251, Windows-1252), as
plain text, multipart/alternative or HTML only, with quoted history (English and Chinese
clients), some with attachments or inline images, a share of automatic mail (auto-replies,
lists), and threads: about 60% are replies that reference an earlier message of the same
customer (In-Reply-To / References, sometimes the reference number in the subject).

Each message goes through ``email_ingest`` (the raw store, committed, with its job row) and
then ``inbound_process`` (parse, thread, ``message_receive``) in this process, as the worker
would. Reported: messages per second for the whole path and for its parts, per-message p50 /
p95, the outcome counts and whether each reply joined its thread's conversation.

Run it on a throwaway database: it writes contacts, conversations and messages.
"""

from __future__ import annotations

import base64
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.adapters.email.parse import parse_email
from kefu.inbox.inbound import inbound_process
from kefu.inbox.models import InboundEvent

_TEXTS = [
    ("utf-8", "en", "Hello, my deposit of {n} USDT (TRC20) has not arrived after two hours."),
    ("utf-8", "en", "I cannot log in, the 2FA code is rejected every time. Order {n}."),
    ("gb2312", "zh", "您好，我充值的{n} USDT 两个小时了还没有到账，请帮忙查一下。"),
    ("gbk", "zh", "提现{n}个比特币一直显示处理中，请问什么时候能到账？"),
    ("utf-8", "zh", "我的账户被冻结了，订单号 {n}，请尽快处理。"),
    ("big5", "zh-hant", "您好，我的提幣 {n} 一直沒有到帳，請幫忙查詢。"),
    ("iso-2022-jp", "ja", "入金{n}が反映されていません。確認をお願いします。"),
    ("koi8-r", "ru", "Здравствуйте, мой депозит {n} не пришёл. Помогите, пожалуйста."),
    ("windows-1251", "ru", "Не могу вывести средства, заявка {n}."),
    ("windows-1252", "fr", "Bonjour, mon dépôt n° {n} n'est pas crédité. Merci d'avance."),
]
_QUOTES = {
    "en": "\n\nOn Sat, 5 Dec 2026 at 09:00, Kefu Support <support@localhost> wrote:\n> {q}\n",
    "zh": "\n\n在 2026年12月5日 09:00，Kefu Support <support@localhost> 写道：\n> {q}\n",
    "zh-hant": "\n\n------------------ 原始郵件 ------------------\n發件人: Support\n"
    "傳送時間: 2026年12月5日\n主旨: {q}\n",
    "ja": "\n\n-----Original Message-----\nFrom: Support\nSent: Saturday\n\n{q}\n",
    "ru": "\n\n-- \nС уважением, клиент\n",
    "fr": "\n\nLe sam. 5 déc. 2026 à 09:00, Support <support@localhost> a écrit :\n> {q}\n",
}
_PDF = b"%PDF-1.4\n%" + b"x" * 15_000 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 12


def _word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@dataclass
class Generated:
    raw: bytes
    root: int  # index of the thread's first message (itself for a new thread)
    auto: bool


def build_corpus(count: int, *, seed: int = 7) -> list[Generated]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    customers = max(5, count // 6)
    threads: dict[int, list[int]] = {}  # customer -> indexes of their messages
    corpus: list[Generated] = []
    for index in range(count):
        who = rng.randrange(customers)
        charset, lang, template = _TEXTS[who % len(_TEXTS)]
        text = template.format(n=rng.randrange(10_000, 99_999))
        mid = f"<bench-{seed}-{index}@mail{who % 7}.example.com>"
        head = [
            f"From: Customer {who} <customer{who}@mail{who % 7}.example.com>",
            "To: Kefu Support <support@localhost>",
            "Date: Sun, 06 Dec 2026 06:00:00 +0000",
            f"Message-ID: {mid}",
            "MIME-Version: 1.0",
        ]
        previous = threads.get(who, [])
        root, auto = index, False
        subject = text[:30]
        if previous and rng.random() < 0.6:
            parent = previous[-1]
            root = corpus[parent].root
            parent_mid = f"<bench-{seed}-{parent}@mail{who % 7}.example.com>"
            head.append(f"In-Reply-To: {parent_mid}")
            head.append(f"References: <bench-{seed}-{root}@mail{who % 7}.example.com> {parent_mid}")
            subject = "Re: " + subject
            text += _QUOTES[lang].format(q=template[:40])
        elif rng.random() < 0.05:
            auto = True
            head.append(rng.choice(["Auto-Submitted: auto-replied", "Precedence: bulk"]))
        head.append(f"Subject: {_word(subject, charset)}")
        body = text.encode(charset, "replace")
        plain = (
            f'Content-Type: text/plain; charset="{charset}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode() + base64.encodebytes(body)
        shape = rng.random()
        if shape < 0.15:
            html = f"<html><body><p>{text}</p><div>--<br>sent from webmail</div></body></html>"
            part = (
                f'Content-Type: text/html; charset="{charset}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode() + base64.encodebytes(html.encode(charset, "replace"))
        else:
            part = plain
        files = []
        if rng.random() < 0.2:
            files.append(("statement.pdf", "application/pdf", _PDF, "attachment"))
        if rng.random() < 0.1:
            files.append(("screenshot.png", "image/png", _PNG, "inline"))
        if files:
            raw = "\r\n".join(head).encode() + b'\r\nContent-Type: multipart/mixed; boundary="b1"'
            raw += b"\r\n\r\n--b1\r\n" + part + b"\r\n"
            for name, ctype, content, disposition in files:
                raw += (
                    f'--b1\r\nContent-Type: {ctype}; name="{name}"\r\n'
                    f'Content-Disposition: {disposition}; filename="{name}"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode() + base64.encodebytes(content)
            raw += b"--b1--\r\n"
        else:
            raw = "\r\n".join(head).encode() + b"\r\n" + part
        corpus.append(Generated(raw=raw, root=root, auto=auto))
        if not auto:
            threads.setdefault(who, []).append(index)
    return corpus


@dataclass
class EmailBench:
    messages: int
    total_s: float
    parse_s: float
    cpu_s: float = 0.0
    store_ms: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    threaded: int = 0


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPU ({cpu or platform.processor()}), load average {load}"


def _database() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    version = getattr(connection, "pg_version", 0)
    return f"PostgreSQL {version // 10000}.{version % 10000}" if version else connection.vendor


def run(*, messages: int = 1000, log: Callable[[str], None] = print) -> EmailBench:
    count = max(10, min(int(messages), 100_000))
    corpus = build_corpus(count, seed=int(time.time()) % 100_000)
    limit: int = settings.KEFU_ATTACHMENT_MAX_BYTES
    start = time.perf_counter()
    for item in corpus:
        parse_email(item.raw, attachment_limit=limit)
    parse_s = time.perf_counter() - start
    load_before = machine()
    result = EmailBench(messages=count, total_s=0.0, parse_s=parse_s)
    conversation_of: dict[int, int | None] = {}
    begin, cpu_begin = time.perf_counter(), time.process_time()
    for index, item in enumerate(corpus):
        t0 = time.perf_counter()
        event, _created = email_ingest(raw=item.raw, account="support@localhost", source="bench")
        t1 = time.perf_counter()
        outcome = inbound_process(event_pk=event.pk, attempts=event.attempts)
        t2 = time.perf_counter()
        result.store_ms.append((t1 - t0) * 1000)
        result.process_ms.append((t2 - t1) * 1000)
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
        conversation = (
            InboundEvent.objects.filter(pk=event.pk).values_list("conversation_id", flat=True).get()
        )
        conversation_of[index] = conversation
        if item.root != index and not item.auto:
            result.replies += 1
            joined = conversation is not None and conversation == conversation_of.get(item.root)
            result.threaded += int(joined)
    result.total_s = time.perf_counter() - begin
    result.cpu_s = time.process_time() - cpu_begin
    whole = [a + b for a, b in zip(result.store_ms, result.process_ms, strict=True)]
    lines = [
        f"Email ingestion: {count} generated messages on {_database()}; {load_before} (before), "
        f"{machine().split('), ', 1)[1]} (after)",
        "",
        "| step | messages/s | p50 ms | p95 ms |",
        "|---|---|---|---|",
        f"| parse only (in memory) | {count / parse_s:.0f} | | |",
        f"| store (email_ingest, committed) | {count / (sum(result.store_ms) / 1000):.0f} | "
        f"{_p(result.store_ms, 50):.2f} | {_p(result.store_ms, 95):.2f} |",
        f"| process (parse, thread, receive) | {count / (sum(result.process_ms) / 1000):.0f} | "
        f"{_p(result.process_ms, 50):.2f} | {_p(result.process_ms, 95):.2f} |",
        f"| **whole path (store + process)** | **{count / result.total_s:.0f}** | "
        f"{statistics.median(whole):.2f} | {_p(whole, 95):.2f} |",
        f"| whole path, per CPU-second of this process | {count / result.cpu_s:.0f} | | |",
        "",
        f"Outcomes: {dict(sorted(result.outcomes.items()))}; replies joined their thread's "
        f"conversation: {result.threaded}/{result.replies}.",
    ]
    log("\n".join(lines))
    return result


class WorkersRefused(ValueError):
    """``--workers`` above 1 on a database that has one writer (SQLite)."""


def _process_share(share: list[tuple[int, int, int]]) -> dict[str, object]:
    """One worker process: inbound_process each (index, event pk, attempts), in order, on its
    own database connection (the parent closed its connections before forking)."""
    from django.db import connections

    connections.close_all()  # never reuse a socket inherited from the parent
    times: list[float] = []
    outcomes: dict[str, int] = {}
    begin, cpu_begin = time.perf_counter(), time.process_time()
    for _index, pk, attempts in share:
        t0 = time.perf_counter()
        outcome = inbound_process(event_pk=pk, attempts=attempts)
        times.append((time.perf_counter() - t0) * 1000)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    wall, cpu = time.perf_counter() - begin, time.process_time() - cpu_begin
    connections.close_all()
    return {"pid": os.getpid(), "times": times, "outcomes": outcomes, "wall": wall, "cpu": cpu}


def run_workers(
    *, messages: int = 1000, workers: int = 2, log: Callable[[str], None] = print
) -> EmailBench:
    """Store the whole corpus first (as the webhooks / IMAP poller would), then process the
    stored events with ``workers`` OS processes in parallel, as several ``kefu worker``
    processes do. Each thread of messages goes to one process, in order (as a per-thread
    queue would); different threads of one customer run concurrently in different processes,
    so contact and channel identity creation race as they do in production."""
    import multiprocessing

    from django.db import connections

    workers = int(workers)
    if workers < 1 or workers > 64:
        raise WorkersRefused("--workers must be between 1 and 64")
    if connection.vendor == "sqlite" and workers > 1:
        raise WorkersRefused(
            "--workers above 1 needs PostgreSQL: SQLite has a single writer, so parallel "
            "workers would only queue on its lock. Set DATABASE_URL to a throwaway database."
        )
    count = max(10, min(int(messages), 100_000))
    corpus = build_corpus(count, seed=int(time.time()) % 100_000)
    load_before = machine()
    start = time.perf_counter()
    stored: list[tuple[int, int, int]] = []
    for index, item in enumerate(corpus):
        event, _created = email_ingest(raw=item.raw, account="support@localhost", source="bench")
        stored.append((index, event.pk, event.attempts))
    store_s = time.perf_counter() - start
    shares: list[list[tuple[int, int, int]]] = [[] for _ in range(workers)]
    roots = sorted({item.root for item in corpus})
    lane = {root: n % workers for n, root in enumerate(roots)}
    for entry in stored:
        shares[lane[corpus[entry[0]].root]].append(entry)
    # No socket may cross the fork: close the connections and PostgreSQL's connection pool
    # (its idle connections would otherwise be shared by the children); each opens its own.
    for each in connections.all():
        each.close()
        close_pool = getattr(each, "close_pool", None)
        if close_pool is not None:
            close_pool()
    begin = time.perf_counter()
    if workers == 1:
        results = [_process_share(shares[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_process_share, shares)
    process_s = time.perf_counter() - begin
    result = EmailBench(messages=count, total_s=process_s, parse_s=0.0)
    for part in results:
        result.process_ms.extend(part["times"])  # type: ignore[arg-type]
        for key, value in part["outcomes"].items():  # type: ignore[attr-defined]
            result.outcomes[key] = result.outcomes.get(key, 0) + value
        result.cpu_s += float(part["cpu"])  # type: ignore[arg-type]
    # Correctness under concurrency: each event processed exactly once, replies threaded.
    pks = [pk for _i, pk, _a in stored]
    rows = {
        pk: (state, conversation)
        for pk, state, conversation in InboundEvent.objects.filter(pk__in=pks).values_list(
            "pk", "state", "conversation_id"
        )
    }
    states: dict[str, int] = {}
    for state, _conversation in rows.values():
        states[state] = states.get(state, 0) + 1
    from kefu.conversations.models import Message

    message_ids = list(
        InboundEvent.objects.filter(pk__in=pks, message_id__isnull=False).values_list(
            "message_id", flat=True
        )
    )
    duplicates = len(message_ids) - len(set(message_ids))
    stored_messages = Message.objects.filter(pk__in=message_ids).count()
    for index, item in enumerate(corpus):
        if item.root != index and not item.auto:
            result.replies += 1
            mine = rows[stored[index][1]][1]
            root_conversation = rows[stored[item.root][1]][1]
            result.threaded += int(mine is not None and mine == root_conversation)
    processed_once = sum(result.outcomes.values()) == count and states.get("received", 0) == 0
    lines = [
        f"Email ingestion, {workers} worker process(es): {count} generated messages on "
        f"{_database()}; {load_before} (before), {machine().split('), ', 1)[1]} (after)",
        "",
        f"Stored first (email_ingest, committed, this process): {count / store_s:.0f} msg/s.",
        "",
        "| process (parse, thread, receive) | messages | messages/s | p50 ms | p95 ms | "
        "msg per CPU-s |",
        "|---|---|---|---|---|---|",
    ]
    for n, part in enumerate(results, 1):
        times: list[float] = part["times"]  # type: ignore[assignment]
        wall, cpu = float(part["wall"]), float(part["cpu"])  # type: ignore[arg-type]
        lines.append(
            f"| worker {n} | {len(times)} | {len(times) / wall if wall else 0:.0f} | "
            f"{_p(times, 50):.2f} | {_p(times, 95):.2f} | {len(times) / cpu if cpu else 0:.0f} |"
        )
    lines += [
        f"| **all {workers} (aggregate, wall clock)** | {count} | **{count / process_s:.0f}** | "
        f"{_p(result.process_ms, 50):.2f} | {_p(result.process_ms, 95):.2f} | "
        f"{count / result.cpu_s if result.cpu_s else 0:.0f} |",
        "",
        f"Outcomes: {dict(sorted(result.outcomes.items()))}; event states: "
        f"{dict(sorted(states.items()))}; every event processed once: {processed_once}; "
        f"messages stored: {stored_messages}, events sharing a message: {duplicates}; "
        f"replies joined their thread's conversation: {result.threaded}/{result.replies}.",
    ]
    log("\n".join(lines))
    return result
