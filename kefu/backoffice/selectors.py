"""Reads for the management pages. Each takes the viewer and raises NotFound if they may not
see the list, so a selector used from a new place cannot leak it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Count, Model, QuerySet

from kefu.accounts import permissions
from kefu.accounts.models import ApiKey, Team, User, UserKind
from kefu.audit.models import AuditEntry
from kefu.conversations.models import Macro, Tag
from kefu.core.actor import ActorKind
from kefu.core.errors import NotFound
from kefu.core.pagination import Page, paginate
from kefu.helpcenter.models import ContactOption
from kefu.inbox.models import ChatSite
from kefu.sla.models import BusinessCalendar

AUDIT_PAGE_SIZE = 50

M = TypeVar("M", bound=Model)


def _require_manager(viewer: User) -> None:
    if not permissions.can_manage_staff(viewer):
        raise NotFound


def _require_api_key_manager(viewer: User) -> None:
    if not permissions.can_manage_api_keys(viewer):
        raise NotFound


def _get(model: type[M], pk: int) -> M:
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


def staff_list(*, viewer: User) -> QuerySet[User]:
    """Every staff user with their teams (two queries however many rows)."""
    _require_manager(viewer)
    return User.objects.filter(kind=UserKind.STAFF).prefetch_related("teams").order_by("email")


def staff_get(*, viewer: User, pk: int) -> User:
    """A staff user the viewer may edit (supervisors only reach L1/L2 agents)."""
    _require_manager(viewer)
    user = User.objects.filter(kind=UserKind.STAFF, pk=pk).first()
    if user is None or not permissions.can_grant_role(viewer, user.role):
        raise NotFound
    return user


def team_list(*, viewer: User) -> QuerySet[Team]:
    _require_manager(viewer)
    return Team.objects.annotate(member_count=Count("members", distinct=True)).order_by("name")


def team_get(*, viewer: User, pk: int) -> Team:
    _require_manager(viewer)
    return _get(Team, pk)


def tag_list(*, viewer: User) -> QuerySet[Tag]:
    _require_manager(viewer)
    return Tag.objects.annotate(usage_count=Count("conversations", distinct=True)).order_by("name")


def tag_get(*, viewer: User, pk: int) -> Tag:
    _require_manager(viewer)
    return _get(Tag, pk)


def macro_list(*, viewer: User) -> QuerySet[Macro]:
    _require_manager(viewer)
    return Macro.objects.order_by("name")


def macro_get(*, viewer: User, pk: int) -> Macro:
    _require_manager(viewer)
    return _get(Macro, pk)


def apikey_list(*, viewer: User) -> QuerySet[ApiKey]:
    _require_api_key_manager(viewer)
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


def apikey_get(*, viewer: User, pk: int) -> ApiKey:
    _require_api_key_manager(viewer)
    return _get(ApiKey, pk)


def calendar_list(*, viewer: User) -> QuerySet[BusinessCalendar]:
    """Business calendars, the default first."""
    _require_manager(viewer)
    return BusinessCalendar.objects.order_by("-is_default", "name")


def calendar_get(*, viewer: User, pk: int) -> BusinessCalendar:
    _require_manager(viewer)
    return _get(BusinessCalendar, pk)


def contact_option_list(*, viewer: User) -> QuerySet[ContactOption]:
    """Every official contact option (inactive ones too) in display order."""
    _require_manager(viewer)
    return ContactOption.objects.order_by("order", "id")


def contact_option_get(*, viewer: User, pk: int) -> ContactOption:
    _require_manager(viewer)
    return _get(ContactOption, pk)


def chat_site_list(*, viewer: User) -> QuerySet[ChatSite]:
    """Chat sites with their team (admins only)."""
    _require_api_key_manager(viewer)
    return ChatSite.objects.select_related("team").order_by("name", "id")


def chat_site_get(*, viewer: User, pk: int) -> ChatSite:
    _require_api_key_manager(viewer)
    found = ChatSite.objects.select_related("team").filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


def audit_page(
    *,
    viewer: User,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    cursor: str | None = None,
    limit: int = AUDIT_PAGE_SIZE,
) -> Page[AuditEntry]:
    """One page of the audit log, newest first, optionally filtered by action and object.

    Raises ValidationFailed for a malformed cursor.
    """
    _require_manager(viewer)
    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return paginate(qs, ordering=["-id"], cursor=cursor, limit=limit)


def audit_actor_names(entries: Iterable[AuditEntry]) -> dict[str, str]:
    """``{"agent:12": "Ann (ann@x)"}`` for the staff actors on a page, in one query."""
    prefix = f"{ActorKind.AGENT}:"
    ids = {
        int(ref[len(prefix) :])
        for ref in (e.actor_ref for e in entries)
        if ref.startswith(prefix) and ref[len(prefix) :].isdigit()
    }
    if not ids:
        return {}
    users = User.objects.filter(pk__in=ids).only("pk", "email", "display_name")
    return {f"{prefix}{u.pk}": u.display_name or u.email for u in users}
