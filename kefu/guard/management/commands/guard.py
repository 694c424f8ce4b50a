"""``kefu guard scan`` and ``kefu guard eval``: the secret guard from the command line.

``scan`` reads one message a line on stdin and writes one JSON object a line; ``eval`` measures
the detectors on the labelled dataset and exits 1 when a target is missed
(docs/subsystems/guard.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser

from kefu.guard.detect import scan
from kefu.guard.evaluate import SPLITS, Report, evaluate


class Command(BaseCommand):
    help = "Scan messages for secrets, or measure the secret guard on its dataset."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "scan",
            help="read one message per line on stdin; write {findings, redacted} JSON per line",
        )
        ev = sub.add_parser(
            "eval", help="per-kind recall, precision and false-positive rate; exit 1 on a miss"
        )
        ev.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
        ev.add_argument("--json", action="store_true", help="print the report as JSON")
        ev.add_argument(
            "--show-errors", action="store_true", help="list every missed or wrong finding"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "scan":
            self._scan(options.get("stdin") or sys.stdin)
            return
        report = evaluate(options["split"])
        if options["json"]:
            data = report.as_dict()
            if options["show_errors"]:
                data["errors"] = report.errors
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self._print(report, show_errors=options["show_errors"])
        if not report.ok:
            raise SystemExit(1)

    def _scan(self, stdin: TextIO) -> None:
        for line in stdin:
            text = line.rstrip("\r\n")
            result = scan(text)
            findings = [{"kind": f.kind, "start": f.start, "end": f.end} for f in result.findings]
            self.stdout.write(
                json.dumps({"findings": findings, "redacted": result.redacted}, ensure_ascii=False)
            )

    def _print(self, report: Report, *, show_errors: bool) -> None:
        write = self.stdout.write
        write(f"split: {report.split}   inbound messages: {report.messages}")
        write(f"{'kind':<12} {'labelled':>8} {'recall':>8} {'precision':>9} {'fp rate':>8}")
        for kind, m in report.kinds.items():
            write(
                f"{kind:<12} {m['labelled']:>8} {m['recall']:>8.2%} {m['precision']:>9.2%} "
                f"{m['fp_rate']:>8.2%}"
            )
        write(
            f"overall false-positive rate: {report.fp_overall:.2%} "
            f"({report.clean_messages} messages without a secret)"
        )
        o = report.outbound
        write(
            f"outbound: {o['messages']} messages, block recall {o['block_recall']:.2%}, "
            f"kind accuracy {o['kind_accuracy']:.2%}, false-block rate {o['false_block_rate']:.2%}"
        )
        if show_errors:
            for error in report.errors:
                write(json.dumps(error, ensure_ascii=False))
        write("targets: " + ("all met" if report.ok else "MISSED: " + "; ".join(report.failures)))
