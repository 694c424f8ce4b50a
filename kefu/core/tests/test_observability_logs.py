"""Request ids and structured logs: every record of a request or job carries its id, the JSON
formatter writes one object a line, and credentials never reach the log output."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks import task

from kefu.core.observability.logs import ContextFilter, JsonFormatter, PlainFormatter, redact
from kefu.testing.factories import CustomerUserFactory

PASSWORD = "Hunter2-Very-Secret-Pass-93817"
TOKEN = "tok-SECRET-4f9c2a7b1e"
API_KEY = "kf_live_SECRETAPIKEY_8812"


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def json_logs() -> Iterator[Captured]:
    """Everything logged, at every level, through Kefu's filter and JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    quiet = logging.getLogger("django.db.backends")
    old_quiet = quiet.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet.setLevel(logging.DEBUG)  # SQL too: parameters must not leak either
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        quiet.setLevel(old_quiet)


@pytest.mark.django_db
def test_each_response_gets_a_fresh_request_id_that_its_log_lines_carry(json_logs):
    first = Client().get("/healthz")
    second = Client().get("/healthz")
    rid = first["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert second["X-Request-ID"] != rid
    lines = [r for r in json_logs.records() if r["logger"] == "kefu.request"]
    assert [(r["request_id"], r["path"], r["status"], r["route"]) for r in lines] == [
        (rid, "/healthz", 200, "healthz"),
        (second["X-Request-ID"], "/healthz", 200, "healthz"),
    ]
    assert all(r["level"] == "INFO" and r["duration_ms"] >= 0 for r in lines)


@pytest.mark.django_db
def test_a_well_formed_caller_request_id_is_kept_and_a_malformed_one_replaced(json_logs):
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c01.req")
    assert kept["X-Request-ID"] == "lb-7f3a9c01.req"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID='x" level=ERROR\nfake line')
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])
    assert "fake line" not in json_logs.text


@pytest.mark.django_db
def test_every_record_inside_a_request_carries_its_id(json_logs, agent_a):
    user = agent_a
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection):  # SQL is logged only while queries are captured
        response = client.get("/agent/", HTTP_X_REQUEST_ID="trace-0001-abcd")
    assert response.status_code == 200
    inside = [r for r in json_logs.records() if r.get("request_id") == "trace-0001-abcd"]
    # SQL statements of the request and its access line, at least.
    assert {r["logger"] for r in inside} >= {"django.db.backends", "kefu.request"}
    outside = [r for r in json_logs.records() if r["logger"] == "django.db.backends"]
    assert all(r.get("request_id") in (None, "trace-0001-abcd") for r in outside)


@pytest.mark.django_db
def test_passwords_and_tokens_in_requests_never_reach_the_logs(json_logs):
    CustomerUserFactory(email="logs.customer@kefu.test", password=PASSWORD)
    client = Client()
    client.get("/login")
    client.post("/login", {"username": "logs.customer@kefu.test", "password": PASSWORD})
    client.post("/login", {"username": "logs.customer@kefu.test", "password": PASSWORD + "x"})
    Client().get(f"/help/?token={TOKEN}&password={PASSWORD}")
    Client().get(f"/no-such-page/?api_key={API_KEY}", HTTP_AUTHORIZATION=f"Bearer {API_KEY}")
    Client().get("/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {API_KEY}")
    Client().get(f"/csat/r/{TOKEN}/")  # a signed survey link: the token is in the path
    Client().get(f"/help/status/confirm/{TOKEN}")
    Client().post(
        "/api/v1/conversations",
        data=json.dumps({"subject": "s", "body": f"my password={PASSWORD}"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    records = json_logs.records()
    access = [r for r in records if r["logger"] == "kefu.request"]
    assert len(access) == 9
    assert {"/csat/r/[redacted]/", "/help/status/confirm/[redacted]"} <= {r["path"] for r in access}
    # Django's own "Gone: /path" / "Not Found: /path" lines, written after the middleware
    # finished, still carry the request id and no token.
    django_lines = [r for r in records if r["logger"] == "django.request"]
    assert django_lines
    assert all(r.get("request_id") for r in django_lines)
    for secret in (PASSWORD, TOKEN, API_KEY):
        assert secret not in json_logs.text


def test_redaction_scrubs_credential_pairs_and_bearer_tokens():
    text = (
        f"login password={PASSWORD} api_key: {API_KEY} "
        f'{{"token": "{TOKEN}"}} Authorization: Bearer {TOKEN} ok=1'
    )
    clean = redact(text)
    for secret in (PASSWORD, TOKEN, API_KEY):
        assert secret not in clean
    assert clean.startswith("login password=[redacted] api_key: [redacted]")
    assert clean.endswith("ok=1")


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "kefu.test", "levelname": "WARNING", "levelno": 30, "msg": msg, "args": args}
    )
    record.__dict__.update(extra)
    ContextFilter().filter(record)
    return record


def test_json_formatter_writes_one_object_with_extras_and_a_scrubbed_traceback():
    try:
        raise ValueError(f"bad secret={PASSWORD}")
    except ValueError:
        import sys

        record = _record("delivery %s failed", 42, channel="telegram", request=object())
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "delivery 42 failed"
    assert entry["level"] == "WARNING"
    assert entry["channel"] == "telegram"
    assert "request" not in entry
    assert "ValueError" in entry["exc"]
    assert PASSWORD not in line


def test_plain_formatter_shows_ids_and_scrubs():
    from kefu.core.observability.context import request_id_var

    token = request_id_var.set("plain-req-0001")
    try:
        record = _record("user sent password=%s", PASSWORD)
    finally:
        request_id_var.reset(token)
    line = PlainFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING user sent password=[redacted] [request_id=plain-req-0001]"


@task()
def _logging_job(note: str) -> str:
    logging.getLogger("kefu.test.job").info("job says %s", note)
    return note


@pytest.mark.django_db
def test_background_job_log_lines_carry_the_job_id(json_logs):
    result = _logging_job.enqueue(note="hello")
    lines = [r for r in json_logs.records() if r["logger"] == "kefu.test.job"]
    assert [(r["message"], r["job_id"]) for r in lines] == [("job says hello", str(result.id))]
    assert "request_id" not in lines[0]
    # Cleared afterwards: the next record has no job id.
    logging.getLogger("kefu.test.job").info("after")
    assert "job_id" not in json_logs.records()[-1]
