"""``kefu twofactor_rekey``: after changing SECRET_KEY (old key in SECRET_KEY_FALLBACKS),
re-encrypt every authenticator secret with the new key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kefu.accounts.twofactor import totp_rekey_all


class Command(BaseCommand):
    help = "Re-encrypt authenticator secrets that are still under a fallback secret key."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = totp_rekey_all()
        self.stdout.write(f"Re-encrypted {changed} authenticator secret(s).")
