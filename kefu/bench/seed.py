"""Fast synthetic data for benchmarks: N conversations with 1-3 messages each, and their search
terms, written in bulk.

This deliberately bypasses the services (no timeline or audit rows, no jobs, no real-time
events): it exists to fill a database with a realistic *shape* quickly (1,000,000 conversations
in minutes), so list, search and create can be measured at scale. Never run it against a
database with real customers. Everything it writes is marked: staff are ``@kefu.bench``,
customers ``bench-*`` account ids at ``example.invalid``, teams are named ``Bench: ...``.

Rows are generated in Python as tuples and written per batch in one transaction:
``executemany`` on SQLite, ``COPY`` on PostgreSQL. Primary keys are allocated up front (the
database's sequence is moved past them afterwards), so messages and search rows can reference
their conversation without a round trip. The search terms are produced by the same
``search.tokenize`` the services use: FTS5 rows on SQLite, ``conversations_search`` on
PostgreSQL.
"""

from __future__ import annotations

import enum
import html
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model

from kefu.accounts.models import Role, Team, User, UserKind
from kefu.contacts.models import Contact
from kefu.conversations import search
from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
    Status,
)
from kefu.core import clock
from kefu.demo import content, scenarios
from kefu.demo.scenarios import Scenario

BENCH_DOMAIN = "kefu.bench"
CONTACT_PREFIX = "bench-"
SUPERVISOR_EMAIL = f"bench-supervisor@{BENCH_DOMAIN}"
ADMIN_EMAIL = f"bench-admin@{BENCH_DOMAIN}"
TEAM_NAMES = ("Bench: Funds", "Bench: Security", "Bench: KYC", "Bench: VIP")
SCENARIO_TEAM = {content.FUNDS: 0, content.SECURITY: 1, content.KYC: 2, content.VIP: 3}
MAX_CONVERSATIONS = 5_000_000
DEFAULT_BATCH = 5_000

STATUS_WEIGHTS = (
    (Status.CLOSED, 45), (Status.SOLVED, 15), (Status.OPEN, 12), (Status.PENDING, 10),
    (Status.NEW, 8), (Status.ON_HOLD, 10),
)  # fmt: skip
CHANNEL_WEIGHTS = (
    (Channel.WEB, 25), (Channel.CHAT, 22), (Channel.EMAIL, 25), (Channel.PHONE, 5),
    (Channel.TELEGRAM, 12), (Channel.SOCIAL, 8), (Channel.API, 3),
)  # fmt: skip
PRIORITY_WEIGHTS = ((0, 20), (1, 55), (2, 18), (3, 7))
TIER_WEIGHTS = ((1, 85), (2, 12), (3, 3))


@dataclass
class SeedReport:
    conversations: int
    messages: int
    seconds: float
    first_id: int
    last_id: int


@dataclass
class _People:
    teams: list[int]
    l1: list[int]
    l2: list[int]
    supervisors: list[int]
    contacts: list[tuple[int, str, str]]  # id, language, name


def seed_conversations(
    n: int,
    *,
    batch_size: int = DEFAULT_BATCH,
    seed: int = 1,
    days: int = 365,
    progress: Callable[[int, float], None] | None = None,
) -> SeedReport:
    """Write ``n`` synthetic conversations (and 1-3 messages each, and search terms)."""
    if not 1 <= n <= MAX_CONVERSATIONS:
        raise ValueError(f"n must be between 1 and {MAX_CONVERSATIONS:,}")
    batch_size = max(100, min(batch_size, 50_000))
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    people = ensure_people(contacts=max(50, min(n // 20, 200_000)))
    conv_cols = _columns(Conversation)
    msg_cols = _columns(Message)
    writer = _writer()
    with transaction.atomic():
        first_id = _allocate(Conversation, n)
        first_msg_id = _allocate(Message, 3 * n)  # at most three messages each
    sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    batches = _Batches(
        rng=rng, people=people, conv_id=first_id, msg_id=first_msg_id, now=clock.now(), days=days
    )
    messages = done = 0
    # Generate the next batch in a thread while this one is written: the database driver
    # releases the GIL while the server works, so the two overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-seed") as pool:
        pending = pool.submit(batches.make, sizes[0])
        for i in range(len(sizes)):
            batch = pending.result()
            if i + 1 < len(sizes):
                pending = pool.submit(batches.make, sizes[i + 1])
            with transaction.atomic():
                writer.rows(Conversation, conv_cols, batch.conversations)
                writer.rows(Message, msg_cols, batch.messages)
                writer.search(batch.search)
            done += sizes[i]
            messages += len(batch.messages)
            if progress is not None:
                progress(done, time.monotonic() - started)
    _reset_sequences()
    writer.finish()
    return SeedReport(
        conversations=n,
        messages=messages,
        seconds=time.monotonic() - started,
        first_id=first_id,
        last_id=first_id + n - 1,
    )


@dataclass
class _Batch:
    conversations: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    search: list[tuple[int, list[str]]]


@dataclass
class _Batches:
    """Makes consecutive batches; only one ``make`` runs at a time (ids and rng are shared)."""

    rng: random.Random
    people: _People
    conv_id: int
    msg_id: int
    now: datetime
    days: int

    def make(self, size: int) -> _Batch:
        batch = _Batch([], [], [])
        for _ in range(size):
            conv, msgs, terms = _one(
                self.rng, self.people, self.conv_id, self.msg_id, self.now, self.days
            )
            batch.conversations.append(conv)
            batch.messages.extend(msgs)
            batch.search.append((self.conv_id, terms))
            self.conv_id += 1
            self.msg_id += len(msgs)
        return batch


# --- people -----------------------------------------------------------------------------------


def ensure_people(*, contacts: int) -> _People:
    """Bench teams, staff (16 L1, 6 L2, 2 supervisors, 1 admin) and ``contacts`` customers,
    reused if present. Staff have unusable passwords; sign in by session (see bench.http)."""
    teams = []
    for i, name in enumerate(TEAM_NAMES):
        langs = ["zh-hans"] if i == 2 else ["en", "zh-hans"]
        team, _ = Team.objects.get_or_create(name=name, defaults={"languages": langs})
        teams.append(team)
    specs = [
        (f"bench-agent{i:02d}@{BENCH_DOMAIN}", Role.AGENT_L1, [teams[i % 4]]) for i in range(16)
    ]
    specs += [(f"bench-senior{i}@{BENCH_DOMAIN}", Role.AGENT_L2, teams) for i in range(6)]
    specs += [
        (SUPERVISOR_EMAIL, Role.SUPERVISOR, []),
        (f"bench-supervisor2@{BENCH_DOMAIN}", Role.SUPERVISOR, []),
    ]
    specs += [(ADMIN_EMAIL, Role.ADMIN, [])]
    by_role: dict[str, list[int]] = {}
    for email, role, member_of in specs:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(
                email=email,
                display_name=email.split("@")[0].replace("-", " ").title(),
                kind=UserKind.STAFF,
                role=role,
                is_staff=role == Role.ADMIN,
            )
            user.set_unusable_password()
            user.save()
            user.teams.set(member_of)
        by_role.setdefault(role, []).append(user.pk)
    existing = Contact.objects.filter(uid__startswith=CONTACT_PREFIX).count()
    if existing < contacts:
        rng = random.Random(existing)  # noqa: S311 - synthetic data
        first = content.customers()
        new = []
        for i in range(existing, contacts):
            model = first[i % len(first)]
            new.append(
                Contact(
                    uid=f"{CONTACT_PREFIX}{i:07d}",
                    email=f"bench{i}@example.invalid",
                    name=model.name,
                    language=model.language,
                    vip_tier=rng.choices((0, 1, 2, 3), weights=(70, 18, 8, 4))[0],
                )
            )
        Contact.objects.bulk_create(new, batch_size=2_000)
    rows = Contact.objects.filter(uid__startswith=CONTACT_PREFIX).order_by("pk")
    return _People(
        teams=[t.pk for t in teams],
        l1=by_role[Role.AGENT_L1],
        l2=by_role[Role.AGENT_L2],
        supervisors=by_role[Role.SUPERVISOR],
        contacts=list(rows.values_list("pk", "language", "name")[:contacts]),
    )


# --- one conversation -------------------------------------------------------------------------

_SCENARIO_WEIGHTS = [s.weight for s in scenarios.SCENARIOS]


def _pick(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _one(
    rng: random.Random,
    people: _People,
    conv_id: int,
    msg_id: int,
    now: datetime,
    days: int,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    scenario: Scenario = rng.choices(scenarios.SCENARIOS, weights=_SCENARIO_WEIGHTS)[0]
    contact_id, contact_language, contact_name = rng.choice(people.contacts)
    language = contact_language if rng.random() < 0.9 else rng.choice(("en", "zh-hans"))
    texts = scenario.texts(language)
    short = "zh" if language.startswith("zh") else "en"
    asset, network = rng.choice(scenario.assets) if scenario.assets else ("", "")
    txid = scenarios.sample_txid(rng, network) if scenario.has_txid else ""
    values = {
        "name": contact_name, "email": "", "uid": f"{contact_id:08d}", "asset": asset,
        "network": network, "txid": txid or "-", "hours": str(rng.choice((2, 5, 8, 12, 36))),
        "amount": scenarios.sample_amount(rng, asset),
    }  # fmt: skip
    status = _pick(rng, STATUS_WEIGHTS)
    tier = _pick(rng, TIER_WEIGHTS)
    team_index = SCENARIO_TEAM.get(scenario.team or "")
    team = people.teams[team_index] if team_index is not None and rng.random() < 0.9 else None
    assignee = None
    if status != Status.NEW or rng.random() < 0.2:
        pool = people.l1 if tier == 1 else people.l2 if tier == 2 else people.supervisors
        assignee = rng.choice(pool) if rng.random() < 0.85 else None
    created = now - timedelta(seconds=rng.uniform(60, days * 86_400))
    last = min(created + timedelta(minutes=rng.expovariate(1 / 600)), now)
    closed = last if status == Status.CLOSED else None
    channel = _pick(rng, CHANNEL_WEIGHTS)
    subject = texts.subjects[rng.randrange(len(texts.subjects))].format(**values)[:200]
    bodies = [
        (
            AuthorKind.CUSTOMER,
            MessageKind.REPLY,
            texts.bodies[rng.randrange(len(texts.bodies))].format(**values),
        )
    ]
    extra = rng.choice((0, 1, 1, 2, 2)) if status != Status.NEW else 0
    if extra >= 1:
        bodies.append(
            (
                AuthorKind.AGENT,
                MessageKind.REPLY,
                texts.replies[rng.randrange(len(texts.replies))].format(**values),
            )
        )
    if extra >= 2:
        if rng.random() < 0.5:
            bodies.append(
                (
                    AuthorKind.AGENT,
                    MessageKind.NOTE,
                    texts.notes[rng.randrange(len(texts.notes))].format(**values),
                )
            )
        else:
            bodies.append(
                (AuthorKind.CUSTOMER, MessageKind.REPLY, rng.choice(scenarios.FOLLOW_UPS[short]))
            )
    conv = {
        "id": conv_id, "contact_id": contact_id, "subject": subject,
        "category": scenario.category, "channel": channel, "status": status,
        "priority": _pick(rng, PRIORITY_WEIGHTS), "tier": tier, "language": language,
        "team_id": team, "assignee_id": assignee, "tx_id": txid, "asset": asset,
        "network": network, "created_at": created, "last_activity_at": last,
        "closed_at": closed, "message_count": len(bodies),
    }  # fmt: skip
    step = (last - created) / max(1, len(bodies) - 1)
    msgs = []
    terms = search.tokenize(subject)
    for i, (author_kind, kind, body) in enumerate(bodies):
        msgs.append({
            "id": msg_id + i, "conversation_id": conv_id, "kind": kind,
            "author_kind": author_kind,
            "author_user_id": assignee if author_kind == AuthorKind.AGENT else None,
            "body": body, "body_html": f"<p>{html.escape(body)}</p>", "channel": channel,
            "external_id": None, "delivery_status": DeliveryStatus.NONE,
            "customer_notified_at": None, "created_at": created + step * i,
        })  # fmt: skip
        terms += search.tokenize(body[: search.MAX_DOC_CHARS])
    return conv, msgs, list(dict.fromkeys(terms))


# --- writing ----------------------------------------------------------------------------------


def _columns(model: type[Model]) -> list[tuple[str, str, Any]]:
    """(attname, column, default) of every concrete column, so a new column with a default
    keeps working and one without fails loudly here rather than in the database."""
    return [(f.attname, f.column, f.get_default()) for f in model._meta.concrete_fields]


def _plain(value: Any) -> Any:
    """Choices members as their plain value (database drivers differ on enum subclasses);
    JSON columns (dicts and lists) as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value.value if isinstance(value, enum.Enum) else value


def _allocate(model: type[Model], count: int) -> int:
    """Reserve ``count`` consecutive ids and return the first one.

    On PostgreSQL the sequence is moved past them, so concurrent inserts cannot take them.
    """
    top = int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0)
    if connection.vendor != "postgresql":
        return top + 1
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        row = cursor.fetchone()
        first = max(top + 1, int(row[0]) if row else 1)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1]
        )
    return first


def _reset_sequences() -> None:
    sql = connection.ops.sequence_reset_sql(no_style(), [Conversation, Message])
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


class _Writer:
    def rows(
        self, model: type[Model], cols: list[tuple[str, str, Any]], rows: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def search(self, rows: list[tuple[int, list[str]]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Refresh planner statistics after a bulk load."""


class _SQLiteWriter(_Writer):
    def rows(
        self, model: type[Model], cols: list[tuple[str, str, Any]], rows: list[dict[str, Any]]
    ) -> None:
        adapt = connection.ops.adapt_datetimefield_value
        names = ", ".join(f'"{c}"' for _, c, _ in cols)
        marks = ", ".join("?" for _ in cols)
        sql = f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES ({marks})'  # noqa: S608
        data = [
            tuple(
                adapt(v) if isinstance(v, datetime) else _plain(v)
                for v in (row.get(attname, default) for attname, _, default in cols)
            )
            for row in rows
        ]
        raw = connection.connection
        assert raw is not None
        raw.executemany(sql, data)

    def search(self, rows: list[tuple[int, list[str]]]) -> None:
        raw = connection.connection
        assert raw is not None
        raw.executemany(
            "INSERT INTO conversations_fts (rowid, terms) VALUES (?, ?)",
            [(pk, " ".join(terms)) for pk, terms in rows],
        )

    def finish(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


class _PostgresWriter(_Writer):
    def __init__(self) -> None:
        with connection.cursor() as cursor:
            # Session-only settings for a faster bulk load; the schema is not touched.
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute("SET synchronous_commit = off")

    def _copy(self, table: str, names: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> None:
        columns = ", ".join(f'"{n}"' for n in names)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    def rows(
        self, model: type[Model], cols: list[tuple[str, str, Any]], rows: list[dict[str, Any]]
    ) -> None:
        self._copy(
            model._meta.db_table,
            [c for _, c, _ in cols],
            (
                tuple(_plain(row.get(attname, default)) for attname, _, default in cols)
                for row in rows
            ),
        )

    def search(self, rows: list[tuple[int, list[str]]]) -> None:
        self._copy("conversations_search", ["conversation_id", "terms"], iter(rows))

    def finish(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
            cursor.execute(
                "ANALYZE conversations_conversation, conversations_message, conversations_search"
            )


def _writer() -> _Writer:
    if connection.vendor == "postgresql":
        return _PostgresWriter()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return _SQLiteWriter()
    raise RuntimeError(f"bench seed supports SQLite and PostgreSQL, not {connection.vendor}")
