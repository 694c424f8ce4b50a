"""Every write in the help center: official contact options and the knowledge base."""

from kefu.helpcenter.services.articles import (
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
    section_save,
)
from kefu.helpcenter.services.contacts import (
    clean_contact_url,
    contact_option_delete,
    contact_option_save,
)
from kefu.helpcenter.services.deflection import (
    suggestion_opened,
    suggestion_submitted,
    suggestions_shown,
)

__all__ = [
    "article_create",
    "article_feedback",
    "article_image_add",
    "article_publish",
    "article_restore",
    "article_submit_for_review",
    "article_translation_save",
    "article_unpublish",
    "article_update",
    "article_viewed",
    "category_save",
    "clean_contact_url",
    "contact_option_delete",
    "contact_option_save",
    "section_save",
    "suggestion_opened",
    "suggestion_submitted",
    "suggestions_shown",
]
