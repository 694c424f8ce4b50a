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


def test_offer_of_private_help_notifies_the_asker_once(
    ask, customer_1, agent_a, trusted, actor_of, mailoutbox, django_capture_on_commit_callbacks
):
    from kefu.community.models import Notification

    thread = ask(customer_1, title="Deposit credited to the wrong account")
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_offer_private_help(thread=thread, actor=actor_of(agent_a))
    note = Notification.objects.get()
    assert (note.user, note.kind, note.post) == (customer_1, "private_help", None)
    assert [m.to for m in mailoutbox] == [[customer_1.email]]
    assert "Support offered private help" in mailoutbox[0].subject
    with pytest.raises(InvalidTransition), django_capture_on_commit_callbacks(execute=True):
        services.thread_offer_private_help(thread=thread, actor=actor_of(agent_a))
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_private_help_through_the_pages_opens_a_request_the_customer_sees_in_the_portal(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    from django.test import Client

    thread = ask(customer_1, title="Withdrawal to the wrong network", body="Sent USDT on BSC.")
    staff, asker, other = Client(), Client(), Client()
    staff.force_login(agent_a)
    asker.force_login(customer_1)
    other.force_login(customer_2)
    assert staff.post(f"/agent/community/threads/{thread.pk}/offer-private").status_code == 302
    portal = asker.get("/requests/").content.decode()
    assert "Support offered to help you in private:" in portal
    page = asker.get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert "Continue in private" in page
    assert (
        "Continue in private"
        not in other.get(f"/help/en/community/t/{thread.pk}/").content.decode()
    )
    assert other.post(f"/help/en/community/t/{thread.pk}/private-help").status_code == 404
    assert not Conversation.objects.exists()

    response = asker.post(f"/help/en/community/t/{thread.pk}/private-help")
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{conversation.pk}/"
    detail = asker.get(response["Location"]).content.decode()
    assert "Withdrawal to the wrong network" in detail
    assert "Sent USDT on BSC." in detail
    assert "Withdrawal to the wrong network" in asker.get("/requests/").content.decode()
    assert staff.get(f"/agent/c/{conversation.pk}/").status_code == 200
    staff_page = staff.get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert f'href="/agent/c/{conversation.pk}/"' in staff_page
