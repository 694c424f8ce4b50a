"""Who may do what in the forum. Every active staff member moderates posts and threads;
muting and banning people is for supervisors and admins."""

from __future__ import annotations

from kefu.accounts import permissions
from kefu.accounts.models import User


def can_moderate(user: User) -> bool:
    return bool(user.is_active and user.is_agent)


def can_sanction(user: User) -> bool:
    return bool(user.is_active and permissions.can_manage_staff(user))


def can_promote(user: User) -> bool:
    return bool(user.is_active and permissions.can_write_kb(user))
