"""Official contact options: how customers reach the exchange's real support (and nobody else)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContactKind(models.TextChoices):
    CHAT = "chat", pgettext_lazy("contact kind", "Live chat")
    EMAIL = "email", pgettext_lazy("contact kind", "Email")
    PHONE = "phone", pgettext_lazy("contact kind", "Phone")
    TELEGRAM = "telegram", pgettext_lazy("contact kind", "Telegram")
    HELP_CENTER = "help_center", pgettext_lazy("contact kind", "Help center")
    FORUM = "forum", pgettext_lazy("contact kind", "Forum")
    OTHER = "other", pgettext_lazy("contact kind", "Other")


class ContactOption(models.Model):
    """One official way to reach support, shown in both languages in the widget and portal."""

    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    label_en = models.CharField(_("label (English)"), max_length=80)
    label_zh = models.CharField(_("label (Simplified Chinese)"), max_length=80)
    # What the customer reads: an address, a number, a handle. May be empty (e.g. live chat).
    value = models.CharField(_("value"), max_length=200, blank=True)
    # Where a click goes: https://, mailto:, tel: or a path on this site; checked by the service.
    url = models.CharField(_("link"), max_length=500, blank=True)
    hours_note_en = models.CharField(_("hours note (English)"), max_length=200, blank=True)
    hours_note_zh = models.CharField(
        _("hours note (Simplified Chinese)"), max_length=200, blank=True
    )
    # Service hours come from a business calendar when one is set (shown in the viewer's
    # timezone); the hours notes above stay as free text for anything a calendar can't say.
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service hours calendar"),
    )
    # The language this line serves (e.g. a Chinese and an English hotline); blank: all.
    language = models.CharField(_("language served"), max_length=16, blank=True)
    # Configured until analytics measure it per channel.
    expected_response_minutes = models.PositiveIntegerField(
        _("expected response time (minutes)"), null=True, blank=True
    )
    notice_en = models.CharField(_("notice (English)"), max_length=300, blank=True)
    notice_zh = models.CharField(_("notice (Simplified Chinese)"), max_length=300, blank=True)
    notice_until = models.DateField(_("show the notice until"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label_en


# --- Knowledge base -------------------------------------------------------------------------
# Category → Section → Article; each article has one ArticleTranslation per language. Edits
# are ArticleRevision rows; a translation points at its working revision (what authors edit)
# and its published revision (what customers read), so editing a live article never changes
# the live copy until it is published again. The published copy is also denormalised onto the
# translation (title, summary, html, tags, search text) so public pages read one row.


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    # {"en": "...", "zh-hans": "..."}: one entry per help-center language.
    names = models.JSONField(_("names"), default=dict)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.slug


class Section(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="sections")
    slug = models.SlugField(_("slug"), max_length=80)
    names = models.JSONField(_("names"), default=dict)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "slug"], name="section_slug_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category.slug}/{self.slug}"


class Article(models.Model):
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    # Stable across languages and exports: the URL and the export folder name.
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    related = models.ManyToManyField("self", symmetrical=False, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.slug


class ArticleState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article state", "Draft")
    REVIEW = "review", pgettext_lazy("article state", "In review")
    PUBLISHED = "published", pgettext_lazy("article state", "Published")
    UNPUBLISHED = "unpublished", pgettext_lazy("article state", "Unpublished")


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=16)
    # The workflow state of the working copy: draft → review → published; unpublished when
    # taken offline. A published translation edited again is "draft" while still live.
    state = models.CharField(
        _("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    current_revision = models.ForeignKey(
        "ArticleRevision", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_revision = models.ForeignKey(
        "ArticleRevision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The live copy, denormalised from published_revision at publish time.
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    html = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="one_translation_per_language"
            )
        ]
        indexes = [models.Index(fields=["language", "published_at"])]

    def __str__(self) -> str:
        return f"{self.article.slug} [{self.language}]"

    @property
    def is_live(self) -> bool:
        return self.published_revision_id is not None


class ArticleRevision(models.Model):
    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"))
    tags = models.JSONField(default=list, blank=True)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    author = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.translation} r{self.number}"


class ArticleFeedback(models.Model):
    """One "was this helpful?" answer, with an optional comment shown to authors."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A hash of the session: one answer per visitor per article (a second one replaces it).
    voter = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "voter"], name="one_vote_per_visitor")
        ]

    def __str__(self) -> str:
        return f"{self.translation_id}: {self.helpful}"


class ArticleImage(models.Model):
    """An image an author uploaded for an article (validated like every other upload)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="kb/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class SearchIndexChange(models.Model):
    """Append-only log of translations whose live copy changed. Each process's in-memory
    search index replays rows past the last id it applied, so publishing on one node updates
    search on every node without a rebuild."""

    id = models.BigAutoField(primary_key=True)
    translation_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.pk}: {self.translation_id}"


class SearchSource(models.TextChoices):
    HELP_CENTER = "help_center", pgettext_lazy("search source", "Help center")
    WIDGET = "widget", pgettext_lazy("search source", "Chat widget")
    REQUEST_FORM = "request_form", pgettext_lazy("search source", "Request form")
    ASSISTANT = "assistant", pgettext_lazy("search source", "Assistant")
    API = "api", pgettext_lazy("search source", "API")


class SuggestionShown(models.Model):
    """Articles suggested to someone who was about to contact support (chat widget or request
    form). ``submitted`` becomes true if they contacted support anyway; rows still false after
    a while are deflections."""

    token = models.CharField(max_length=32, unique=True)
    source = models.CharField(max_length=16, choices=SearchSource.choices)
    language = models.CharField(max_length=16)
    query = models.CharField(max_length=200)
    article_ids = models.JSONField(default=list)
    opened_article_id = models.BigIntegerField(null=True, blank=True)
    submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["source", "created_at"])]

    def __str__(self) -> str:
        return self.token
