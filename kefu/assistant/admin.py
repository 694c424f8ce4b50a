"""Django admin: assistant sessions, read-only (hand-off routes are edited in the backoffice,
through the audited services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kefu.assistant.models import AssistantSession


@admin.register(AssistantSession)
class AssistantSessionAdmin(admin.ModelAdmin[AssistantSession]):
    """Read-only: sessions are written by the chat integration only."""

    list_display = ("conversation", "active", "last_intent", "turns", "outcome", "updated_at")
    list_filter = ("active", "outcome")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
