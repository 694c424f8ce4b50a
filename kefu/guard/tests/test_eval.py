"""The dataset's targets, measured on the test split: an honest check of the rules."""

from __future__ import annotations

import json

from kefu.guard.data.build_dataset import build, import_fresh
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
        # A challenge-set row may say why it is labelled as it is.
        assert (
            {"id", "text", "lang", "findings"}
            <= set(row)
            <= {
                "id",
                "text",
                "lang",
                "findings",
                "note",
            }
        )
        assert row["lang"] in {"en", "zh", "mixed"}
        for finding in row["findings"]:
            assert 0 <= finding["start"] < finding["end"] <= len(row["text"])
    for row in outbound:
        assert set(row) == {"id", "text", "lang", "asks_for"}
    for direction in ("inbound", "outbound"):
        ids = [{row["id"] for row in load(direction, split)} for split in ("dev", "test", "fresh")]
        assert ids[0].isdisjoint(ids[1])
        assert ids[0].isdisjoint(ids[2])
        assert ids[1].isdisjoint(ids[2])
        assert len(load(direction, "all")) == sum(map(len, ids))


def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path):
    counts = build(tmp_path)
    generated = sum(len(load(d, s)) for d in ("inbound", "outbound") for s in ("dev", "test"))
    assert sum(counts.values()) == generated
    for name in ("inbound_dev", "inbound_test", "outbound_dev", "outbound_test"):
        fresh = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8")
        assert fresh == (DATA / f"{name}.jsonl").read_text(encoding="utf-8"), name
        json.loads(fresh.splitlines()[0])
    # The challenge set is a static input: the builder neither writes nor needs it.
    assert not (tmp_path / "inbound_fresh.jsonl").exists()
    assert not (tmp_path / "outbound_fresh.jsonl").exists()


def test_fresh_split_is_the_imported_challenge_set(tmp_path):
    inbound = load("inbound", "fresh")
    outbound = load("outbound", "fresh")
    assert len(inbound) == 286
    assert len(outbound) == 131
    assert all(row["id"].startswith("f-in-") for row in inbound)
    assert all(row["id"].startswith("f-out-") for row in outbound)
    # Re-importing the committed rows (values back from offsets) reproduces the files.
    source = tmp_path / "challenge"
    source.mkdir()
    raw_in = []
    for row in inbound:
        secrets = [
            {"kind": f["kind"], "value": row["text"][f["start"] : f["end"]]}
            for f in row["findings"]
        ]
        raw = {"id": row["id"], "lang": row["lang"], "text": row["text"], "secrets": secrets}
        if "note" in row:
            raw["note"] = row["note"]
        raw_in.append(json.dumps(raw, ensure_ascii=False))
    (source / "inbound.jsonl").write_text("\n".join(raw_in) + "\n", encoding="utf-8")
    (source / "outbound.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in outbound), encoding="utf-8"
    )
    out = tmp_path / "out"
    out.mkdir()
    assert import_fresh(source, out) == {"inbound_fresh": 286, "outbound_fresh": 131}
    for name in ("inbound_fresh", "outbound_fresh"):
        assert (out / f"{name}.jsonl").read_text(encoding="utf-8") == (
            DATA / f"{name}.jsonl"
        ).read_text(encoding="utf-8")


def test_targets_hold_on_the_fresh_split():
    report = evaluate("fresh")
    assert report.failures == [], report.errors
    assert report.fp_overall <= 0.005
