import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English: start from it whatever an earlier test (a
    request by a Chinese-speaking user) left active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def kb_section(db, system_actor):
    """A category "Withdrawals" with one section, as the system actor would create them."""
    from kefu.helpcenter.services import category_save, section_save

    category = category_save(
        slug="withdrawals",
        names={"en": "Withdrawals", "zh-hans": "提现"},
        descriptions={"en": "Send crypto out.", "zh-hans": "提取数字资产。"},
        actor=system_actor,
    )
    return section_save(
        category=category,
        slug="issues",
        names={"en": "Withdrawal issues", "zh-hans": "提现问题"},
        actor=system_actor,
    )


@pytest.fixture
def publish_article(kb_section, system_actor):
    """publish_article(slug, language, title, body, tags=()) → the live ArticleTranslation."""
    from kefu.helpcenter.models import Article
    from kefu.helpcenter.services import (
        article_create,
        article_publish,
        article_translation_save,
    )

    def make(slug, language, title, body, tags=(), summary=""):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            translation = article_create(
                section=kb_section,
                slug=slug,
                language=language,
                title=title,
                body=body,
                summary=summary,
                tags=tags,
                actor=system_actor,
            )
        else:
            translation = article_translation_save(
                article=article,
                language=language,
                title=title,
                body=body,
                summary=summary,
                tags=tags,
                actor=system_actor,
            )
        return article_publish(translation=translation, actor=system_actor)

    return make
