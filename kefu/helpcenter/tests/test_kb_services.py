"""Knowledge-base services: permissions, revisions, the review/publish workflow, feedback."""

from __future__ import annotations

import pytest

from kefu.accounts.models import KbRole
from kefu.audit.models import AuditEntry
from kefu.conversations.attachments import UploadedFile
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from kefu.helpcenter.models import (
    ArticleFeedback,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
    SearchIndexChange,
)
from kefu.helpcenter.services import (
    article_create,
    article_feedback,
    article_image_add,
    article_publish,
    article_restore,
    article_submit_for_review,
    article_translation_save,
    article_unpublish,
    article_update,
    article_viewed,
    category_save,
)
from kefu.helpcenter.services.articles import voter_key

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def author(agent_a):
    agent_a.kb_role = KbRole.AUTHOR
    agent_a.save(update_fields=["kb_role"])
    return agent_a


@pytest.fixture
def editor(agent_b):
    agent_b.kb_role = KbRole.EDITOR
    agent_b.save(update_fields=["kb_role"])
    return agent_b


@pytest.fixture
def draft(kb_section, author, actor_of):
    return article_create(
        section=kb_section,
        slug="withdrawal-pending",
        language="en",
        title="Withdrawal pending",
        body="## Why\nYour withdrawal is being reviewed.",
        tags=["Withdrawal", "pending", "withdrawal"],
        actor=actor_of(author),
    )


def test_agent_without_kb_role_cannot_write(kb_section, agent_a, actor_of):
    with pytest.raises(PermissionDenied):
        article_create(
            section=kb_section,
            slug="x",
            language="en",
            title="T",
            body="B",
            actor=actor_of(agent_a),
        )
    assert not ArticleTranslation.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="kb.article").exists()


def test_create_makes_a_draft_with_revision_one_and_clean_tags(draft):
    assert draft.state == ArticleState.DRAFT
    assert draft.published_revision is None
    revision = draft.current_revision
    assert revision.number == 1
    assert revision.tags == ["withdrawal", "pending"]
    assert revision.author_label
    assert AuditEntry.objects.filter(action="kb.article_created").count() == 1
    assert AuditEntry.objects.filter(action="kb.translation_created").count() == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("slug", {"slug": "Bad Slug"}),
        ("language", {"language": "fr"}),
        ("title", {"title": "   "}),
        ("title", {"title": "x" * 201}),
        ("body", {"body": ""}),
        ("title", {"title": "a\x00b"}),
        ("tags", {"tags": ["t"] * 0 + [f"t{i}" for i in range(21)]}),
    ],
)
def test_create_validates_every_field_and_writes_nothing(kb_section, system_actor, field, kwargs):
    values = {"slug": "ok", "language": "en", "title": "Title", "body": "Body"} | kwargs
    with pytest.raises(ValidationFailed) as info:
        article_create(section=kb_section, actor=system_actor, **values)
    assert field in info.value.fields
    assert not ArticleTranslation.objects.exists()


def test_saving_makes_a_new_revision_and_identical_save_is_a_noop(draft, author, actor_of):
    saved = article_translation_save(
        article=draft.article,
        language="en",
        title="Withdrawal pending: what it means",
        body="New body",
        actor=actor_of(author),
    )
    assert saved.current_revision.number == 2
    again = article_translation_save(
        article=draft.article,
        language="en",
        title="Withdrawal pending: what it means",
        body="New body",
        actor=actor_of(author),
    )
    assert again.current_revision.number == 2
    assert ArticleRevision.objects.filter(translation=draft).count() == 2


def test_stale_base_revision_is_refused(draft, author, actor_of):
    article_translation_save(
        article=draft.article, language="en", title="A", body="B", actor=actor_of(author)
    )
    with pytest.raises(Conflict):
        article_translation_save(
            article=draft.article,
            language="en",
            title="Mine",
            body="Mine",
            base_revision=1,
            actor=actor_of(author),
        )
    assert ArticleRevision.objects.filter(translation=draft).count() == 2


def test_author_cannot_publish_editor_can(draft, author, editor, actor_of):
    article_submit_for_review(translation=draft, actor=actor_of(author))
    with pytest.raises(PermissionDenied):
        article_publish(translation=draft, actor=actor_of(author))
    draft.refresh_from_db()
    assert draft.state == ArticleState.REVIEW
    assert not SearchIndexChange.objects.exists()
    live = article_publish(translation=draft, actor=actor_of(editor))
    assert live.state == ArticleState.PUBLISHED
    assert live.published_revision_id == live.current_revision_id
    assert live.title == "Withdrawal pending"
    assert '<h2 id="why">Why</h2>' in live.html
    assert "being reviewed" in live.search_text
    assert SearchIndexChange.objects.filter(translation_id=live.pk).count() == 1
    assert AuditEntry.objects.filter(action="kb.published").count() == 1


def test_supervisor_is_an_editor_without_kb_role(draft, supervisor, actor_of):
    assert article_publish(translation=draft, actor=actor_of(supervisor)).is_live


def test_editing_a_live_article_keeps_the_live_copy_until_republished(
    draft, system_actor, author, actor_of
):
    live = article_publish(translation=draft, actor=system_actor)
    edited = article_translation_save(
        article=live.article, language="en", title="Changed", body="Changed", actor=actor_of(author)
    )
    assert edited.state == ArticleState.DRAFT
    assert edited.title == "Withdrawal pending"  # the live copy
    assert edited.published_revision.number == 1
    assert edited.current_revision.number == 2
    republished = article_publish(translation=edited, actor=system_actor)
    assert republished.title == "Changed"


def test_publishing_twice_is_an_invalid_transition(draft, system_actor):
    article_publish(translation=draft, actor=system_actor)
    with pytest.raises(InvalidTransition):
        article_publish(translation=draft, actor=system_actor)


def test_unpublish_takes_it_offline_and_logs_an_index_change(draft, system_actor):
    live = article_publish(translation=draft, actor=system_actor)
    offline = article_unpublish(translation=live, actor=system_actor)
    assert offline.state == ArticleState.UNPUBLISHED
    assert not offline.is_live
    assert SearchIndexChange.objects.filter(translation_id=live.pk).count() == 2
    with pytest.raises(InvalidTransition):
        article_unpublish(translation=offline, actor=system_actor)


def test_review_only_from_draft(draft, author, actor_of):
    article_submit_for_review(translation=draft, actor=actor_of(author))
    with pytest.raises(InvalidTransition):
        article_submit_for_review(translation=draft, actor=actor_of(author))


def test_restore_copies_an_old_revision_into_a_new_one(draft, author, actor_of):
    article_translation_save(
        article=draft.article, language="en", title="Second", body="Second", actor=actor_of(author)
    )
    restored = article_restore(translation=draft, revision_number=1, actor=actor_of(author))
    assert restored.current_revision.number == 3
    assert restored.current_revision.title == "Withdrawal pending"
    assert "Restored revision 1" in restored.current_revision.note
    with pytest.raises(ValidationFailed):
        article_restore(translation=draft, revision_number=99, actor=actor_of(author))


def test_related_articles_by_slug(kb_section, system_actor, publish_article):
    first = publish_article("a-one", "en", "One", "Body")
    publish_article("a-two", "en", "Two", "Body")
    article_update(article=first.article, related_slugs=["a-two"], actor=system_actor)
    assert list(first.article.related.values_list("slug", flat=True)) == ["a-two"]
    with pytest.raises(ValidationFailed):
        article_update(article=first.article, related_slugs=["missing"], actor=system_actor)
    with pytest.raises(ValidationFailed):
        article_update(article=first.article, related_slugs=["a-one"], actor=system_actor)
    assert list(first.article.related.values_list("slug", flat=True)) == ["a-two"]


def test_feedback_one_answer_per_reader_and_counts(publish_article, customer_1, actor_of):
    live = publish_article("fb", "en", "Feedback", "Body")
    actor = actor_of(customer_1)
    article_feedback(translation=live, helpful=False, comment="Too short", voter="v1", actor=actor)
    article_feedback(translation=live, helpful=True, voter="v1", actor=actor)
    article_feedback(translation=live, helpful=False, voter="v2", actor=actor)
    live.refresh_from_db()
    assert (live.helpful_yes, live.helpful_no) == (1, 1)
    assert ArticleFeedback.objects.filter(translation=live).count() == 2
    with pytest.raises(ValidationFailed):
        article_feedback(
            translation=live, helpful=True, comment="x" * 1001, voter="v3", actor=actor
        )


def test_feedback_on_an_unpublished_article_is_refused(draft, system_actor):
    with pytest.raises(InvalidTransition):
        article_feedback(translation=draft, helpful=True, voter="v", actor=system_actor)
    assert not ArticleFeedback.objects.exists()


def test_voter_key_is_stable_and_not_the_session_itself():
    assert voter_key("abc", None) == voter_key("abc", None)
    assert voter_key("abc", None) != voter_key("abd", None)
    assert "abc" not in voter_key("abc", None)
    assert voter_key("abc", 5) == voter_key("xyz", 5)


def test_view_counter(publish_article):
    live = publish_article("views", "en", "Views", "Body")
    article_viewed(translation_id=live.pk)
    article_viewed(translation_id=live.pk)
    live.refresh_from_db()
    assert live.view_count == 2


def test_image_upload_checks_the_bytes(draft, author, actor_of):
    image = article_image_add(
        article=draft.article, upload=UploadedFile("chart.png", PNG), actor=actor_of(author)
    )
    assert image.content_type == "image/png"
    assert image.size == len(PNG)
    with pytest.raises(ValidationFailed):
        article_image_add(
            article=draft.article,
            upload=UploadedFile("fake.png", b"not an image at all"),
            actor=actor_of(author),
        )
    with pytest.raises(ValidationFailed):
        article_image_add(
            article=draft.article,
            upload=UploadedFile("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
            actor=actor_of(author),
        )
    assert draft.article.images.count() == 1


def test_category_needs_default_language_name_and_unique_slug(system_actor, editor, actor_of):
    with pytest.raises(ValidationFailed):
        category_save(slug="c", names={"zh-hans": "只有中文"}, actor=system_actor)
    category_save(slug="c", names={"en": "C"}, actor=actor_of(editor))
    with pytest.raises(ValidationFailed):
        category_save(slug="c", names={"en": "Again"}, actor=system_actor)
    with pytest.raises(ValidationFailed):
        category_save(slug="d", names={"en": "D", "fr": "D"}, actor=system_actor)


def test_author_cannot_shape_categories(author, actor_of):
    with pytest.raises(PermissionDenied):
        category_save(slug="c", names={"en": "C"}, actor=actor_of(author))


def test_view_counts_are_buffered_and_flushed_together(publish_article, settings):
    from kefu.helpcenter.services.articles import view_counts_flush

    settings.KEFU_HELP_VIEW_FLUSH_SECONDS = 3600
    view_counts_flush()  # start from an empty buffer
    first = publish_article("a", "en", "A", "Body")
    second = publish_article("b", "en", "B", "Body")
    for _ in range(3):
        article_viewed(translation_id=first.pk)
    article_viewed(translation_id=second.pk)
    first.refresh_from_db()
    assert first.view_count == 0  # not written yet
    assert view_counts_flush() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.view_count, second.view_count) == (3, 1)
    assert view_counts_flush() == 0


def test_structure_slugs_fit_their_columns(db, system_actor):
    from kefu.helpcenter.models import Category

    with pytest.raises(ValidationFailed) as info:
        category_save(slug="a" * 81, names={"en": "Long"}, actor=system_actor)
    assert "slug" in info.value.fields
    assert category_save(slug="a" * 80, names={"en": "Long"}, actor=system_actor).pk
    assert Category.objects.count() == 1
