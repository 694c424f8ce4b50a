"""Forum profiles: display names that cannot pose as staff or the exchange, reputation."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import User, UserKind
from kefu.community import safety
from kefu.community.models import Profile
from kefu.community.services.common import acting_user, audit
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied
from kefu.core.validation import clean_text, field_error
from kefu.trust.selectors import registry

REP_ACCEPTED = 15
REP_UPVOTE = 2
REP_DOWNVOTE = -1


def _problem_message(problem: safety.NameProblem) -> str:
    if problem.code == "length":
        return _("Use %(min)d to %(max)d characters.") % {
            "min": safety.NAME_MIN,
            "max": safety.NAME_MAX,
        }
    if problem.code == "characters":
        return _("Use letters, digits, spaces and simple punctuation only.")
    if problem.code == "mixed_script":
        return _("Do not mix alphabets (for example Latin and Cyrillic) in one name.")
    if problem.code == "reserved":
        return _("Names that look like support staff or an official account are reserved.")
    if problem.code == "exchange":
        return _("Names that look like the exchange's own name are reserved.")
    return _("This name looks like a staff member's name and is reserved.")


def _staff_names() -> list[str]:
    return [
        name
        for name in User.objects.filter(kind=UserKind.STAFF).values_list("display_name", flat=True)
        if name
    ]


def _default_name(user: User) -> str:
    if user.is_agent:
        return (user.display_name or user.email.split("@", 1)[0])[: safety.NAME_MAX]
    return f"member-{user.pk}"


def profile_for(user: User) -> Profile:
    """The user's profile, created on first use (customers start as ``member-<id>``; staff
    under their staff name, which only staff may use)."""
    profile = Profile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    name = _default_name(user)
    key = f"staff:{user.pk}" if user.is_agent else safety.name_key(name)
    try:
        with transaction.atomic():
            return Profile.objects.create(user=user, display_name=name, name_key=key)
    except IntegrityError:
        return Profile.objects.get(user=user)


def profile_update(*, user: User, display_name: str, actor: Actor) -> Profile:
    """Change a customer's display name. Refuses names that look like staff, official
    accounts or the exchange, and names that look like another member's."""
    if acting_user(actor).pk != user.pk:
        raise PermissionDenied(_("You can only change your own profile."))
    if user.is_agent:
        raise PermissionDenied(_("Staff appear under their staff name."))
    name = clean_text("display_name", display_name, limit=safety.NAME_MAX, required=True)
    name = " ".join(name.split())
    problem = safety.display_name_problem(name, staff_names=_staff_names(), registry=registry())
    if problem is not None:
        raise field_error("display_name", _problem_message(problem))
    key = safety.name_key(name)
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile_for(user).pk)
        if Profile.objects.filter(name_key=key).exclude(pk=profile.pk).exists():
            raise field_error("display_name", _("Another member already uses a name like this."))
        old = profile.display_name
        profile.display_name, profile.name_key = name, key
        profile.save(update_fields=["display_name", "name_key"])
        audit(actor, "community.profile_renamed", "forum_profile", profile.pk, old=old, new=name)
    return profile


def reputation_add(user_id: int, delta: int) -> None:
    """Add ``delta`` to a member's reputation (inside the caller's transaction)."""
    if delta:
        Profile.objects.filter(user_id=user_id).update(reputation=F("reputation") + delta)
