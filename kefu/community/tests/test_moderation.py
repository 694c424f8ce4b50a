"""Hide, restore, delete, lock, move with reasons (audited); mute and ban; boards."""

from __future__ import annotations

import pytest

from kefu.audit.models import AuditEntry
from kefu.community import searching, services
from kefu.community.models import Board, Report, ReportState, Visibility
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed


@pytest.fixture
def reply(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1, title="Withdrawal stuck on TRC20")
    return services.post_reply(thread=thread, body="Buy my bot", actor=actor_of(customer_2))


def test_hide_needs_a_reason_and_is_audited(reply, agent_a, actor_of):
    with pytest.raises(ValidationFailed):
        services.post_moderate(post=reply, action="hide", reason="", actor=actor_of(agent_a))
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HIDDEN
    entry = AuditEntry.objects.get(action="community.post_hide")
    assert entry.data["reason"] == "Spam"
    assert entry.actor_ref == f"agent:{agent_a.pk}"
    reply.thread.refresh_from_db()
    assert reply.thread.reply_count == 0


def test_restore_and_delete(reply, agent_a, actor_of):
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    services.post_moderate(post=reply, action="restore", actor=actor_of(agent_a))
    reply.refresh_from_db()
    assert reply.visibility == Visibility.VISIBLE
    services.post_moderate(post=reply, action="delete", reason="Scam", actor=actor_of(agent_a))
    reply.refresh_from_db()
    assert reply.visibility == Visibility.DELETED
    with pytest.raises(InvalidTransition):
        services.post_moderate(post=reply, action="restore", actor=actor_of(agent_a))


def test_customers_cannot_moderate(reply, customer_1, actor_of):
    with pytest.raises(PermissionDenied):
        services.post_moderate(post=reply, action="hide", reason="x", actor=actor_of(customer_1))
    reply.refresh_from_db()
    assert reply.visibility == Visibility.VISIBLE


def test_moderating_resolves_open_reports(reply, customer_1, agent_a, actor_of):
    services.post_report(post=reply, reason="Spam", actor=actor_of(customer_1))
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    report = Report.objects.get()
    assert report.state == ReportState.RESOLVED
    assert report.resolved_by == agent_a


def test_hiding_a_question_hides_the_thread_from_search(
    ask, customer_1, trusted, agent_a, actor_of
):
    thread = ask(customer_1, title="Withdrawal stuck on TRC20")
    assert [r.thread_id for r in searching.forum_search("trc20", language="en")] == [thread.pk]
    question = thread.posts.get(is_question=True)
    services.post_moderate(
        post=question, action="hide", reason="Off-topic", actor=actor_of(agent_a)
    )
    searching.sync_now()
    assert searching.forum_search("trc20", language="en") == []


def test_move_and_lock_threads(reply, agent_a, actor_of, zh_board):
    thread = reply.thread
    services.thread_moderate(
        thread=thread,
        action="move",
        reason="Chinese question",
        board=zh_board,
        actor=actor_of(agent_a),
    )
    thread.refresh_from_db()
    assert thread.board == zh_board
    entry = AuditEntry.objects.get(action="community.thread_move")
    assert entry.data["to_board"] == zh_board.pk
    services.thread_moderate(thread=thread, action="lock", reason="Done", actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        services.thread_moderate(thread=thread, action="lock", reason="x", actor=actor_of(agent_a))


def test_only_supervisors_sanction_members(customer_2, agent_a, supervisor, actor_of):
    with pytest.raises(PermissionDenied):
        services.member_sanction(
            user=customer_2, action="ban", reason="scam", actor=actor_of(agent_a)
        )
    assert not services.profile_for(customer_2).banned
    services.member_sanction(
        user=customer_2, action="ban", reason="scam", actor=actor_of(supervisor)
    )
    assert services.profile_for(customer_2).banned
    assert AuditEntry.objects.filter(action="community.member_ban").count() == 1


def test_staff_cannot_be_sanctioned_here(agent_a, supervisor, actor_of):
    with pytest.raises(PermissionDenied):
        services.member_sanction(user=agent_a, action="ban", reason="x", actor=actor_of(supervisor))


def test_board_save_for_managers_only(agent_a, supervisor, actor_of):
    with pytest.raises(PermissionDenied):
        services.board_save(slug="kyc", language="en", name="KYC", actor=actor_of(agent_a))
    board = services.board_save(slug="kyc", language="en", name="KYC", actor=actor_of(supervisor))
    assert Board.objects.get(pk=board.pk).name == "KYC"
    with pytest.raises(ValidationFailed):
        services.board_save(slug="kyc", language="fr", name="KYC", actor=actor_of(supervisor))
