"""``kefu inbound replay --id N`` / ``--all-failed``: send failed channel events through the
pipeline again (audited as a system action), and ``kefu inbound list`` to see them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from kefu.inbox.inbound import inbound_replay
from kefu.inbox.models import InboundEvent, InboundState


class Command(BaseCommand):
    help = "List or replay failed inbound channel events (see docs/subsystems/channels.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list failed events")
        replay = sub.add_parser("replay", help="process failed events again")
        which = replay.add_mutually_exclusive_group(required=True)
        which.add_argument("--id", type=int, help="the event's id")
        which.add_argument("--all-failed", action="store_true", help="every failed event")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = InboundEvent.objects.filter(state=InboundState.FAILED).defer("payload")
        if options["action"] == "list":
            for event in failed.order_by("pk"):
                self.stdout.write(
                    f"{event.pk}\t{event.channel}\t{event.event_id}\t"
                    f"{event.attempts}\t{event.last_error}"
                )
            return
        events = list(failed.order_by("pk"))
        if options["id"] is not None:
            chosen = InboundEvent.objects.filter(pk=options["id"]).first()
            if chosen is None:
                raise CommandError(f"no inbound event {options['id']}")
            events = [chosen]
        actor = Actor.system("inbound cli")
        for event in events:
            try:
                replayed = inbound_replay(event=event, actor=actor)
            except KefuError as exc:
                raise CommandError(f"event {event.pk}: {exc.message}") from exc
            replayed.refresh_from_db()
            self.stdout.write(f"event {event.pk}: {replayed.state}")
        self.stdout.write(f"Replayed {len(events)} event(s).")
