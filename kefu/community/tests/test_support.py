"""Private help with the asker's consent; promoting an accepted answer to a draft article."""

from __future__ import annotations

import pytest

from kefu.community import services
from kefu.conversations.models import Conversation
from kefu.core.errors import InvalidTransition, NotFound, PermissionDenied
from kefu.helpcenter.models import ArticleTranslation
from kefu.helpcenter.services import category_save, section_save


@pytest.fixture
def section(system):
    category = category_save(slug="faq", names={"en": "FAQ", "zh-hans": "常见"}, actor=system)
    return section_save(category=category, slug="general", names={"en": "General"}, actor=system)


def test_private_help_needs_the_askers_consent(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    thread = ask(customer_1)
    services.thread_offer_private_help(thread=thread, actor=actor_of(agent_a))
    assert not Conversation.objects.exists()  # nothing moves until the asker agrees
    with pytest.raises(NotFound):
        services.thread_accept_private_help(thread=thread, actor=actor_of(customer_2))
    conversation = services.thread_accept_private_help(thread=thread, actor=actor_of(customer_1))
    assert conversation.contact == customer_1.contact
    assert conversation.subject == thread.title
    thread.refresh_from_db()
    assert thread.conversation == conversation
    with pytest.raises(InvalidTransition):
        services.thread_accept_private_help(thread=thread, actor=actor_of(customer_1))


def test_consent_without_an_offer_is_refused(ask, customer_1, trusted, actor_of):
    thread = ask(customer_1)
    with pytest.raises(InvalidTransition):
        services.thread_accept_private_help(thread=thread, actor=actor_of(customer_1))
    assert not Conversation.objects.exists()


def test_customers_cannot_offer_private_help(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1)
    with pytest.raises(PermissionDenied):
        services.thread_offer_private_help(thread=thread, actor=actor_of(customer_2))


def test_promote_accepted_answer_to_draft(
    ask, customer_1, customer_2, supervisor, trusted, actor_of, section
):
    thread = ask(customer_1, tags=["usdt"])
    answer = services.post_reply(
        thread=thread, body="Wait for 20 confirmations.", actor=actor_of(customer_2)
    )
    services.thread_accept_answer(thread=thread, post=answer, actor=actor_of(customer_1))
    translation = services.answer_promote(
        thread=thread, section=section, slug="usdt-pending", actor=actor_of(supervisor)
    )
    assert translation.published_revision_id is None  # a draft, not published
    assert translation.current_revision.title == thread.title
    assert "Wait for 20 confirmations." in translation.current_revision.body
    thread.refresh_from_db()
    assert thread.article == translation.article


def test_promote_needs_an_accepted_answer_and_a_writer(
    ask, customer_1, agent_a, supervisor, trusted, actor_of, section
):
    thread = ask(customer_1)
    with pytest.raises(PermissionDenied):
        services.answer_promote(thread=thread, section=section, slug="x", actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        services.answer_promote(
            thread=thread, section=section, slug="x", actor=actor_of(supervisor)
        )
    assert not ArticleTranslation.objects.exists()
