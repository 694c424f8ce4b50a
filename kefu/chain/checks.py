"""System check: a malformed KEFU_CHAIN_RPC stops start-up (``kefu check``) instead of failing
on the first lookup."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from kefu.chain import config


@register()
def chain_rpc_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="chain.E001") for problem in config.configuration_problems()]
