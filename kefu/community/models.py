"""The community forum: boards (by topic and language), threads, posts, votes, reports,
follows, notifications and forum profiles. Data and invariants only; every write is a service
in ``kefu.community.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HELD = "held", _("Held for review")
    HIDDEN = "hidden", _("Hidden by a moderator")
    DELETED = "deleted", _("Deleted")


class Board(models.Model):
    """One topic in one language (``withdrawals`` in English and in Chinese are two boards)."""

    slug = models.SlugField(_("slug"), max_length=80)
    language = models.CharField(_("language"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["language", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="community_board_slug")
        ]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"


class Profile(models.Model):
    """A person's forum identity. ``name_key`` is the confusable skeleton of the display name,
    unique, so two names that look alike cannot both exist."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_profile"
    )
    display_name = models.CharField(_("display name"), max_length=40)
    name_key = models.CharField(max_length=80, unique=True)
    reputation = models.IntegerField(default=0)
    approved_posts = models.PositiveIntegerField(default=0)
    muted_until = models.DateTimeField(null=True, blank=True)
    banned = models.BooleanField(default=False)
    moderation_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name


class Thread(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_threads"
    )
    title = models.CharField(_("title"), max_length=200)
    tags = models.JSONField(default=list, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    is_locked = models.BooleanField(default=False)
    # The moderator's reason for the lock, shown in the thread's public "locked" notice.
    lock_reason = models.CharField(max_length=500, blank=True)
    accepted_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_count = models.PositiveIntegerField(default=0)
    # An agent offered to continue in private; the asker may accept (kefu.community.services).
    private_help_offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    article = models.ForeignKey(
        "helpcenter.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        indexes = [models.Index(fields=["board", "visibility", "-last_activity_at"])]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    """The question (``is_question``) or a reply. ``body`` is the screened Markdown (secrets
    redacted), ``html`` its sanitised rendering. ``by_staff`` is set from the author's account
    when the post is written, never from anything the author typed: it is the staff badge."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts"
    )
    is_question = models.BooleanField(default=False)
    by_staff = models.BooleanField(default=False)
    body = models.TextField()
    html = models.TextField()
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    # Why the post is held (codes: first_post, links, asks_for_secret) and flagged links.
    hold_reasons = models.JSONField(default=list, blank=True)
    flagged_links = models.JSONField(default=list, blank=True)
    moderation_reason = models.CharField(max_length=500, blank=True)
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["visibility", "created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk} in thread {self.thread_id}"


class PostImage(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="community/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.filename


class Vote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField()  # +1 or -1

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="community_one_vote"),
            models.CheckConstraint(
                condition=models.Q(value__in=(-1, 1)), name="community_vote_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value:+d} on post {self.post_id}"


class ReportState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Report(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    state = models.CharField(max_length=8, choices=ReportState.choices, default=ReportState.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=models.Q(state="open"),
                name="community_one_open_report",
            )
        ]

    def __str__(self) -> str:
        return f"report {self.pk} on post {self.post_id}"


class Follow(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="community_one_follow")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} follows thread {self.thread_id}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("New reply")
    ACCEPTED = "accepted", _("Answer accepted")
    PRIVATE_HELP = "private_help", _("Private help offered")
    # A moderator acted on the recipient's own post or thread (``reason`` says why).
    APPROVED = "approved", _("Post approved")
    HIDDEN = "hidden", _("Post hidden")
    DELETED = "deleted", _("Post deleted")
    LOCKED = "locked", _("Thread locked")
    MOVED = "moved", _("Thread moved")


# Notices to an author about a moderator's action: listed even when the thread has since
# become unreadable for them (that is when they need it most), never linking to it then.
MODERATION_KINDS = frozenset(
    {
        NotificationKind.APPROVED,
        NotificationKind.HIDDEN,
        NotificationKind.DELETED,
        NotificationKind.LOCKED,
        NotificationKind.MOVED,
    }
)


class Notification(models.Model):
    """Something for one member: a new reply in a followed thread, their answer accepted, an
    offer of private help, or a moderator's action on their post or thread. Shown in the
    portal and on the forum, and emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    # The moderator's reason, for the recipient only (never who the moderator was).
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} in thread {self.thread_id}"


class SearchChange(models.Model):
    """Append-only log of threads whose searchable text changed; each process's forum index
    replays it (the help center's scheme, ADR 0009)."""

    thread_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"thread {self.thread_id}"
