"""The adapter's requests and the reference server's answers conform to docs/exchange-api.yaml."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kefu.exchange import wire
from kefu.exchange.connector import (
    AccountStatus,
    CaseAuthorisation,
    CaseKind,
    Direction,
    FailureReason,
    FundStatus,
    SecurityEventKind,
)
from kefu.exchange.tests.conftest import MAIN_UID, NOW

SPEC_PATH = Path(__file__).resolve().parents[3] / "docs" / "exchange-api.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the contract")


def _exercise(connector: Any) -> None:
    def auth(kind: CaseKind, ref: str) -> CaseAuthorisation:
        return CaseAuthorisation(
            case_ref=ref, kind=kind, uid=MAIN_UID, prepared_by="agent:7", approved_by="agent:3",
            approved_at=NOW,
        )  # fmt: skip

    connector.account(uid=MAIN_UID)
    connector.account(email="customer@kefu.demo")
    connector.account(phone="+44 7700 900000")
    connector.fund_records(
        uid=MAIN_UID, direction=Direction.WITHDRAWAL, asset="USDT", network="TRC20",
        txid="abc", since=datetime(2026, 1, 1, tzinfo=UTC), until=NOW, limit=10,
    )  # fmt: skip
    connector.fund_records(uid=MAIN_UID)
    connector.security_events(uid=MAIN_UID, since=datetime(2026, 1, 1, tzinfo=UTC), limit=5)
    connector.freeze_account(authorisation=auth(CaseKind.FREEZE, "VC-1"))
    connector.unlock_account(authorisation=auth(CaseKind.UNLOCK, "VC-2"))
    connector.reset_two_factor(authorisation=auth(CaseKind.RESET_2FA, "VC-3"))


def test_every_request_matches_a_documented_operation(spec, http_connector, reference_server):
    _exercise(http_connector)
    used = set()
    for seen in reference_server.seen:
        assert seen.status == 200, (seen.method, seen.path)
        template, op = _operation(spec, seen.method, seen.path)
        used.add((seen.method, template))
        params = [_resolve(spec, p) for p in op.get("parameters", [])]
        query_names = {p["name"] for p in params if p["in"] == "query"}
        assert set(seen.query) <= query_names, (template, set(seen.query) - query_names)
        for p in params:
            if p["in"] == "query" and p["name"] in seen.query:
                value = seen.query[p["name"]][0]
                schema = _resolve(spec, p["schema"])
                if "enum" in schema:
                    assert value in schema["enum"]
                if schema.get("type") == "integer":
                    assert schema["minimum"] <= int(value) <= schema["maximum"]
                if schema.get("format") == "date-time":
                    assert datetime.fromisoformat(value).tzinfo is not None
        for header in (wire.KEY_ID_HEADER, wire.TIMESTAMP_HEADER, wire.SIGNATURE_HEADER):
            assert seen.headers.get(header.lower())
        if seen.method == "POST":
            body_schema = _resolve(spec, op["requestBody"])["content"]["application/json"]
            schema = _resolve(spec, body_schema["schema"])
            assert set(json.loads(seen.body)) == set(schema["required"])
        else:
            assert seen.body == b""
    documented = {
        (method.upper(), template)
        for template, item in spec["paths"].items()
        for method in item
        if method in {"get", "post"}
    }
    assert used == documented  # every operation is used, and nothing undocumented


@pytest.mark.parametrize(
    ("schema_name", "sample"),
    [
        ("Account", lambda m: wire.account_to_json(m.account(uid=MAIN_UID))),
        ("FundRecord", lambda m: wire.fund_record_to_json(m.fund_records(uid=MAIN_UID)[0])),
        (
            "SecurityEvent",
            lambda m: wire.security_event_to_json(m.security_events(uid=MAIN_UID)[0]),
        ),
    ],
)
def test_wire_objects_have_exactly_the_documented_fields(spec, memory_backend, schema_name, sample):
    schema = spec["components"]["schemas"][schema_name]
    data = sample(memory_backend)
    assert set(data) == set(schema["required"]) == set(schema["properties"])


@pytest.mark.parametrize(
    ("schema_name", "enum"),
    [
        ("AccountStatus", AccountStatus),
        ("Direction", Direction),
        ("FundStatus", FundStatus),
        ("FailureReason", FailureReason),
        ("SecurityEventKind", SecurityEventKind),
        ("CaseKind", CaseKind),
    ],
)
def test_documented_enums_match_the_connector(spec, schema_name, enum):
    assert spec["components"]["schemas"][schema_name]["enum"] == [str(m) for m in enum]


def test_documented_amounts_are_decimal_strings(spec, memory_backend):
    pattern = re.compile(spec["components"]["schemas"]["Decimal"]["pattern"])
    for record in memory_backend.fund_records(uid=MAIN_UID, limit=100):
        data = wire.fund_record_to_json(record)
        assert pattern.match(data["amount"]), data
        assert pattern.match(data["fee"]), data
