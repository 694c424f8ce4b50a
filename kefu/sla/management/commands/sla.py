"""``kefu sla import-holidays FILE --calendar NAME`` (CSV or iCalendar, see kefu.sla.importing)
and ``kefu sla evaluate`` (one run of the SLA worker now)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import ValidationFailed
from kefu.sla.models import BusinessCalendar


class Command(BaseCommand):
    help = "Import holidays into a business calendar, or evaluate SLA timers now."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        holidays = sub.add_parser(
            "import-holidays",
            help="import dated exceptions (holidays, make-up working days) from CSV or .ics",
        )
        holidays.add_argument("file", type=Path)
        holidays.add_argument("--calendar", required=True, help="the calendar's name")
        sub.add_parser("evaluate", help="warn on and breach due SLA timers now (as the worker)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "evaluate":
            from kefu.sla.worker import sla_evaluate

            result = sla_evaluate()
            self.stdout.write(
                json.dumps(
                    {
                        "warned": len(result.warned),
                        "breached": len(result.breached),
                        "escalated": len(result.escalated),
                    }
                )
            )
            return
        from kefu.sla import services

        calendar = BusinessCalendar.objects.filter(name__iexact=options["calendar"]).first()
        if calendar is None:
            raise CommandError(f"no calendar named {options['calendar']!r}")
        try:
            content = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        # The operator at the console acts with the system's authority; audited as such.
        actor = Actor(kind=ActorKind.SYSTEM, label="kefu sla import-holidays")
        try:
            count = services.calendar_import_exceptions(
                calendar=calendar, content=content, actor=actor, trusted=True
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc.fields or exc)) from exc
        self.stdout.write(f"imported {count} dates into {calendar.name}")
