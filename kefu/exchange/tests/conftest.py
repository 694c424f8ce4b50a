"""Fixtures: a small demo ledger in memory, the reference server on 127.0.0.1 serving it, and an
``http`` connector pointed at that server (sleeps recorded, never waited)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kefu.exchange.adapters.http import HttpConnector
from kefu.exchange.adapters.memory import MemoryConnector
from kefu.exchange.demo_data import DemoCustomer, demo_ledger, seed_demo_ledger
from kefu.exchange.reference_server import ReferenceServer
from kefu.testing import factories

KEY_ID = "kefu-test"
SECRET = "s3cret-Exchange-Key-0123456789abcdef"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CUSTOMERS = [
    DemoCustomer("31000000", "customer@kefu.demo", "+44 7700 900000", "Alex Morgan"),
    DemoCustomer("31007919", "kehu@kefu.demo", "+86 138 0013 8001", "王小明", "zh-hans"),
    *[
        DemoCustomer(
            str(31_000_000 + i * 7_919),
            f"person{i}@example.com",
            f"+44 7700 9{i:05d}",
            f"Person {i}",
        )
        for i in range(2, 8)
    ],
]
MAIN_UID = "31000000"


@pytest.fixture
def main_contact(db, customer_1):
    """Customer 1's contact owns the main demo account; the others own the rest (demo tables)."""
    contact = customer_1.contact
    contact.uid, contact.name = MAIN_UID, CUSTOMERS[0].name
    contact.save(update_fields=["uid", "name"])
    others = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS[1:]
    ]
    seed_demo_ledger([contact, *others])
    return contact


@pytest.fixture
def ledger() -> list:
    return demo_ledger(CUSTOMERS, now=NOW)


@pytest.fixture
def memory_backend(ledger) -> MemoryConnector:
    return MemoryConnector(
        [a for a, _, _ in ledger],
        [r for _, records, _ in ledger for r in records],
        [e for _, _, events in ledger for e in events],
    )


@pytest.fixture
def reference_server(memory_backend) -> Iterator[ReferenceServer]:
    server = ReferenceServer(memory_backend, key_id=KEY_ID, secret=SECRET).start()
    yield server
    server.stop()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def http_connector(reference_server, sleeps) -> Iterator[HttpConnector]:
    connector = HttpConnector(
        base_url=reference_server.url, key_id=KEY_ID, secret=SECRET, timeout=5, sleep=sleeps
    )
    yield connector
    connector.close()
