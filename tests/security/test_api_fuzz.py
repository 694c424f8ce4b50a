"""Property-based fuzzing of the REST API with schemathesis, against the real ASGI server.

Schemathesis reads the OpenAPI document the server publishes at ``/api/v1/openapi.json`` and
generates requests for every operation (valid ones and, in its coverage phase, boundary and
invalid ones) sent over HTTP to uvicorn on 127.0.0.1 with a real API key holding every scope.
Each response must:

- never be a server error (5xx);
- have a status code the document lists for that operation;
- have the documented content type and a body that conforms to the documented schema.

Bounded so the module runs in a few minutes on two cores: ``MAX_EXAMPLES`` per operation,
derandomised (the same cases every run, so a failure reproduces), no per-example deadline.
See docs/testing-security.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kefu.accounts.permissions import API_SCOPES
from kefu.accounts.services import actor_for_user, apikey_create
from kefu.conversations import services as conversations
from kefu.testing import factories

pytestmark = [pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Seeded:
    key: str
    conversations: list[str]  # numbers and references: the API takes either
    customers: list[int]
    staff: list[int]
    teams: list[int]


@pytest.fixture
def seeded(admin_user: Any, team_a: Any, agent_a: Any, customer_1: Any) -> Seeded:
    """A key with every scope, and a little data for the requests to land on."""
    _key, secret = apikey_create(
        name="Fuzzer", scopes=list(API_SCOPES), actor=actor_for_user(admin_user)
    )
    customer = actor_for_user(customer_1)
    made = []
    for n in range(3):
        conversation = conversations.conversation_create(
            contact=customer_1.contact,
            subject=f"Fuzz seed {n}",
            body="Seed message.",
            team=team_a,
            actor=customer,
        )
        conversations.message_reply(
            conversation=conversation, body="Seed reply.", actor=actor_for_user(agent_a)
        )
        made.append(conversation)
    other = factories.CustomerUserFactory(email="fuzz.seed@example.com")  # type: ignore[no-untyped-call]
    return Seeded(
        key=secret,
        conversations=[str(c.pk) for c in made] + [c.reference for c in made],
        customers=[customer_1.contact.pk, other.contact.pk],
        staff=[agent_a.pk, admin_user.pk],
        teams=[team_a.pk],
    )


def _aim(case: Any, seeded: Seeded) -> None:
    """Point about two thirds of the generated ids at rows that exist.

    Random ids almost never match a row, so without this every operation on one conversation
    or customer would only ever answer 404 and its success path would go unfuzzed. Which
    values are replaced depends only on the generated value, so runs stay reproducible."""
    path = case.path_parameters or {}
    if isinstance(path.get("conversation_id"), str) and len(path["conversation_id"]) % 3:
        path["conversation_id"] = seeded.conversations[
            len(path["conversation_id"]) % len(seeded.conversations)
        ]
    if isinstance(path.get("customer_id"), int) and path["customer_id"] % 3:
        path["customer_id"] = seeded.customers[path["customer_id"] % len(seeded.customers)]
    # The document types Idempotency-Key as any string of up to 255 characters; the server
    # takes printable ASCII only (a documented 422 otherwise), which would sink almost every
    # generated create. Keep half of the odd keys, as the printable ASCII they spell.
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and not (key.isascii() and key.isprintable()) and len(key) % 2:
        headers["Idempotency-Key"] = "fuzz-" + key.encode("unicode_escape").hex()[:200]
    body = case.body if isinstance(case.body, dict) else {}
    for field, pool in (
        ("customer_id", seeded.customers),
        ("assignee_id", seeded.staff),
        ("team_id", seeded.teams),
    ):
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value % 3:
            body[field] = pool[value % len(pool)]


def _document() -> dict[str, Any]:
    """The OpenAPI document as the API builds it (what ``/api/v1/openapi.json`` serves; the
    first test proves the live server serves exactly this).

    Loaded at collection time because schemathesis's fixture-based (lazy) loader does not work
    with pytest 9 (it writes ``request.node._nodeid``, which pytest 9 no longer has)."""
    from config.api import api

    document: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema()))
    return document


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture
def base_url(asgi_server: Any) -> str:
    return str(asgi_server.url)


def test_fuzzed_document_is_the_one_the_server_serves(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == DOCUMENT
    assert len(list(schema.get_all_operations())) >= 15


@pytest.fixture
def statuses(request: pytest.FixtureRequest) -> Iterator[Counter[int]]:
    """The status codes one operation answered; afterwards, proof the fuzzing got past the
    key check (a test whose every request bounced off 401/403 would prove nothing)."""
    seen: Counter[int] = Counter()
    yield seen
    if os.environ.get("KEFU_FUZZ_REPORT"):
        print(f"\n{request.node.name}: {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= MAX_EXAMPLES // 2, seen
    assert set(seen) - {401, 403}, f"every request was refused: {seen}"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(
    case: Any, seeded: Seeded, base_url: str, statuses: Counter[int]
) -> None:
    _aim(case, seeded)
    response = case.call_and_validate(
        base_url=base_url, headers={"Authorization": f"Bearer {seeded.key}"}, checks=CHECKS
    )
    statuses[response.status_code] += 1


def test_checks_fail_on_an_undocumented_status(seeded: Seeded, base_url: str) -> None:
    """Control: the same checks reject a response the document does not allow, so a passing
    fuzz run means something. Here 422 is struck from a copy of the document."""
    document = json.loads(json.dumps(DOCUMENT))
    del document["paths"]["/api/v1/customers"]["post"]["responses"]["422"]
    strict = schemathesis.openapi.from_dict(document)
    case = strict["/api/v1/customers"]["POST"].Case(body={"vip_tier": 9})
    with pytest.raises(FailureGroup, match="Undocumented status code"):
        case.call_and_validate(
            base_url=base_url, headers={"Authorization": f"Bearer {seeded.key}"}, checks=CHECKS
        )
