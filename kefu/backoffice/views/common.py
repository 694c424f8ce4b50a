"""Shared bits of the backoffice views."""

from __future__ import annotations

from typing import Any

from kefu.accounts import permissions
from kefu.accounts.models import User


def page_context(me: User, section: str, **extra: Any) -> dict[str, Any]:
    """Template context every backoffice page needs (the section nav) plus ``extra``."""
    return {"section": section, "show_api_keys": permissions.can_manage_api_keys(me), **extra}
