"""Who may open the management pages.

Every backoffice view is wrapped in ``login_required`` (anonymous -> sign-in page) and then asks
one of these for the signed-in manager. Anyone else gets a 404 so the pages do not reveal that
they exist. The services check the same permissions again when they write.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.core.actor import Actor


def manager_or_404(request: HttpRequest) -> User:
    """The signed-in supervisor or admin; anyone else gets a 404."""
    user = request.user
    if not isinstance(user, User) or not permissions.can_manage_staff(user):
        raise Http404
    return user


def api_key_manager_or_404(request: HttpRequest) -> User:
    """The signed-in admin (the only role that manages API keys); anyone else gets a 404."""
    user = request.user
    if not isinstance(user, User) or not permissions.can_manage_api_keys(user):
        raise Http404
    return user


def chat_site_manager_or_404(request: HttpRequest) -> User:
    """The signed-in admin: chat sites hold a signing secret, so they get the API-key
    capability (admins only); anyone else gets a 404."""
    return api_key_manager_or_404(request)


def actor_for(request: HttpRequest, user: User) -> Actor:
    """The Actor for a manager's write, carrying the client's IP for the audit log."""
    return actor_for_user(user, ip=request.META.get("REMOTE_ADDR"))
