"""``kefu transcript verify FILE``, ``kefu transcript public-key`` and
``kefu transcript generate-key``.

``verify`` prints the result as JSON and exits 0 when the file is valid, 1 when it is not, and
2 when the file cannot be read (or the command line is wrong).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.transcripts.keys import private_key_pem, signing_key
from kefu.transcripts.verify import max_bytes, verify_bytes

EXIT_INVALID = 1
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Verify signed conversation transcripts and show the public signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "verify", help="check that FILE is an authentic, unaltered transcript"
        )
        check.add_argument("file", type=Path)
        sub.add_parser("public-key", help="print the current public key (PEM)")
        sub.add_parser(
            "generate-key",
            help="print a new private key (PEM) for KEFU_TRANSCRIPT_SIGNING_KEY; nothing is saved",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "public-key":
            self.stdout.write(signing_key().public.pem, ending="")
        elif action == "generate-key":
            self.stdout.write(private_key_pem(Ed25519PrivateKey.generate()).decode(), ending="")
        else:
            self._verify(options["file"])

    def _verify(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes() + 1)
        except OSError as exc:
            raise CommandError(
                f"cannot read {path}: {exc.strerror or exc}", returncode=EXIT_UNREADABLE
            ) from None
        result = verify_bytes(data)
        self.stdout.write(json.dumps({"file": str(path), **result.as_dict()}, ensure_ascii=False))
        if not result.valid:
            raise CommandError(f"{path} is not a valid transcript", returncode=EXIT_INVALID)
