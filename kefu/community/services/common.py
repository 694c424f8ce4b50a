"""What every forum service shares: who the actor is, the audit row, the search log."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.community import permissions
from kefu.community.models import SearchChange, Thread
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied


def acting_user(actor: Actor) -> User:
    """The signed-in person behind ``actor`` (customers and staff only)."""
    if actor.kind not in (ActorKind.CUSTOMER, ActorKind.AGENT) or actor.user_id is None:
        raise PermissionDenied(_("Sign in to take part in the community."))
    user = User.objects.filter(pk=actor.user_id, is_active=True).first()
    if user is None:
        raise PermissionDenied(_("Sign in to take part in the community."))
    return user


def require_moderator(actor: Actor) -> User:
    user = acting_user(actor)
    if not permissions.can_moderate(user):
        raise PermissionDenied(_("Only staff can moderate the community."))
    return user


def audit(actor: Actor, action: str, object_type: str, object_id: object, **data: Any) -> None:
    audit_record(
        actor=actor, action=action, object_type=object_type, object_id=object_id, data=data
    )


def index_changed(thread: Thread) -> None:
    """Log the change for every process's forum index; apply it here after commit."""
    SearchChange.objects.create(thread_id=thread.pk)
    from kefu.community import searching  # the index imports models; import late

    transaction.on_commit(searching.sync_now)
