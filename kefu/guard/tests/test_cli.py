from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from kefu.guard.detect import REDACTION, ScanResult


def test_scan_reads_lines_and_writes_one_json_object_per_line():
    stdin = io.StringIO("my password is Hunter22x\n验证码是 123456\nhello\n")
    out = io.StringIO()
    call_command("guard", "scan", stdin=stdin, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [
        {
            "findings": [{"kind": "password", "start": 15, "end": 24}],
            "redacted": f"my password is {REDACTION}",
        },
        {
            "findings": [{"kind": "otp_code", "start": 5, "end": 11}],
            "redacted": f"验证码是 {REDACTION}",
        },
        {"findings": [], "redacted": "hello"},
    ]
    assert "验证码" in out.getvalue()  # ensure_ascii=False


def test_eval_json_reports_every_kind_and_outbound():
    out = io.StringIO()
    call_command("guard", "eval", "--split", "dev", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] is True
    assert set(report["inbound"]["kinds"]) == {
        "seed_phrase",
        "private_key",
        "api_secret",
        "password",
        "otp_code",
    }
    for metrics in report["inbound"]["kinds"].values():
        assert set(metrics) == {"labelled", "recall", "precision", "fp_rate"}
    assert set(report["outbound"]) >= {"block_recall", "false_block_rate"}


def test_eval_exits_1_when_a_target_is_missed(monkeypatch):
    from kefu.guard import evaluate

    monkeypatch.setattr(evaluate, "scan", lambda text: ScanResult((), text))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("guard", "eval", "--split", "dev", stdout=out)
    assert exit_info.value.code == 1
    assert "MISSED" in out.getvalue()
