"""``manage.py audit verify`` and ``manage.py audit head``: exit codes and what they print."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kefu.audit.tests.conftest import stored_hash, tamper


def run(*args: str) -> tuple[int, dict, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue()), err.getvalue()


def test_head_prints_the_newest_entry(five_entries):
    code, head, _ = run("head")

    assert code == 0
    assert (head["seq"], head["hash"]) == (5, five_entries[-1].hash)
    assert head["created_at"] == five_entries[-1].created_at.isoformat()


def test_verify_exits_0_on_an_intact_chain(five_entries):
    code, report, err = run("verify")

    assert (code, report["ok"], report["entries"], err) == (0, True, 5, "")


def test_verify_exits_1_and_names_the_first_bad_entry(five_entries):
    tamper("UPDATE audit_auditentry SET action = 'thing.other' WHERE seq = 3")

    code, report, err = run("verify")

    assert (code, report["ok"]) == (1, False)
    assert report["problems"][0] == {
        "seq": 3,
        "problem": "altered",
        "detail": "its fields do not match its hash",
    }
    assert "seq 3: altered" in err


def test_verify_checks_the_chain_against_an_anchor(five_entries):
    anchor = f"4:{stored_hash(4)}"

    assert run("verify", "--anchor", anchor)[0] == 0

    tamper("DELETE FROM audit_auditentry WHERE seq >= 4")
    tamper("UPDATE audit_auditchainhead SET seq = 3, hash = %s", [stored_hash(3)])
    code, report, err = run("verify", "--anchor", anchor)

    assert code == 1
    assert report["problems"] == [
        {"seq": 4, "problem": "anchor_mismatch", "expected": anchor[2:], "found": None}
    ]
    assert "seq 4: anchor_mismatch" in err


def test_a_head_printed_earlier_is_a_valid_anchor(five_entries):
    _, head, _ = run("head")

    assert run("verify", "--anchor", f"{head['seq']}:{head['hash']}")[0] == 0


def test_a_malformed_anchor_is_a_command_error(db):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("audit", "verify", "--anchor", "12:abc", stdout=StringIO())
