"""``kefu twofactor_reset EMAIL --reason ...``: remove someone's authenticator from the server's
shell, for when no administrator can sign in (e.g. the only admin lost their phone)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.accounts.models import User
from kefu.accounts.twofactor import two_factor_reset
from kefu.core.actor import Actor
from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Reset a user's two-factor sign-in so they can enrol again (audited)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The user's email address.")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit log).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=str(options["email"]).strip().lower()).first()
        if user is None:
            raise CommandError("No user has that email address.")
        try:
            two_factor_reset(
                user=user, reason=str(options["reason"]), actor=Actor.system("kefu twofactor_reset")
            )
        except KefuError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Two-factor sign-in reset for {user.email}; they can enrol again.")
