"""Score the current guard on a blind set: ``python -m kefu.guard.data.holdout.score [-v] [DIR]``.

DIR holds ``inbound.jsonl`` (rows with ``secrets: [{kind, value}]``) and ``outbound.jsonl``
(rows with ``asks_for``); by default this folder's ``*_blind4.jsonl``. A labelled secret counts
as found when any finding overlaps it (what matters is that it is redacted).
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from kefu.guard.detect import scan
    from kefu.guard.outbound import check_outbound

    verbose = "-v" in argv
    folder = next((Path(a) for a in argv if not a.startswith("-")), None)
    here = Path(__file__).resolve().parent
    inbound = folder / "inbound.jsonl" if folder else here / "inbound_blind4.jsonl"
    outbound = folder / "outbound.jsonl" if folder else here / "outbound_blind4.jsonl"
    found: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    clean = flagged = 0
    misses = []
    for row in map(json.loads, inbound.read_text(encoding="utf-8").splitlines()):
        spans = [(f.start, f.end) for f in scan(row["text"]).findings]
        for secret in row["secrets"]:
            start = row["text"].find(secret["value"])
            end = start + len(secret["value"])
            total[secret["kind"]] += 1
            if any(a < end and start < b for a, b in spans):
                found[secret["kind"]] += 1
            else:
                misses.append((row["id"], secret["kind"]))
        if not row["secrets"]:
            clean += 1
            flagged += bool(spans)
    print("inbound recall:", {k: f"{found[k]}/{total[k]}" for k in sorted(total)})
    print(f"messages without a secret flagged: {flagged}/{clean}")
    asks = blocked = safe = false_blocks = 0
    for row in map(json.loads, outbound.read_text(encoding="utf-8").splitlines()):
        hit = check_outbound(row["text"]) is not None
        if row["asks_for"]:
            asks += 1
            blocked += hit
        else:
            safe += 1
            false_blocks += hit
    print(f"outbound: blocked {blocked}/{asks} asks; false blocks {false_blocks}/{safe}")
    if verbose:
        print("missed:", misses)


if __name__ == "__main__":
    main(sys.argv[1:])
