"""Votes, accepted answers, reputation, follows, reports."""

from __future__ import annotations

import pytest

from kefu.audit.models import AuditEntry
from kefu.community import services
from kefu.community.models import Follow, Notification, Report, Vote
from kefu.community.services.profiles import REP_ACCEPTED, REP_DOWNVOTE, REP_UPVOTE
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed


@pytest.fixture
def answered(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1)
    answer = services.post_reply(
        thread=thread, body="Your withdrawal waits for confirmations.", actor=actor_of(customer_2)
    )
    return thread, answer


def rep(user) -> int:
    return services.profile_for(user).reputation


def test_votes_move_score_and_reputation(answered, customer_1, customer_2, actor_of):
    _thread, answer = answered
    services.post_vote(post=answer, value=1, actor=actor_of(customer_1))
    answer.refresh_from_db()
    assert (answer.score, rep(customer_2)) == (1, REP_UPVOTE)
    services.post_vote(post=answer, value=-1, actor=actor_of(customer_1))
    answer.refresh_from_db()
    assert (answer.score, rep(customer_2)) == (-1, REP_DOWNVOTE)
    services.post_vote(post=answer, value=0, actor=actor_of(customer_1))
    answer.refresh_from_db()
    assert (answer.score, rep(customer_2)) == (0, 0)
    assert not Vote.objects.exists()


def test_cannot_vote_on_own_post(answered, customer_2, actor_of):
    _thread, answer = answered
    with pytest.raises(PermissionDenied):
        services.post_vote(post=answer, value=1, actor=actor_of(customer_2))
    assert not Vote.objects.exists()


def test_asker_accepts_an_answer_and_the_author_gains_reputation(
    answered, customer_1, customer_2, actor_of
):
    thread, answer = answered
    services.thread_accept_answer(thread=thread, post=answer, actor=actor_of(customer_1))
    thread.refresh_from_db()
    assert thread.accepted_post_id == answer.pk
    assert rep(customer_2) == REP_ACCEPTED
    # Only the answer's author hears about it (the asker follows the thread, but accepted it).
    assert list(Notification.objects.filter(kind="accepted").values_list("user_id", flat=True)) == [
        customer_2.pk
    ]
    # Clearing it takes the reputation back.
    services.thread_accept_answer(thread=thread, post=None, actor=actor_of(customer_1))
    assert rep(customer_2) == 0


def test_other_members_cannot_accept(answered, customer_2, actor_of):
    thread, answer = answered
    with pytest.raises(PermissionDenied):
        services.thread_accept_answer(thread=thread, post=answer, actor=actor_of(customer_2))
    thread.refresh_from_db()
    assert thread.accepted_post_id is None
    assert not AuditEntry.objects.filter(action="community.answer_accepted").exists()


def test_moderator_can_accept(answered, agent_b, actor_of):
    thread, answer = answered
    services.thread_accept_answer(thread=thread, post=answer, actor=actor_of(agent_b))
    thread.refresh_from_db()
    assert thread.accepted_post_id == answer.pk


def test_the_question_itself_cannot_be_accepted(answered, customer_1, actor_of):
    thread, _answer = answered
    question = thread.posts.get(is_question=True)
    with pytest.raises(NotFound):
        services.thread_accept_answer(thread=thread, post=question, actor=actor_of(customer_1))


def test_follow_and_unfollow(answered, agent_a, actor_of):
    thread, _answer = answered
    services.thread_follow(thread=thread, follow=True, actor=actor_of(agent_a))
    assert Follow.objects.filter(thread=thread, user=agent_a).exists()
    services.thread_follow(thread=thread, follow=False, actor=actor_of(agent_a))
    assert not Follow.objects.filter(thread=thread, user=agent_a).exists()


def test_report_once_while_open(answered, customer_1, actor_of):
    _thread, answer = answered
    first = services.post_report(post=answer, reason="Spam", actor=actor_of(customer_1))
    again = services.post_report(post=answer, reason="Spam!", actor=actor_of(customer_1))
    assert first.pk == again.pk
    assert Report.objects.count() == 1


def test_report_needs_a_reason_and_not_own_post(answered, customer_2, customer_1, actor_of):
    _thread, answer = answered
    with pytest.raises(ValidationFailed):
        services.post_report(post=answer, reason="  ", actor=actor_of(customer_1))
    with pytest.raises(ValidationFailed):
        services.post_report(post=answer, reason="mine", actor=actor_of(customer_2))
    assert not Report.objects.exists()
