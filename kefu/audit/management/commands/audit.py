"""``kefu audit verify [--anchor SEQ:HASH ...]`` and ``kefu audit head``: check the audit log's
hash chain, and print its head for recording outside the database."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.audit.verify import Anchor, audit_head, audit_verify


def _anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or print its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="recompute every entry's hash; exit 1 if anything was altered, deleted, "
            "reordered or inserted",
        )
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head printed earlier by 'kefu audit head' and kept outside the database; "
            "the chain must still contain it (repeatable)",
        )
        verify.add_argument("--chunk-size", type=int, default=2000, help=argparse.SUPPRESS)
        verify.add_argument(
            "--max-problems", type=int, default=20, help="how many problems to list (default 20)"
        )
        sub.add_parser("head", help="print the newest entry's number and hash as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            self.stdout.write(json.dumps(audit_head()))
            return
        anchors = [_anchor(text) for text in options["anchor"]]
        if options["chunk_size"] < 1 or options["max_problems"] < 1:
            raise CommandError("--chunk-size and --max-problems must be at least 1")
        report = audit_verify(
            anchors=anchors,
            chunk_size=options["chunk_size"],
            max_problems=options["max_problems"],
        )
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if not report.ok:
            first = report.problems[0]
            why = first.get("detail") or ", ".join(
                f"{k}={v}" for k, v in first.items() if k not in {"seq", "problem"}
            )
            self.stderr.write(
                f"audit chain broken at seq {first['seq']}: {first['problem']}"
                + (f" ({why})" if why else "")
                + f"; {report.problems_total} problem(s) in all"
            )
            raise SystemExit(1)
