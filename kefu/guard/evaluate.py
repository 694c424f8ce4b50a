"""Measure ``scan`` and ``check_outbound`` on the labelled dataset in ``kefu/guard/data``.

A labelled finding is *found* when a finding of the same kind overlaps it (the exact edges of a
span are a matter of taste: "Hunter22!" or "Hunter22"); a finding is *correct* when it overlaps a
labelled finding of its kind. The false-positive rate of a kind is the share of messages without
that kind of secret that got a finding of it; the overall false-positive rate is the share of
messages without any secret that got any finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.guard.detect import KINDS, scan
from kefu.guard.outbound import check_outbound

DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("dev", "test")

# The targets `kefu guard eval` enforces.
TARGET_RECALL = {"seed_phrase": 0.99, "private_key": 0.99}
TARGET_FP_OVERALL = 0.005
TARGET_BLOCK_RECALL = 0.95
TARGET_FALSE_BLOCK = 0.02


def load(direction: str, split: str) -> list[dict[str, Any]]:
    """Rows of ``inbound`` or ``outbound`` for ``dev``, ``test`` or ``all``."""
    splits = SPLITS if split == "all" else (split,)
    rows: list[dict[str, Any]] = []
    for name in splits:
        path = DATA / f"{direction}_{name}.jsonl"
        rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return rows


def _overlaps(a: dict[str, Any], b: tuple[str, int, int]) -> bool:
    return bool(a["kind"] == b[0] and a["start"] < b[2] and b[1] < a["end"])


@dataclass
class Report:
    split: str
    messages: int = 0
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)
    fp_overall: float = 0.0
    clean_messages: int = 0
    outbound: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "inbound": {
                "messages": self.messages,
                "messages_without_secret": self.clean_messages,
                "fp_rate_overall": round(self.fp_overall, 4),
                "kinds": self.kinds,
            },
            "outbound": self.outbound,
            "targets_missed": self.failures,
            "ok": self.ok,
        }


def evaluate(split: str = "dev") -> Report:
    """Run both detectors over ``split`` and check the targets."""
    report = Report(split)
    rows = load("inbound", split)
    report.messages = len(rows)
    gold_n = dict.fromkeys(KINDS, 0)
    found_n = dict.fromkeys(KINDS, 0)
    pred_n = dict.fromkeys(KINDS, 0)
    correct_n = dict.fromkeys(KINDS, 0)
    without = dict.fromkeys(KINDS, 0)
    fp_msgs = dict.fromkeys(KINDS, 0)
    clean = clean_flagged = 0
    for row in rows:
        gold = row["findings"]
        predicted = [(f.kind, f.start, f.end) for f in scan(row["text"]).findings]
        for g in gold:
            gold_n[g["kind"]] += 1
            if any(_overlaps(g, p) for p in predicted):
                found_n[g["kind"]] += 1
            else:
                report.errors.append(
                    {"id": row["id"], "error": "missed", "kind": g["kind"], "text": row["text"]}
                )
        for p in predicted:
            pred_n[p[0]] += 1
            if any(_overlaps(g, p) for g in gold):
                correct_n[p[0]] += 1
            else:
                report.errors.append(
                    {
                        "id": row["id"],
                        "error": "false_positive",
                        "kind": p[0],
                        "value": row["text"][p[1] : p[2]],
                        "text": row["text"],
                    }
                )
        gold_kinds = {g["kind"] for g in gold}
        pred_kinds = {p[0] for p in predicted}
        for kind in KINDS:
            if kind not in gold_kinds:
                without[kind] += 1
                fp_msgs[kind] += kind in pred_kinds
        if not gold:
            clean += 1
            clean_flagged += bool(predicted)
    for kind in KINDS:
        report.kinds[kind] = {
            "labelled": gold_n[kind],
            "recall": round(found_n[kind] / gold_n[kind], 4) if gold_n[kind] else 1.0,
            "precision": round(correct_n[kind] / pred_n[kind], 4) if pred_n[kind] else 1.0,
            "fp_rate": round(fp_msgs[kind] / without[kind], 4) if without[kind] else 0.0,
        }
    report.clean_messages = clean
    report.fp_overall = clean_flagged / clean if clean else 0.0

    out_rows = load("outbound", split)
    asks = [r for r in out_rows if r["asks_for"]]
    safe = [r for r in out_rows if not r["asks_for"]]
    blocked = right_kind = false_blocks = 0
    for row in asks:
        hit = check_outbound(row["text"])
        blocked += hit is not None
        right_kind += hit is not None and hit.kind == row["asks_for"]
        if hit is None:
            report.errors.append({"id": row["id"], "error": "not_blocked", "text": row["text"]})
    for row in safe:
        if check_outbound(row["text"]) is not None:
            false_blocks += 1
            report.errors.append({"id": row["id"], "error": "false_block", "text": row["text"]})
    report.outbound = {
        "messages": len(out_rows),
        "asking": len(asks),
        "block_recall": round(blocked / len(asks), 4) if asks else 1.0,
        "kind_accuracy": round(right_kind / len(asks), 4) if asks else 1.0,
        "false_block_rate": round(false_blocks / len(safe), 4) if safe else 0.0,
    }

    for kind, target in TARGET_RECALL.items():
        if report.kinds[kind]["recall"] < target:
            report.failures.append(f"{kind} recall {report.kinds[kind]['recall']} < {target}")
    if report.fp_overall > TARGET_FP_OVERALL:
        report.failures.append(f"overall fp rate {report.fp_overall:.4f} > {TARGET_FP_OVERALL}")
    if report.outbound["block_recall"] < TARGET_BLOCK_RECALL:
        report.failures.append(
            f"outbound block recall {report.outbound['block_recall']} < {TARGET_BLOCK_RECALL}"
        )
    if report.outbound["false_block_rate"] > TARGET_FALSE_BLOCK:
        report.failures.append(
            f"outbound false-block rate {report.outbound['false_block_rate']} > "
            f"{TARGET_FALSE_BLOCK}"
        )
    return report
