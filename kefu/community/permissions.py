"""Who may do what in the forum. Every active staff member moderates posts and threads;
muting and banning people is for supervisors and admins."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.community.models import Profile
from kefu.core import clock


def can_moderate(user: User) -> bool:
    return bool(user.is_active and user.is_agent)


def can_sanction(user: User) -> bool:
    return bool(user.is_active and permissions.can_manage_staff(user))


def can_promote(user: User) -> bool:
    return bool(user.is_active and permissions.can_write_kb(user))


def posting_restriction(profile: Profile | None) -> str | None:
    """Why this member may not post now (banned, or muted until a time), with the moderator's
    reason, or None. The same words are shown above the forms and in the refusal."""
    if profile is None:
        return None
    if profile.banned:
        message = _("Your account may no longer post in the community.")
    elif profile.muted_until is not None and profile.muted_until > clock.now():
        message = _("You are muted until %(until)s.") % {
            "until": profile.muted_until.strftime("%Y-%m-%d %H:%M UTC")
        }
    else:
        return None
    if profile.moderation_note:
        message += " " + _("Reason: %(reason)s") % {"reason": profile.moderation_note}
    return message
