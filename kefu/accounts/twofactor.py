"""Two-factor sign-in for staff: authenticator codes (TOTP), recovery codes, the role policy.

TOTP follows RFC 6238 with the parameters every authenticator app uses: SHA-1, 30-second
steps, 6 digits. A code is accepted for the current step and one step either side (clock
skew), and never twice: the device remembers the newest step it accepted. Ten recovery codes
are issued when two-factor sign-in is turned on; each works once. Secrets are encrypted and
recovery codes hashed with keys derived from SECRET_KEY (``kefu.accounts.keys``).

Every code check counts against a per-user rate limit and writes an audit row (never the code).
The sign-in flow itself (password, then code, then ``login()``) is in ``kefu.accounts.signin``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.keys import UnreadableSecret, code_digests, decrypt, encrypt
from kefu.accounts.models import RecoveryCode, Role, SecurityPolicy, TotpDevice, User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed
from kefu.core.ratelimit import hit

STEP_SECONDS = 30
DIGITS = 6
SKEW_STEPS = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
RECOVERY_CODE_LENGTH = 10  # about 49 bits each
# Code attempts per user: enough for typos, far too few to guess one of 10^6 codes.
CODE_ATTEMPTS = 5
CODE_WINDOW_SECONDS = 300
# The policy when an exchange has not chosen one yet (production default).
DEFAULT_REQUIRED_ROLES: tuple[str, ...] = (Role.ADMIN.value, Role.SUPERVISOR.value)
POLICY_PK = 1


class Purpose:
    """Why a second factor is being checked (recorded in the audit row)."""

    SIGN_IN = "sign_in"
    ENROL = "enrol"
    DISABLE = "disable"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A pending authenticator: what the enrolment page shows."""

    secret: str
    uri: str


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("You do not have permission to do that."))


def _acting_staff(actor: Actor) -> User:
    if actor.kind != ActorKind.AGENT or actor.user_id is None:
        raise PermissionDenied(_("You do not have permission to do that."))
    return User.objects.get(pk=actor.user_id)


def can_manage_security(user: User) -> bool:
    """Edit the security policy and reset someone's two-factor sign-in: admins only."""
    return user.is_agent and user.role == Role.ADMIN


# --- policy ----------------------------------------------------------------------------------


def security_policy_get() -> SecurityPolicy:
    """The policy in force: the saved row, or (until an admin saves one) the production
    default, unsaved."""
    policy = SecurityPolicy.objects.filter(pk=POLICY_PK).first()
    if policy is None:
        policy = SecurityPolicy(pk=POLICY_PK, required_2fa_roles=list(DEFAULT_REQUIRED_ROLES))
    return policy


def security_policy_set(*, required_2fa_roles: Iterable[str], actor: Actor) -> SecurityPolicy:
    """Choose the staff roles that must use two-factor sign-in. Admins only.

    Staff in a newly required role are sent to enrolment on their next workspace page. The
    system actor may set it too (the demo data set turns the requirement off).
    """
    if actor.kind != ActorKind.SYSTEM:
        _require(can_manage_security(_acting_staff(actor)))
    roles = sorted(set(required_2fa_roles))
    if any(role not in Role.values for role in roles):
        raise ValidationFailed(
            _("Unknown role."), fields={"required_2fa_roles": [_("Unknown role.")]}
        )
    with transaction.atomic():
        policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(
            pk=POLICY_PK, defaults={"required_2fa_roles": list(DEFAULT_REQUIRED_ROLES)}
        )
        old = sorted(policy.required_2fa_roles)
        if old != roles:
            policy.required_2fa_roles = roles
            policy.save(update_fields=["required_2fa_roles", "updated_at"])
            audit_record(
                actor=actor,
                action="security_policy.updated",
                object_type="security_policy",
                object_id=POLICY_PK,
                data={"required_2fa_roles": [old, roles]},
            )
    return policy


def two_factor_required(user: User) -> bool:
    """Whether the policy requires this staff member to use two-factor sign-in."""
    return user.is_agent and user.role in security_policy_get().required_2fa_roles


def two_factor_enabled(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def enrolled_user_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these users have two-factor sign-in turned on (one query)."""
    return set(
        TotpDevice.objects.filter(
            user_id__in=list(user_ids), confirmed_at__isnull=False
        ).values_list("user_id", flat=True)
    )


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- TOTP ------------------------------------------------------------------------------------


def _issuer() -> str:
    host = urlsplit(settings.KEFU_PUBLIC_URL).hostname or ""
    return f"Kefu ({host})" if host else "Kefu"


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=_issuer()
    )
    return Enrolment(secret=secret, uri=uri)


def _step_now() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The newest step within the skew window whose code is ``code`` and that is later than
    ``after`` (the last step already used), or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = _step_now()
    found: int | None = None
    for step in range(now - SKEW_STEPS, now + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            found = step
    return found


def _read_secret(device: TotpDevice) -> str:
    secret, stale = decrypt(device.secret_encrypted)
    if stale:  # encrypted under a SECRET_KEY_FALLBACKS key: move it to the current key
        device.secret_encrypted = encrypt(secret)
        device.save(update_fields=["secret_encrypted"])
    return secret


def totp_enrol_start(*, user: User, actor: Actor) -> Enrolment:
    """Create a new pending authenticator secret for a staff member (replacing an unconfirmed
    one). Refused while two-factor sign-in is on: turn it off or regenerate codes instead."""
    _require(user.is_agent and actor.user_id == user.pk)
    secret = pyotp.random_base32()  # 160 bits, the RFC 4226 recommendation
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise Conflict(_("Two-factor sign-in is already on."))
        if device is None:
            device = TotpDevice(user=user)
        device.secret_encrypted = encrypt(secret)
        device.created_at = clock.now()
        device.last_used_step = None
        device.save()
    return _enrolment(user, secret)


def totp_pending(user: User) -> Enrolment | None:
    """The authenticator waiting for its first code, if any (to show its QR code again)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    try:
        return _enrolment(user, _read_secret(device))
    except UnreadableSecret:
        return None


def totp_enrol_confirm(*, user: User, code: str, actor: Actor) -> list[str]:
    """Turn two-factor sign-in on once the pending authenticator shows a correct code; return
    the new recovery codes (shown once, stored hashed).

    Rate-limited per user; a wrong code is audited and raises ValidationFailed.
    """
    _require(user.is_agent and actor.user_id == user.pk)
    _count_attempt(user)
    code = _normalise(code)
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=True)
            .first()
        )
        if device is None:
            raise Conflict(_("Start the set-up again: no authenticator is waiting."))
        step = _matching_step(_read_secret(device), code, None) if _is_totp(code) else None
        if step is not None:
            device.confirmed_at = clock.now()
            device.last_used_step = step
            device.save(update_fields=["confirmed_at", "last_used_step"])
            codes = _issue_recovery_codes(user)
            audit_record(
                actor=actor,
                action="two_factor.enabled",
                object_type="user",
                object_id=user.pk,
                data={"method": "totp"},
            )
            return codes
    _audit_rejected(user, actor, Purpose.ENROL)
    raise _wrong_code()


# --- checking a second factor ----------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _is_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _wrong_code() -> ValidationFailed:
    message = _("That code is not correct, or it has already been used.")
    return ValidationFailed(message, fields={"code": [message]})


def _count_attempt(user: User) -> None:
    hit(f"2fa-code:{user.pk}", limit=CODE_ATTEMPTS, window_seconds=CODE_WINDOW_SECONDS)


def _audit_rejected(user: User, actor: Actor, purpose: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="two_factor.code_rejected",
            object_type="user",
            object_id=user.pk,
            data={"purpose": purpose},
        )


def _accept(user: User, code: str) -> str | None:
    """Consume ``code`` if it is a valid TOTP code or unused recovery code: the method used,
    or None. Caller holds a transaction."""
    if _is_totp(code):
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return None
        try:
            secret = _read_secret(device)
        except UnreadableSecret:
            return None
        step = _matching_step(secret, code, device.last_used_step)
        if step is None:
            return None
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return "totp"
    if len(code) != RECOVERY_CODE_LENGTH:
        return None
    row = (
        RecoveryCode.objects.select_for_update()
        .filter(user=user, used_at__isnull=True, code_hash__in=code_digests(code))
        .first()
    )
    if row is None:
        return None
    row.used_at = clock.now()
    row.save(update_fields=["used_at"])
    return "recovery"


def second_factor_verify(*, user: User, code: str, purpose: str, actor: Actor) -> str:
    """Check an authenticator or recovery code for a user with two-factor sign-in on and use it
    up; return the method ("totp" or "recovery").

    Rate-limited per user (RateLimited); a wrong or reused code is audited and raises
    ValidationFailed. The code itself is never recorded.
    """
    _count_attempt(user)
    normalised = _normalise(code)
    with transaction.atomic():
        method = _accept(user, normalised)
        if method is not None:
            audit_record(
                actor=actor,
                action="two_factor.code_accepted",
                object_type="user",
                object_id=user.pk,
                data={"purpose": purpose, "method": method},
            )
            return method
    _audit_rejected(user, actor, purpose)
    raise _wrong_code()


# --- recovery codes --------------------------------------------------------------------------


def _new_recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones (caller holds the transaction)."""
    RecoveryCode.objects.filter(user=user).delete()
    now = clock.now()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=code_digests(c)[0], created_at=now) for c in codes]
    )
    return [format_recovery_code(c) for c in codes]


def recovery_codes_regenerate(*, user: User, actor: Actor) -> list[str]:
    """Replace a staff member's recovery codes with ten new ones (the old ones stop working);
    return them for showing once. Only with two-factor sign-in on, and only for oneself."""
    _require(actor.kind == ActorKind.AGENT and actor.user_id == user.pk)
    with transaction.atomic():
        if not TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise Conflict(_("Turn on two-factor sign-in first."))
        codes = _issue_recovery_codes(user)
        audit_record(
            actor=actor,
            action="two_factor.recovery_codes_regenerated",
            object_type="user",
            object_id=user.pk,
            data={"count": len(codes)},
        )
    return codes


# --- turning it off --------------------------------------------------------------------------


def _remove(user: User) -> bool:
    deleted, _rows = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return deleted > 0


def two_factor_disable(*, user: User, code: str, password: str, actor: Actor) -> None:
    """Turn off one's own two-factor sign-in, proven with the password and a current code.

    Refused when the policy requires it for the user's role. Rate-limited and audited like
    sign-in codes; a wrong password or code changes nothing.
    """
    _require(actor.kind == ActorKind.AGENT and actor.user_id == user.pk)
    if two_factor_required(user):
        raise PermissionDenied(
            _("Your role must use two-factor sign-in, so it cannot be turned off.")
        )
    if not password or not user.check_password(password):
        _count_attempt(user)
        _audit_rejected(user, actor, Purpose.DISABLE)
        message = _("Your password is not correct.")
        raise ValidationFailed(message, fields={"password": [message]})
    second_factor_verify(user=user, code=code, purpose=Purpose.DISABLE, actor=actor)
    with transaction.atomic():
        if _remove(user):
            audit_record(
                actor=actor,
                action="two_factor.disabled",
                object_type="user",
                object_id=user.pk,
                data={},
            )


def two_factor_reset(*, user: User, reason: str, actor: Actor) -> None:
    """Remove another staff member's authenticator and recovery codes (e.g. a lost phone) so
    they can enrol again. Admins only (or the system, from ``kefu twofactor_reset``); a reason
    is required and audited."""
    if actor.kind != ActorKind.SYSTEM:
        manager = _acting_staff(actor)
        _require(can_manage_security(manager))
        if manager.pk == user.pk:
            raise ValidationFailed(
                _("Use your own security page to change your two-factor sign-in.")
            )
    reason = reason.strip()
    if not reason:
        message = _("Say why the two-factor sign-in is being reset.")
        raise ValidationFailed(message, fields={"reason": [message]})
    with transaction.atomic():
        if not _remove(user):
            raise Conflict(_("This person has no two-factor sign-in to reset."))
        audit_record(
            actor=actor,
            action="two_factor.reset",
            object_type="user",
            object_id=user.pk,
            data={"reason": reason[:500]},
        )


def totp_rekey_all() -> int:
    """Re-encrypt every authenticator secret still under a SECRET_KEY_FALLBACKS key with the
    current key; return how many changed. Unreadable ones are left alone."""
    changed = 0
    for pk in TotpDevice.objects.values_list("pk", flat=True):
        with transaction.atomic():
            device = TotpDevice.objects.select_for_update().get(pk=pk)
            try:
                secret, stale = decrypt(device.secret_encrypted)
            except UnreadableSecret:
                continue
            if stale:
                device.secret_encrypted = encrypt(secret)
                device.save(update_fields=["secret_encrypted"])
                changed += 1
    return changed
