"""Writes for staff users, teams, preferences and API keys."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import (
    AgentPresence,
    ApiKey,
    KbRole,
    Language,
    PresenceStatus,
    Role,
    Team,
    User,
    UserKind,
)
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kefu.core.ratelimit import hit

PRESENCE_FRESH_SECONDS = 90  # a heartbeat older than this means the agent's socket is gone
MAX_CHAT_CAPACITY = 20


def actor_for_user(user: User, *, ip: str | None = None) -> Actor:
    """The Actor for a signed-in user (agent or customer)."""
    if user.is_customer:
        contact_id = getattr(getattr(user, "contact", None), "id", None)
        return Actor(
            kind=ActorKind.CUSTOMER, user_id=user.id, contact_id=contact_id, label=str(user), ip=ip
        )
    return Actor(
        kind=ActorKind.AGENT,
        user_id=user.id,
        label=str(user),
        ip=ip,
        user=user if type(user) is User else None,  # a lazy request.user: services read it
    )


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("You do not have permission to do that."))


def _acting_user(actor: Actor) -> User:
    if actor.kind != ActorKind.AGENT or actor.user_id is None:
        raise PermissionDenied(_("You do not have permission to do that."))
    return User.objects.get(pk=actor.user_id)


def _clean_list(values: Iterable[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Choose a stronger password."), fields={"password": list(exc.messages)}
        ) from exc


def staff_create(
    *,
    email: str,
    display_name: str,
    role: str,
    password: str,
    team_ids: Iterable[int] = (),
    language: str = "",
    actor: Actor,
) -> User:
    """Create a staff user with a role and teams. Supervisors may only create agents."""
    team_ids = list(team_ids)  # read twice below; a generator would be empty the second time
    manager = _acting_user(actor)
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), fields={"role": [_("Unknown role.")]})
    _require(permissions.can_grant_role(manager, role))
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise Conflict(
            _("A user with this email already exists."),
            fields={"email": [_("A user with this email already exists.")]},
        )
    if language and language not in Language.values:
        raise ValidationFailed(
            _("Unknown language."), fields={"language": [_("Unknown language.")]}
        )
    _check_password(password, User(email=email, display_name=display_name.strip()))
    with transaction.atomic():
        user = User.objects.create_user(
            email,
            password,
            display_name=display_name.strip(),
            kind=UserKind.STAFF,
            role=role,
            language=language,
            is_staff=role == Role.ADMIN,
        )
        user.teams.set(Team.objects.filter(pk__in=list(team_ids)))
        audit_record(
            actor=actor,
            action="staff.created",
            object_type="user",
            object_id=user.pk,
            data={"email": email, "role": role, "teams": sorted(team_ids)},
        )
    return user


def staff_update(
    *,
    user: User,
    display_name: str | None = None,
    role: str | None = None,
    team_ids: Iterable[int] | None = None,
    is_active: bool | None = None,
    chat_capacity: int | None = None,
    kb_role: str | None = None,
    actor: Actor,
) -> User:
    """Change a staff user's role, teams, name, live-chat capacity, knowledge-base role or
    active flag."""
    manager = _acting_user(actor)
    _require(permissions.can_grant_role(manager, user.role))
    if role is not None:
        if role not in Role.values:
            raise ValidationFailed(_("Unknown role."), fields={"role": [_("Unknown role.")]})
        _require(permissions.can_grant_role(manager, role))
    if chat_capacity is not None and not 0 <= chat_capacity <= MAX_CHAT_CAPACITY:
        message = _("Live chat capacity must be between 0 and %(max)d.") % {
            "max": MAX_CHAT_CAPACITY
        }
        raise ValidationFailed(message, fields={"chat_capacity": [message]})
    if kb_role is not None and kb_role not in KbRole.values:
        message = _("Choose a knowledge base role from the list.")
        raise ValidationFailed(message, fields={"kb_role": [message]})
    if is_active is False and user.pk == manager.pk:
        raise ValidationFailed(_("You cannot deactivate yourself."))
    changes: dict[str, object] = {}
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        fields: list[str] = []
        if display_name is not None and display_name.strip() != user.display_name:
            changes["display_name"] = [user.display_name, display_name.strip()]
            user.display_name = display_name.strip()
            fields.append("display_name")
        if role is not None and role != user.role:
            changes["role"] = [user.role, role]
            user.role = role
            user.is_staff = role == Role.ADMIN
            fields += ["role", "is_staff"]
        if chat_capacity is not None and chat_capacity != user.chat_capacity:
            changes["chat_capacity"] = [user.chat_capacity, chat_capacity]
            user.chat_capacity = chat_capacity
            fields.append("chat_capacity")
        if kb_role is not None and kb_role != user.kb_role:
            changes["kb_role"] = [user.kb_role, kb_role]
            user.kb_role = kb_role
            fields.append("kb_role")
        if is_active is not None and is_active != user.is_active:
            changes["is_active"] = [user.is_active, is_active]
            user.is_active = is_active
            fields.append("is_active")
        if fields:
            user.save(update_fields=fields)
        if team_ids is not None:
            new = sorted(set(team_ids))
            old = sorted(user.teams.values_list("pk", flat=True))
            if new != old:
                user.teams.set(Team.objects.filter(pk__in=new))
                changes["teams"] = [old, new]
        audit_record(
            actor=actor, action="staff.updated", object_type="user", object_id=user.pk, data=changes
        )
    return user


def team_save(
    *,
    team: Team | None = None,
    name: str,
    languages: Iterable[str],
    skills: Iterable[str],
    actor: Actor,
) -> Team:
    """Create a team (team=None) or update one."""
    _require(permissions.can_manage_workspace(_acting_user(actor)))
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Name is required."), fields={"name": [_("Name is required.")]})
    langs = _clean_list(languages)
    bad = [lang for lang in langs if lang not in Language.values]
    if bad:
        raise ValidationFailed(
            _("Unknown language."), fields={"languages": [_("Unknown language.")]}
        )
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise Conflict(
            _("A team with this name already exists."),
            fields={"name": [_("A team with this name already exists.")]},
        )
    with transaction.atomic():
        created = team is None
        team = team or Team()
        team.name, team.languages, team.skills = name, langs, _clean_list(skills)
        team.save()
        audit_record(
            actor=actor,
            action="team.created" if created else "team.updated",
            object_type="team",
            object_id=team.pk,
            data={"name": name, "languages": langs, "skills": team.skills},
        )
    return team


def user_set_preferences(
    *, user: User, language: str | None = None, timezone_name: str | None = None, actor: Actor
) -> User:
    """Save a user's language and timezone."""
    fields: list[str] = []
    if language is not None:
        if language and language not in Language.values:
            raise ValidationFailed(
                _("Unknown language."), fields={"language": [_("Unknown language.")]}
            )
        user.language = language
        fields.append("language")
    if timezone_name is not None:
        try:
            zoneinfo.ZoneInfo(timezone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed(
                _("Unknown timezone."), fields={"timezone": [_("Unknown timezone.")]}
            ) from exc
        user.timezone = timezone_name
        fields.append("timezone")
    with transaction.atomic():
        user.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="user.preferences_updated",
            object_type="user",
            object_id=user.pk,
            data={"language": language, "timezone": timezone_name},
        )
    return user


def user_change_password(*, user: User, old_password: str, new_password: str, actor: Actor) -> User:
    """Change one's own password after checking the current one. Every other session of the
    user ends (the session hash follows the password); the caller keeps its own with
    ``update_session_auth_hash``."""
    if actor.user_id != user.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    hit(f"password-change:{user.pk}", limit=10, window_seconds=3600)
    if not user.check_password(old_password):
        message = _("Your current password is not correct.")
        raise ValidationFailed(message, fields={"old_password": [message]})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Choose a stronger password."), fields={"new_password": list(exc.messages)}
        ) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(
            actor=actor,
            action="user.password_changed",
            object_type="user",
            object_id=user.pk,
            data={},
        )
    return user


# --- API keys -------------------------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    # The secret is 32 random bytes, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def apikey_create(*, name: str, scopes: Iterable[str], actor: Actor) -> tuple[ApiKey, str]:
    """Create an API key; returns the key and its full secret, which is never shown again."""
    creator = _acting_user(actor)
    _require(permissions.can_manage_api_keys(creator))
    scopes = _clean_list(scopes)
    if not name.strip():
        raise ValidationFailed(_("Name is required."), fields={"name": [_("Name is required.")]})
    unknown = [s for s in scopes if s not in permissions.API_SCOPES]
    if not scopes or unknown:
        raise ValidationFailed(
            _("Choose at least one valid scope."),
            fields={"scopes": [_("Choose at least one valid scope.")]},
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name.strip(),
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            scopes=scopes,
            created_by=creator,
        )
        audit_record(
            actor=actor,
            action="apikey.created",
            object_type="apikey",
            object_id=key.pk,
            data={"name": key.name, "scopes": scopes},
        )
    return key, f"kf_{prefix}_{secret}"


def apikey_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    """Revoke an API key (idempotent)."""
    _require(permissions.can_manage_api_keys(_acting_user(actor)))
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="apikey.revoked",
                object_type="apikey",
                object_id=key.pk,
                data={"name": key.name},
            )
    return key


def apikey_authenticate(raw: str) -> ApiKey:
    """Return the active key for a presented secret, or raise NotFound."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "kf":
        raise NotFound(_("Invalid API key."))
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.secret_hash, _hash_secret(parts[2])):
        raise NotFound(_("Invalid API key."))
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- presence --------------------------------------------------------------------------------


def presence_set(*, user: User, status: str, actor: Actor) -> AgentPresence:
    """Set an agent's live-chat status (online, away, offline). Agents set their own.

    Supervisors and admins may set anyone's (e.g. to take an absent agent offline).
    """
    if status not in PresenceStatus.values:
        raise ValidationFailed(_("Unknown status."), fields={"status": [_("Unknown status.")]})
    acting = _acting_user(actor)
    _require(acting.pk == user.pk or permissions.can_manage_staff(acting))
    if not user.is_agent:
        raise ValidationFailed(_("Only staff have a presence."))
    now = clock.now()
    with transaction.atomic():
        presence, created = AgentPresence.objects.select_for_update().get_or_create(
            user=user, defaults={"status": status, "changed_at": now, "last_seen_at": now}
        )
        old = None if created else presence.status
        if old == status:
            AgentPresence.objects.filter(pk=presence.pk).update(last_seen_at=now)
            return presence
        presence.status, presence.changed_at, presence.last_seen_at = status, now, now
        presence.save(update_fields=["status", "changed_at", "last_seen_at"])
        audit_record(
            actor=actor,
            action="presence.changed",
            object_type="user",
            object_id=user.pk,
            data={"from": old, "to": status},
        )
        from kefu.realtime import events
        from kefu.realtime.publish import publish

        publish(events.PresenceChanged(agent_id=user.pk, status=status))  # type: ignore[arg-type]
        if status == PresenceStatus.ONLINE:
            from kefu.routing.services import on_agent_freed

            on_agent_freed(agent_id=user.pk)  # serve the queues of the agent's teams
    return presence


def presence_touch(*, user_id: int) -> None:
    """Record a heartbeat from an agent's open workspace socket (not audited: no state change).

    An agent whose status stayed "online" while no socket of theirs was alive (so routing did
    not count them) is back with this heartbeat: their teams' waiting queues are served now,
    as when they set themselves online, rather than at the next periodic pass."""
    now = clock.now()
    stale = now - timedelta(seconds=PRESENCE_FRESH_SECONDS)
    came_back = AgentPresence.objects.filter(
        user_id=user_id, status=PresenceStatus.ONLINE, last_seen_at__lt=stale
    ).update(last_seen_at=now)
    if came_back:
        from kefu.routing.services import on_agent_freed

        on_agent_freed(agent_id=user_id)
        return
    AgentPresence.objects.filter(user_id=user_id).update(last_seen_at=now)


def agents_online(team_id: int | None = None) -> list[User]:
    """Agents whose status is online and whose socket sent a heartbeat recently."""
    fresh = clock.now() - timedelta(seconds=PRESENCE_FRESH_SECONDS)
    qs = User.objects.filter(
        kind=UserKind.STAFF,
        is_active=True,
        presence__status=PresenceStatus.ONLINE,
        presence__last_seen_at__gte=fresh,
    )
    if team_id is not None:
        qs = qs.filter(teams=team_id)
    return list(qs.order_by("pk"))
