"""``kefu channel-check VALUE``: is VALUE one of the exchange's official channels?

Prints the verdict as JSON (``verdict``, ``kind``, ``resembles``, ``reason``, plus
``explanation`` in ``--lang``) and exits 0; exits 2 with a message when VALUE cannot be read.
"""
# ruff: noqa: N999 - the command's name has a dash, like the other kefu commands people type

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from kefu.helpcenter.languages import best_language
from kefu.trust import reasons, selectors
from kefu.trust.check import check
from kefu.trust.normalise import InvalidValue


class Command(BaseCommand):
    help = "Check a website, email address, phone number, account or staff id against the registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("value")
        parser.add_argument("--lang", default="en", help="language of the explanation")

    def handle(self, *args: Any, **options: Any) -> None:
        lang = best_language(options["lang"])
        with translation.override(lang):
            try:
                verdict = check(options["value"], registry=selectors.registry(language=lang))
            except InvalidValue as exc:
                self.stderr.write(f"error: {reasons.input_error(exc)} ({exc.code})")
                raise SystemExit(2) from exc
            result = {**verdict.as_dict(), "explanation": reasons.explain(verdict)}
        self.stdout.write(json.dumps(result, ensure_ascii=False))
