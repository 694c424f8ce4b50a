"""Knowledge-base writes: structure, drafts and revisions, review and publishing, feedback.

Authors (``permissions.can_write_kb``) write drafts and ask for review; editors
(``permissions.can_publish_kb``) publish, unpublish and shape categories and sections. Each
save is a new ArticleRevision; publishing copies the working revision onto the translation's
live fields and appends a SearchIndexChange row, so every process's search index picks it up.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.conversations.attachments import UploadedFile, validate_attachments
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied
from kefu.core.validation import clean_text
from kefu.core.validation import field_error as _error
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
    Category,
    SearchIndexChange,
    Section,
)
from kefu.helpcenter.render import plain_text, render_article

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BODY = 100_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_COMMENT = 1000
MAX_POSITION = 32767
STRUCTURE_SLUG_LENGTH = 80  # Category.slug and Section.slug


def _staff(actor: Actor) -> User | None:
    if actor.kind != ActorKind.AGENT or not actor.user_id:
        return None
    return User.objects.filter(pk=actor.user_id).first()


def _require_writer(actor: Actor) -> User | None:
    """The acting author. The system actor (imports, demo data) may write too."""
    if actor.kind == ActorKind.SYSTEM:
        return None
    user = _staff(actor)
    if user is None or not permissions.can_write_kb(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def require_editor(actor: Actor) -> User | None:
    """The acting editor (None for the system actor); PermissionDenied for anyone else."""
    return _require_editor(actor)


def _require_editor(actor: Actor) -> User | None:
    if actor.kind == ActorKind.SYSTEM:
        return None
    user = _staff(actor)
    if user is None or not permissions.can_publish_kb(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def _slug(value: str, field: str = "slug", *, limit: int = 100) -> str:
    value = (value or "").strip().lower()
    if not value or len(value) > limit or not SLUG.match(value):
        raise _error(
            field,
            _("Use lowercase letters, digits and single hyphens (at most %(n)d characters).")
            % {"n": limit},
        )
    return value


def _language(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in help_languages():
        raise _error("language", _("The help center does not publish in this language."))
    return value


def _text(field: str, value: str, *, limit: int, required: bool) -> str:
    return clean_text(field, value, limit=limit, required=required, reject_control=True)


def _position(value: int) -> int:
    if not 0 <= value <= MAX_POSITION:
        raise _error("position", _("Use a number from 0 to %(max)d.") % {"max": MAX_POSITION})
    return value


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags trimmed, lowercased and de-duplicated, in their first order."""
    cleaned = list(dict.fromkeys(t.strip().lower() for t in tags if t and t.strip()))
    if len(cleaned) > MAX_TAGS:
        raise _error("tags", _("Use at most %(n)d tags.") % {"n": MAX_TAGS})
    if any(len(t) > MAX_TAG_LENGTH for t in cleaned):
        raise _error(
            "tags", _("Each tag may have at most %(n)d characters.") % {"n": MAX_TAG_LENGTH}
        )
    return cleaned


def _names(field: str, names: Mapping[str, str], *, required: bool) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for code in help_languages():
        value = _text(f"{field}_{code}", names.get(code, ""), limit=300, required=False)
        if value:
            cleaned[code] = value
    unknown = set(names) - set(help_languages())
    if unknown:
        raise _error(field, _("The help center does not publish in this language."))
    if required and help_languages()[0] not in cleaned:
        raise _error(f"{field}_{help_languages()[0]}", _("Fill in this field."))
    return cleaned


def _audit(actor: Actor, action: str, object_type: str, object_id: object, **data: Any) -> None:
    audit_record(
        actor=actor, action=action, object_type=object_type, object_id=object_id, data=data
    )


def _pages_changed() -> None:
    """Cached public page data (categories, article links) is stale after this commit."""
    from kefu.helpcenter import selectors  # imports models; import late

    transaction.on_commit(selectors.kb_changed)


def _index_changed(translation: ArticleTranslation) -> None:
    """Log the change for every process's index and apply it to this one after commit."""
    SearchIndexChange.objects.create(translation_id=translation.pk)
    from kefu.helpcenter import searching  # the index imports models; import late

    transaction.on_commit(searching.sync_now)
    _pages_changed()


# --- structure ------------------------------------------------------------------------------


def _structure_fields(
    slug: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None,
    position: int,
) -> tuple[str, dict[str, str], dict[str, str], int]:
    """Validate what categories and sections share: slug, names, descriptions and position."""
    return (
        _slug(slug, limit=STRUCTURE_SLUG_LENGTH),
        _names("names", names, required=True),
        _names("descriptions", descriptions or {}, required=False),
        _position(position),
    )


def category_save(
    *,
    category: Category | None = None,
    slug: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    position: int = 0,
    actor: Actor,
) -> Category:
    """Create a category (category=None) or update one. Needs a name in the default language."""
    _require_editor(actor)
    slug, clean_names, clean_descriptions, position = _structure_fields(
        slug, names, descriptions, position
    )
    with transaction.atomic():
        clash = Category.objects.filter(slug=slug)
        if category is not None:
            clash = clash.exclude(pk=category.pk)
        if clash.exists():
            raise _error("slug", _("Another category already uses this slug."))
        created = category is None
        category = category or Category()
        category.slug, category.names, category.descriptions = slug, clean_names, clean_descriptions
        category.position = position
        category.save()
        _pages_changed()
        _audit(
            actor,
            "kb.category_created" if created else "kb.category_updated",
            "kb_category",
            category.pk,
            slug=slug,
            names=clean_names,
        )
    return category


def section_save(
    *,
    section: Section | None = None,
    category: Category,
    slug: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    position: int = 0,
    actor: Actor,
) -> Section:
    """Create a section in ``category`` (section=None) or update/move one."""
    _require_editor(actor)
    slug, clean_names, clean_descriptions, position = _structure_fields(
        slug, names, descriptions, position
    )
    with transaction.atomic():
        clash = Section.objects.filter(category=category, slug=slug)
        if section is not None:
            clash = clash.exclude(pk=section.pk)
        if clash.exists():
            raise _error("slug", _("Another section in this category already uses this slug."))
        created = section is None
        section = section or Section()
        section.category, section.slug = category, slug
        section.names, section.descriptions = clean_names, clean_descriptions
        section.position = position
        section.save()
        _pages_changed()
        _audit(
            actor,
            "kb.section_created" if created else "kb.section_updated",
            "kb_section",
            section.pk,
            category=category.slug,
            slug=slug,
            names=clean_names,
        )
    return section


# --- articles and revisions -----------------------------------------------------------------


def article_create(
    *,
    section: Section,
    slug: str,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    tags: Sequence[str] = (),
    position: int = 0,
    actor: Actor,
) -> ArticleTranslation:
    """Create an article with its first translation as a draft (revision 1)."""
    user = _require_writer(actor)
    slug = _slug(slug)
    position = _position(position)
    with transaction.atomic():
        if Article.objects.filter(slug=slug).exists():
            raise _error("slug", _("Another article already uses this slug."))
        article = Article.objects.create(
            section=section, slug=slug, position=position, created_by=user
        )
        _audit(actor, "kb.article_created", "kb_article", article.pk, slug=slug)
        return article_translation_save(
            article=article,
            language=language,
            title=title,
            body=body,
            summary=summary,
            tags=tags,
            actor=actor,
        )


def article_translation_save(
    *,
    article: Article,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    tags: Sequence[str] = (),
    note: str = "",
    base_revision: int | None = None,
    actor: Actor,
) -> ArticleTranslation:
    """Save a new revision of ``article`` in ``language`` (creating the translation if needed).

    The working copy becomes a draft; a live copy stays live until published again. Pass
    ``base_revision`` (the revision number the editor opened) to refuse overwriting someone
    else's newer save. Saving identical content is a no-op.
    """
    user = _require_writer(actor)
    language = _language(language)
    title = _text("title", title, limit=200, required=True)
    summary = _text("summary", summary, limit=300, required=False)
    body = _text("body", body, limit=MAX_BODY, required=True)
    note = _text("note", note, limit=200, required=False)
    clean = clean_tags(tags)
    with transaction.atomic():
        translation, created = ArticleTranslation.objects.select_for_update().get_or_create(
            article=article, language=language
        )
        current = translation.current_revision
        if base_revision is not None and current is not None and current.number != base_revision:
            raise Conflict(
                _(
                    "Someone saved a newer version (revision %(n)d) while you were editing. "
                    "Copy your text, reload and apply your changes again."
                )
                % {"n": current.number}
            )
        if current is not None and (current.title, current.summary, current.body, current.tags) == (
            title,
            summary,
            body,
            clean,
        ):
            return translation
        number = (current.number if current else 0) + 1
        revision = ArticleRevision.objects.create(
            translation=translation,
            number=number,
            title=title,
            summary=summary,
            body=body,
            tags=clean,
            note=note,
            author=user,
            author_label=str(user) if user else actor.label or str(actor.kind),
        )
        translation.current_revision = revision
        translation.state = ArticleState.DRAFT
        translation.save(update_fields=["current_revision", "state", "updated_at"])
        _audit(
            actor,
            "kb.translation_created" if created else "kb.revision_saved",
            "kb_article",
            article.pk,
            language=language,
            revision=number,
            title=title,
        )
    return translation


def article_update(
    *,
    article: Article,
    section: Section | None = None,
    position: int | None = None,
    related_slugs: Sequence[str] | None = None,
    actor: Actor,
) -> Article:
    """Move an article, reorder it, or set its related articles (by slug; unknown slugs are
    refused, and an article is never related to itself)."""
    _require_editor(actor)
    changes: dict[str, Any] = {}
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        fields: list[str] = []
        if section is not None and section.pk != article.section_id:
            changes["section"] = [article.section_id, section.pk]
            article.section = section
            fields.append("section")
        if position is not None and position != article.position:
            changes["position"] = [article.position, _position(position)]
            article.position = position
            fields.append("position")
        if fields:
            article.save(update_fields=[*fields, "updated_at"])
        if related_slugs is not None:
            wanted = list(dict.fromkeys(_slug(s, "related") for s in related_slugs))
            if article.slug in wanted:
                raise _error("related", _("An article cannot be related to itself."))
            found = {a.slug: a for a in Article.objects.filter(slug__in=wanted)}
            missing = [s for s in wanted if s not in found]
            if missing:
                raise _error(
                    "related", _("No article has the slug %(slug)s.") % {"slug": missing[0]}
                )
            old = sorted(article.related.values_list("slug", flat=True))
            if sorted(wanted) != old:
                article.related.set([found[s] for s in wanted])
                changes["related"] = [old, sorted(wanted)]
        if changes:
            _pages_changed()
            _audit(actor, "kb.article_updated", "kb_article", article.pk, **changes)
    return article


def _locked(translation: ArticleTranslation) -> ArticleTranslation:
    return ArticleTranslation.objects.select_for_update().get(pk=translation.pk)


def article_submit_for_review(
    *, translation: ArticleTranslation, actor: Actor
) -> ArticleTranslation:
    """Ask an editor to review the working copy (draft or unpublished → review)."""
    _require_writer(actor)
    with transaction.atomic():
        translation = _locked(translation)
        if translation.state not in (ArticleState.DRAFT, ArticleState.UNPUBLISHED):
            raise InvalidTransition(_("Only a draft can be sent for review."))
        translation.state = ArticleState.REVIEW
        translation.save(update_fields=["state", "updated_at"])
        _audit(
            actor,
            "kb.review_requested",
            "kb_article",
            translation.article_id,
            language=translation.language,
            revision=translation.current_revision.number if translation.current_revision else 0,
        )
    return translation


def article_publish(*, translation: ArticleTranslation, actor: Actor) -> ArticleTranslation:
    """Make the working revision the live one (from draft, review or unpublished)."""
    _require_editor(actor)
    with transaction.atomic():
        translation = _locked(translation)
        revision = translation.current_revision
        if revision is None:
            raise InvalidTransition(_("There is nothing to publish yet."))
        if (
            translation.state == ArticleState.PUBLISHED
            and translation.published_revision_id == revision.pk
        ):
            raise InvalidTransition(_("This version is already published."))
        html = render_article(revision.body)
        translation.published_revision = revision
        translation.state = ArticleState.PUBLISHED
        translation.title, translation.summary = revision.title, revision.summary
        translation.html, translation.tags = html, revision.tags
        translation.search_text = plain_text(html)
        translation.published_at = clock.now()
        translation.save()
        _index_changed(translation)
        _audit(
            actor,
            "kb.published",
            "kb_article",
            translation.article_id,
            language=translation.language,
            revision=revision.number,
            title=revision.title,
        )
    return translation


def article_unpublish(*, translation: ArticleTranslation, actor: Actor) -> ArticleTranslation:
    """Take a translation offline: customers and search no longer see it; history is kept."""
    _require_editor(actor)
    with transaction.atomic():
        translation = _locked(translation)
        if translation.published_revision_id is None:
            raise InvalidTransition(_("This article is not published."))
        translation.published_revision = None
        translation.state = ArticleState.UNPUBLISHED
        translation.save(update_fields=["published_revision", "state", "updated_at"])
        _index_changed(translation)
        _audit(
            actor,
            "kb.unpublished",
            "kb_article",
            translation.article_id,
            language=translation.language,
        )
    return translation


def article_restore(
    *, translation: ArticleTranslation, revision_number: int, actor: Actor
) -> ArticleTranslation:
    """Copy an old revision into a new draft revision (history is never rewritten)."""
    _require_writer(actor)
    old = ArticleRevision.objects.filter(translation=translation, number=revision_number).first()
    if old is None:
        raise _error("revision", _("There is no such revision."))
    return article_translation_save(
        article=translation.article,
        language=translation.language,
        title=old.title,
        body=old.body,
        summary=old.summary,
        tags=old.tags,
        note=_("Restored revision %(n)d") % {"n": revision_number},
        actor=actor,
    )


def article_image_add(*, article: Article, upload: UploadedFile, actor: Actor) -> ArticleImage:
    """Store an image for an article after checking its bytes (PNG, JPEG, GIF or WebP only)."""
    user = _require_writer(actor)
    [valid] = validate_attachments([upload])
    if not valid.content_type.startswith("image/"):
        raise _error("image", _("Upload a PNG, JPEG, GIF or WebP image."))
    with transaction.atomic():
        image = ArticleImage(
            article=article,
            filename=valid.filename,
            content_type=valid.content_type,
            size=valid.size,
            sha256=valid.sha256,
            uploaded_by=user,
        )
        image.file.save(valid.filename, valid.content, save=False)
        image.save()
        _audit(
            actor,
            "kb.image_added",
            "kb_article",
            article.pk,
            image=image.pk,
            filename=valid.filename,
            size=valid.size,
        )
    return image


# --- readers' signals -----------------------------------------------------------------------


def voter_key(session_key: str, user_id: int | None) -> str:
    """A stable, non-reversible id for one reader: their user id, else their session."""
    raw = f"user:{user_id}" if user_id else f"session:{session_key}"
    return hashlib.sha256(raw.encode()).hexdigest()


def article_feedback(
    *,
    translation: ArticleTranslation,
    helpful: bool,
    comment: str = "",
    voter: str,
    actor: Actor,
) -> ArticleFeedback:
    """Record "was this helpful?" for a live article; a reader's second answer replaces the
    first, so counts stay one per reader."""
    comment = _text("comment", comment, limit=MAX_COMMENT, required=False)
    if not voter or len(voter) > 64:
        raise _error("voter", _("Your answer could not be recorded."))
    with transaction.atomic():
        translation = _locked(translation)
        if translation.published_revision_id is None:
            raise InvalidTransition(_("This article is not published."))
        feedback, created = ArticleFeedback.objects.update_or_create(
            translation=translation,
            voter=voter,
            defaults={
                "helpful": helpful,
                "comment": comment,
                "user_id": actor.user_id if actor.kind == ActorKind.CUSTOMER else None,
            },
        )
        counts = ArticleFeedback.objects.filter(translation=translation)
        translation.helpful_yes = counts.filter(helpful=True).count()
        translation.helpful_no = counts.filter(helpful=False).count()
        translation.save(update_fields=["helpful_yes", "helpful_no"])
        _audit(
            actor,
            "kb.feedback_given" if created else "kb.feedback_changed",
            "kb_article",
            translation.article_id,
            language=translation.language,
            helpful=helpful,
            has_comment=bool(comment),
        )
    return feedback


class _ViewCounter:
    """Page views buffered in this process and written in one transaction at most every
    ``KEFU_HELP_VIEW_FLUSH_SECONDS``: a database write on every page view would be the most
    expensive part of serving an article (SQLite takes a write lock for it). Views buffered
    when a process dies are lost; a graceful exit flushes them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: Counter[int] = Counter()
        self.flushed_at = time.monotonic()

    def add(self, translation_id: int) -> bool:
        interval = float(getattr(settings, "KEFU_HELP_VIEW_FLUSH_SECONDS", 10.0))
        with self.lock:
            self.pending[translation_id] += 1
            return time.monotonic() - self.flushed_at >= interval

    def take(self) -> dict[int, int]:
        with self.lock:
            pending, self.pending = dict(self.pending), Counter()
            self.flushed_at = time.monotonic()
            return pending


_view_counter = _ViewCounter()


def article_viewed(*, translation_id: int) -> None:
    """Count one page view. A counter, not a change of anything a person decided, so it is not
    audited (an audit row per page view would bury the real changes)."""
    if _view_counter.add(translation_id):
        view_counts_flush()


def view_counts_flush() -> int:
    """Write the buffered page views; return how many translations were updated."""
    pending = _view_counter.take()
    if not pending:
        return 0
    with transaction.atomic():
        for translation_id, count in sorted(pending.items()):
            ArticleTranslation.objects.filter(pk=translation_id).update(
                view_count=F("view_count") + count
            )
    return len(pending)


def _flush_at_exit() -> None:
    # The database may already be gone at interpreter exit; the views are then lost.
    with contextlib.suppress(Exception):
        view_counts_flush()


atexit.register(_flush_at_exit)
