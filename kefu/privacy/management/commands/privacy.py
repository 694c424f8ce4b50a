"""``kefu privacy export CONTACT [-o FILE]`` and ``kefu privacy erase CONTACT --yes``: a
customer's data export and erasure from the command line (CONTACT is an email, an exchange
account id or ``#<contact id>``). Both are audited as system actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.contacts.models import Contact
from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from kefu.privacy.services.erasure import customer_erase
from kefu.privacy.services.export import customer_export


def find_contact(value: str) -> Contact:
    text = value.strip()
    found: Contact | None = None
    if text.startswith("#") and text[1:].isdigit():
        found = Contact.objects.filter(pk=int(text[1:])).first()
    else:
        found = (
            Contact.objects.filter(email__iexact=text).first()
            or Contact.objects.filter(uid=text).first()
        )
    if found is None:
        raise CommandError(f"no customer matches {value!r}")
    return found


class Command(BaseCommand):
    help = "Export or erase one customer's personal data (see docs/subsystems/privacy.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the customer's data export (JSON)")
        export.add_argument("contact")
        export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
        erase = sub.add_parser("erase", help="erase the customer's personal data")
        erase.add_argument("contact")
        erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")

    def handle(self, *args: Any, **options: Any) -> None:
        contact = find_contact(options["contact"])
        actor = Actor.system("privacy cli")
        try:
            if options["action"] == "export":
                data = customer_export(contact=contact, actor=actor)
                output: Path | None = options["output"]
                if output is None:
                    self.stdout.write(data.decode("utf-8"))
                else:
                    output.write_bytes(data)
                    self.stdout.write(f"Wrote {len(data)} bytes to {output}")
                return
            if not options["yes"]:
                raise CommandError("erasure cannot be undone: add --yes to confirm")
            summary = customer_erase(contact=contact, actor=actor)
        except KefuError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write("Erased: " + json.dumps(summary, sort_keys=True))
