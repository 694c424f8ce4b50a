from __future__ import annotations

from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The stored answer to a create request, replayed when the same key is sent again."""

    scope = models.CharField(max_length=64)  # who sent it, e.g. "apikey:3"
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField()  # the exact JSON bytes sent, replayed verbatim
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


POLICY_VERSION_PK = 1


def _new_token() -> str:
    import secrets

    return secrets.token_hex(16)


class PolicyVersion(models.Model):
    """One row: a random token that database triggers replace on every write to a policy
    table, so per-process caches of policy rows know when to reload (kefu.core.policy_cache)."""

    token = models.CharField(max_length=36, default=_new_token)

    def __str__(self) -> str:
        return self.token
