"""System check: a misconfigured exchange connector stops start-up (``kefu check``) instead of
failing on the first lookup."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from kefu.exchange import registry


@register()
def exchange_connector_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="exchange.E001") for problem in registry.configuration_problems()]
