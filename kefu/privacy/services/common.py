"""Shared by the privacy services: who may act, and the markers left where text was removed."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.core.text import render_markdown

# Stored in place of removed text. Not translated: stored data has no reader's language.
RETENTION_MARKER = "[Removed under the data-retention policy]"
ERASURE_MARKER = "[Erased at the customer's request]"
ERASED_NAME = "[erased]"
MARKERS = (RETENTION_MARKER, ERASURE_MARKER)


def marker_html(marker: str) -> str:
    return render_markdown(marker)


def require_admin(actor: Actor) -> User:
    """The acting administrator, or PermissionDenied."""
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not user.is_agent:
        raise PermissionDenied(_("You do not have permission to do that."))
    if user.role != Role.ADMIN:
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def require_admin_or_system(actor: Actor) -> User | None:
    if actor.kind == ActorKind.SYSTEM:
        return None
    return require_admin(actor)


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Delete stored files once the rows that pointed at them are gone for good."""
    pending = [n for n in names if n]
    if not pending:
        return

    def remove() -> None:
        import logging

        for name in pending:
            try:
                default_storage.delete(name)
            except OSError:  # left behind: logged, never blocks the erasure
                logging.getLogger(__name__).warning("could not delete stored file %s", name)

    transaction.on_commit(remove)
