"""The ids a log record carries: the HTTP request id (or WebSocket connection id) and the job id.

Context variables, so they follow a request through ``sync_to_async`` hops and never leak from
one asyncio task (one socket) into another.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

request_id_var: ContextVar[str] = ContextVar("kefu_request_id", default="")
job_id_var: ContextVar[str] = ContextVar("kefu_job_id", default="")
# Credentials in the current request's URL (a signed link's token): scrubbed from every record,
# including Django's own "Not Found: /path" lines.
secret_values_var: ContextVar[tuple[str, ...]] = ContextVar("kefu_secret_values", default=())

# A request id from a client or a load balancer is accepted only if it looks like one: short,
# no spaces or control characters, so it cannot forge log lines or carry a payload.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def new_id() -> str:
    return uuid.uuid4().hex


def accept_or_new(candidate: str | None) -> str:
    """The caller's id when it is well-formed, else a fresh one."""
    if candidate and _VALID_ID.fullmatch(candidate):
        return candidate
    return new_id()


def bind_request_id(value: str) -> Token[str]:
    return request_id_var.set(value)


def bind_job_id(value: str) -> Token[str]:
    return job_id_var.set(value)
