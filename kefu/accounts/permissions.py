"""What each staff role may do. Policy that varies per exchange lives in the database; these
are the fixed capabilities of the roles themselves."""

from __future__ import annotations

from kefu.accounts.models import KbRole, Role, User

# The highest escalation tier each role works on (1 = L1 front line, 2 = L2 senior, 3 = management).
MAX_TIER = {Role.AGENT_L1: 1, Role.AGENT_L2: 2, Role.SUPERVISOR: 3, Role.ADMIN: 3}

API_SCOPES = (
    "customers:read",
    "customers:write",
    "conversations:read",
    "conversations:write",
)


def max_tier(user: User) -> int:
    return MAX_TIER.get(Role(user.role), 0) if user.role else 0


def sees_all(user: User) -> bool:
    """Supervisors and admins see every conversation; agents see their own and their teams'."""
    return user.is_agent and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_manage_staff(user: User) -> bool:
    return user.is_agent and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_manage_workspace(user: User) -> bool:
    """Tags, macros and teams."""
    return can_manage_staff(user)


def can_override_guard(user: User) -> bool:
    """Send a reply the secret guard blocked (one that asks for a password, code or key), with
    a reason that is audited."""
    return user.is_agent and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_write_kb(user: User) -> bool:
    """Write and edit help-center drafts and submit them for review."""
    return user.is_agent and (
        user.kb_role in (KbRole.AUTHOR, KbRole.EDITOR) or user.role in (Role.SUPERVISOR, Role.ADMIN)
    )


def can_publish_kb(user: User) -> bool:
    """Publish and unpublish help-center articles, set related articles, and edit categories
    and sections. (Restoring an old revision only makes a draft, so authors may do it.)"""
    return user.is_agent and (
        user.kb_role == KbRole.EDITOR or user.role in (Role.SUPERVISOR, Role.ADMIN)
    )


def can_manage_api_keys(user: User) -> bool:
    return user.is_agent and user.role == Role.ADMIN


def can_grant_role(user: User, role: str) -> bool:
    """Supervisors manage agents; only admins create supervisors and admins."""
    if not can_manage_staff(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return role in (Role.AGENT_L1, Role.AGENT_L2)
