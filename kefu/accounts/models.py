from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
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

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name or self.email

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
