from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT_L1 = "agent_l1", _("Agent (L1)")
    AGENT_L2 = "agent_l2", _("Senior agent (L2)")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class KbRole(models.TextChoices):
    """What a staff member may do in the knowledge base, besides their support role.
    Supervisors and admins are editors whatever this says."""

    NONE = "", _("None")
    AUTHOR = "author", _("Author (writes drafts, asks for review)")
    EDITOR = "editor", _("Editor (reviews and publishes)")


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(kind=UserKind.STAFF, role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a staff member (with a role) or a customer of the exchange."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    kind = models.CharField(max_length=16, choices=UserKind.choices, default=UserKind.CUSTOMER)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC")
    chat_capacity = models.PositiveSmallIntegerField(_("live chat capacity"), default=3)
    kb_role = models.CharField(
        _("knowledge base role"), max_length=16, choices=KbRole.choices, blank=True, default=""
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # may use Django's admin site
    date_joined = models.DateTimeField(auto_now_add=True)
    # Changed by "sign out everywhere": part of the session hash, so older sessions end.
    session_epoch = models.CharField(max_length=32, blank=True, default="")
    # A customer's own phrase, shown at the top of every email and in the portal header so a
    # forged message is easy to spot. Not a secret, but never shown to staff.
    antiphishing_code = models.CharField(
        _("anti-phishing code"), max_length=20, blank=True, default=""
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (an HMAC of the password hash), extended with the session
        epoch when there is one: a new epoch ends every other session without a password
        change. An empty epoch keeps Django's value, so existing sessions stay valid."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc,no-any-return]
        return salted_hmac(
            "kefu.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_agent(self) -> bool:
        return self.kind == UserKind.STAFF and bool(self.role) and self.is_active

    @property
    def is_customer(self) -> bool:
        return self.kind == UserKind.CUSTOMER


class ApiKey(models.Model):
    """An integrator's key. Only a SHA-256 of the secret is stored; the secret is shown once."""

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PresenceStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentPresence(models.Model):
    """Whether an agent takes live chats now. Online means status online and a recent heartbeat."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="presence"
    )
    status = models.CharField(
        max_length=8, choices=PresenceStatus.choices, default=PresenceStatus.OFFLINE
    )
    changed_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "last_seen_at"], name="presence_status_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status}"


# --- account security (docs/subsystems/account-security.md) ---------------------------------


class SecurityPolicy(models.Model):
    """What the exchange's admins require of sign-ins. One row (pk 1), created on first read
    with the production default: administrators and supervisors must use two-factor codes."""

    required_2fa_roles = models.JSONField(_("roles that must use two-factor authentication"))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"security policy: 2FA for {', '.join(self.required_2fa_roles) or 'nobody'}"


class TotpDevice(models.Model):
    """A staff member's authenticator app (RFC 6238). The shared secret is stored encrypted
    (``kefu.accounts.keys``); ``confirmed_at`` is empty while enrolment waits for a first code.
    ``last_used_step`` is the newest 30-second step a code was accepted for, so no code works
    twice."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="totp_device"
    )
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "pending"
        return f"TOTP for user {self.user_id} ({state})"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator. Only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"], name="recovery_code_lookup_idx")]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"


class LoginDevice(models.Model):
    """A browser someone signed in from: the hash of a random id kept in a long-lived signed
    cookie, plus the browser's family. A sign-in from a device not listed here is new."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_devices")
    token_hash = models.CharField(max_length=64)
    browser = models.CharField(max_length=80)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    alert_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "token_hash", "browser"], name="login_device_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.browser} of user {self.user_id}"
