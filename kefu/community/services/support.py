"""Where the forum meets support: an agent offers to continue a thread in private (the asker
decides), and an accepted answer becomes a draft knowledge-base article."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.community import permissions
from kefu.community.models import Post, Thread, Visibility
from kefu.community.services.common import acting_user, audit, require_moderator
from kefu.community.services.posting import notify
from kefu.contacts.selectors import contact_for_user
from kefu.conversations.models import Conversation
from kefu.conversations.services import conversation_create
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition, NotFound, PermissionDenied
from kefu.helpcenter.models import ArticleTranslation, Section
from kefu.helpcenter.services import article_create


def thread_offer_private_help(*, thread: Thread, actor: Actor) -> Thread:
    """Offer the asker to continue in a private conversation; they are notified (portal and
    email). Nothing private moves until the asker accepts (``thread_accept_private_help``)."""
    user = require_moderator(actor)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.conversation_id is not None:
            raise InvalidTransition(_("This thread already continues in a conversation."))
        if thread.visibility in (Visibility.DELETED,) or not thread.author.is_customer:
            raise InvalidTransition(_("Private help can only be offered to a customer."))
        if thread.private_help_offered_by_id is not None:
            raise InvalidTransition(_("Private help has already been offered on this thread."))
        thread.private_help_offered_by = user
        thread.save(update_fields=["private_help_offered_by"])
        audit(actor, "community.private_help_offered", "forum_thread", thread.pk)
        notify(thread, None, "private_help", exclude=user.pk)  # the asker hears of it
    return thread


def thread_accept_private_help(*, thread: Thread, actor: Actor) -> Conversation:
    """The asker accepts the offer: a private conversation opens in their name with the
    question (as they posted it) and a link back to the thread. Only the asker can do this."""
    user = acting_user(actor)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.author_id != user.pk:
            raise NotFound()
        if thread.private_help_offered_by_id is None:
            raise InvalidTransition(_("Support has not offered private help on this thread."))
        if thread.conversation_id is not None:
            raise InvalidTransition(_("This thread already continues in a conversation."))
        question = Post.objects.get(thread=thread, is_question=True)
        link = reverse("community:thread", args=[thread.board.language, thread.pk])
        conversation = conversation_create(
            contact=contact_for_user(user),
            subject=thread.title,
            body=_("Continued from the community thread %(link)s\n\n%(question)s")
            % {"link": link, "question": question.body},
            language=thread.board.language,
            actor=actor,
        )
        thread.conversation = conversation
        thread.save(update_fields=["conversation"])
        audit(
            actor,
            "community.private_help_accepted",
            "forum_thread",
            thread.pk,
            conversation=conversation.pk,
        )
    return conversation


def answer_promote(
    *, thread: Thread, section: Section, slug: str, actor: Actor
) -> ArticleTranslation:
    """Turn the thread's accepted answer into a DRAFT article (the help center's own
    ``article_create``: it goes through review and publishing like any other draft)."""
    user = acting_user(actor)
    if not permissions.can_promote(user):
        raise PermissionDenied(_("Only knowledge-base writers can create articles."))
    thread = Thread.objects.select_related("board", "accepted_post").get(pk=thread.pk)
    answer = thread.accepted_post
    if thread.visibility != Visibility.VISIBLE:
        raise NotFound()
    if answer is None or answer.visibility != Visibility.VISIBLE:
        raise InvalidTransition(_("Only a thread with an accepted answer can be promoted."))
    question = Post.objects.get(thread=thread, is_question=True)
    body = "\n\n".join(
        [
            question.body,
            "## " + _("Answer"),
            answer.body,
        ]
    )
    with transaction.atomic():
        translation = article_create(
            section=section,
            slug=slug,
            language=thread.board.language,
            title=thread.title,
            body=body,
            tags=thread.tags,
            actor=actor,
        )
        thread.article = translation.article
        thread.save(update_fields=["article"])
        audit(
            actor,
            "community.answer_promoted",
            "forum_thread",
            thread.pk,
            post=answer.pk,
            article=translation.article_id,
        )
    return translation
