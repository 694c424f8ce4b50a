"""``kefu retention run [--dry-run]``: apply the data-retention policy now and print what was
(or, with ``--dry-run``, would be) removed. The worker does the same every hour."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kefu.core.actor import Actor
from kefu.privacy.services.retention import BATCH, retention_enforce


class Command(BaseCommand):
    help = "Apply the data-retention policy (see docs/subsystems/privacy.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="purge what the policy says is past its time")
        run.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        run.add_argument(
            "--batch", type=int, default=BATCH, help="conversations per kind of content"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry = bool(options["dry_run"])
        report = retention_enforce(
            actor=Actor.system("retention cli"), dry_run=dry, batch=options["batch"]
        )
        verb = "Would remove" if dry else "Removed"
        if report.message_cutoff is None and report.attachment_cutoff is None:
            self.stdout.write("The retention policy keeps everything: nothing to do.")
            return
        if report.message_cutoff is not None:
            self.stdout.write(
                f"{verb} the text of {report.messages_purged} messages in "
                f"{len(report.conversations_with_messages_purged)} conversations "
                f"closed before {report.message_cutoff}"
            )
        if report.attachment_cutoff is not None:
            self.stdout.write(
                f"{verb} {report.attachments_purged} attachments ({report.attachment_bytes} "
                f"bytes) in {len(report.conversations_with_attachments_purged)} conversations "
                f"closed before {report.attachment_cutoff}"
            )
        if report.skipped_for_legal_hold:
            self.stdout.write(
                f"Skipped {report.skipped_for_legal_hold} conversations under a legal hold"
            )
