"""System checks: a configured signing key or retired key that does not parse stops start-up
(``kefu check``) instead of failing on the first download."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from kefu.transcripts import keys


@register()
def transcript_keys_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    try:
        keys.configured_keys_valid()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="transcripts.E001"))
    return errors
