"""The dataset's targets, measured on the test split: an honest check of the rules."""

from __future__ import annotations

import json

from kefu.guard.data.build_dataset import build
from kefu.guard.evaluate import DATA, evaluate, load


def test_targets_hold_on_the_test_split():
    report = evaluate("test")
    assert report.failures == [], report.errors
    assert report.kinds["seed_phrase"]["recall"] >= 0.99
    assert report.kinds["private_key"]["recall"] >= 0.99
    assert report.fp_overall <= 0.005


def test_dataset_size_and_shape():
    inbound = load("inbound", "all")
    outbound = load("outbound", "all")
    assert len(inbound) >= 600
    assert len(outbound) >= 200
    assert sum(row["id"].startswith("hw-") for row in inbound + outbound) >= 150
    for row in inbound:
        assert set(row) == {"id", "text", "lang", "findings"}
        assert row["lang"] in {"en", "zh", "mixed"}
        for finding in row["findings"]:
            assert 0 <= finding["start"] < finding["end"] <= len(row["text"])
    for row in outbound:
        assert set(row) == {"id", "text", "lang", "asks_for"}
    assert {row["id"] for row in load("inbound", "dev")}.isdisjoint(
        row["id"] for row in load("inbound", "test")
    )


def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path):
    counts = build(tmp_path)
    assert sum(counts.values()) == len(load("inbound", "all")) + len(load("outbound", "all"))
    for name in ("inbound_dev", "inbound_test", "outbound_dev", "outbound_test"):
        fresh = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8")
        assert fresh == (DATA / f"{name}.jsonl").read_text(encoding="utf-8"), name
        json.loads(fresh.splitlines()[0])
