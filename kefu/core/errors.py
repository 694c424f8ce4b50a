"""Typed application errors. One handler per transport maps them to a response shape."""

from __future__ import annotations

from typing import Any


class KefuError(Exception):
    """Base class: carries a stable machine code, a human message and optional field errors."""

    code = "error"
    status = 400

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message or self.code)
        self.message = str(message or self.code)
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(KefuError):
    code = "validation_failed"
    status = 422


class NotFound(KefuError):
    code = "not_found"
    status = 404


class PermissionDenied(KefuError):
    code = "permission_denied"
    status = 403


class InvalidTransition(KefuError):
    code = "invalid_transition"
    status = 409


class Conflict(KefuError):
    code = "conflict"
    status = 409


class RateLimited(KefuError):
    code = "rate_limited"
    status = 429


class StorageUnavailable(KefuError):
    """A file could not be written (disk full, storage service down); nothing was stored."""

    code = "storage_unavailable"
    status = 503


class RetryableError(Exception):
    """An external failure worth retrying later (timeouts, 5xx, connection errors)."""


class PermanentError(Exception):
    """An external failure that will not succeed on retry (4xx, bad data)."""
