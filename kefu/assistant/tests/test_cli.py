"""``kefu assistant classify|eval|train --check`` on the shipped model."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.assistant.intents import INTENTS


def _classify(data: bytes) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assistant", "classify", stdin=io.BytesIO(data), stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_classify_writes_one_json_object_per_input_line():
    lines, _ = _classify(
        "USDT TRC20 提现没到账\n\nmy card got declined\r\n".encode() + b"x" * 50_000 + b"\n"
    )
    assert len(lines) == 4
    for result in lines:
        assert set(result) == {"intent", "confidence", "language"}
        assert result["intent"] in INTENTS
        assert 0 <= result["confidence"] <= 1
    assert lines[0]["language"] == "zh"
    assert lines[1] == {"intent": "other", "confidence": 1.0, "language": "en"}  # blank line
    assert lines[2]["language"] == "en"


def test_classify_keeps_chinese_readable():
    out = io.StringIO()
    call_command("assistant", "classify", stdin=io.StringIO("你好\n"), stdout=out)
    assert json.loads(out.getvalue())["language"] == "zh"


def test_classify_reports_invalid_utf8_and_goes_on():
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 line\\(s\\) were not valid UTF-8"):
        call_command(
            "assistant",
            "classify",
            stdin=io.BytesIO(b"hello\n\xff\xfe broken\nmy card\n"),
            stdout=out,
            stderr=err,
        )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 3
    assert lines[1] == {"error": "invalid_utf8", "line": 2}
    assert "line 2: not valid UTF-8" in err.getvalue()


def _eval(*args: str) -> tuple[str, object]:
    """Output and exit code of ``kefu assistant eval`` (1 when a target is missed)."""
    out = io.StringIO()
    code: object = 0
    try:
        call_command("assistant", "eval", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return out.getvalue(), code


def test_eval_json_reports_languages_intents_and_confusion(tmp_path):
    data = tmp_path / "mini.jsonl"
    rows = [
        {"text": "my card was declined", "intent": "card", "lang": "en"},
        {"text": "我的卡被拒绝了", "intent": "card", "lang": "zh"},
        {"text": "what is the capital of france", "intent": "other", "lang": "en"},
    ]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    output, code = _eval("--data", str(data), "--json")
    report = json.loads(output)
    assert report["examples"] == 3
    assert 0 <= report["calibration_error"] <= 1
    assert set(report["by_language"]) == {"en", "zh"}
    assert set(report["intents"]) == set(INTENTS)
    assert set(report["intents"]["card"]) == {"support", "precision", "recall", "f1"}
    assert report["intents"]["card"]["support"] == 2
    assert sum(sum(row.values()) for row in report["confusion"].values()) == 3
    assert report["ok"] == (not report["failures"])
    assert code == (0 if report["ok"] else 1)


def test_eval_text_prints_a_confusion_matrix(tmp_path):
    data = tmp_path / "mini.jsonl"
    data.write_text(json.dumps({"text": "my card was declined", "intent": "card", "lang": "en"}))
    text, _code = _eval("--data", str(data))
    assert "confusion (rows: true intent, columns: predicted)" in text
    assert "precision" in text
    assert "targets: " in text


def test_eval_with_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.jsonl"):
        call_command("assistant", "eval", "--data", str(tmp_path / "nope.jsonl"))


def test_train_check_passes_for_the_shipped_model():
    out = io.StringIO()
    call_command("assistant", "train", "--check", stdout=out)
    assert "matches" in out.getvalue()
