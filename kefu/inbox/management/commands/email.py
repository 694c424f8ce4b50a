"""``kefu email smtpd [--host H] [--port P]``: run the built-in SMTP receiver;
``kefu email poll [--mailbox ADDRESS]``: poll the due IMAP mailboxes (or one, now).

See docs/subsystems/email-transports.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.inbox import mailboxes
from kefu.inbox.adapters.email.smtpd import SmtpReceiver
from kefu.inbox.models import EmailMailbox


class Command(BaseCommand):
    help = "Email transports: run the SMTP receiver, or poll IMAP mailboxes once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        smtpd = sub.add_parser("smtpd", help="receive mail over SMTP (an MX or a relay's next hop)")
        smtpd.add_argument("--host", default="127.0.0.1", help="address to listen on")
        smtpd.add_argument("--port", type=int, default=2525, help="port to listen on")
        poll = sub.add_parser("poll", help="poll IMAP mailboxes once")
        poll.add_argument("--mailbox", help="poll this mailbox now, even if it is not due")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "smtpd":
            receiver = SmtpReceiver(host=options["host"], port=options["port"])
            self.stdout.write(
                f"Receiving mail on {options['host']}:{options['port']} (Ctrl-C stops)"
            )
            receiver.serve_forever()
            return
        if options["mailbox"]:
            mailbox = EmailMailbox.objects.filter(
                address=options["mailbox"].strip().lower()
            ).first()
            if mailbox is None:
                raise CommandError(f"no mailbox {options['mailbox']}")
            EmailMailbox.objects.filter(pk=mailbox.pk, enabled=True).update(next_poll_at=None)
            outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk)
            outcomes = [] if outcome is None else [outcome]
            if outcome is None:
                self.stdout.write(f"{mailbox.address}: disabled, or being polled by a worker")
        else:
            outcomes = mailboxes.mailboxes_poll_due()
        failed = 0
        for o in outcomes:
            if o.ok:
                note = f"; {o.error}" if o.error else ""
                self.stdout.write(f"{o.address}: {o.delivered} message(s) stored{note}")
            else:
                failed += 1
                self.stdout.write(f"{o.address}: failed: {o.error}")
        self.stdout.write(f"Polled {len(outcomes)} mailbox(es).")
        if failed:
            raise CommandError(f"{failed} mailbox(es) failed")
