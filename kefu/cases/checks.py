"""Deployment check: identity documents should be sealed under their own key from the
environment, not one derived from SECRET_KEY (``kefu check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register

from kefu.cases import documents


@register(deploy=True)
def document_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not documents.uses_derived_key():
        return []
    return [
        Warning(
            "Identity documents of verified cases are encrypted with a key derived from "
            "SECRET_KEY.",
            hint="Set KEFU_CASE_DOCUMENT_KEYS to a long random secret (comma-separated to "
            "rotate: the first encrypts, all decrypt).",
            id="cases.W001",
        )
    ]
