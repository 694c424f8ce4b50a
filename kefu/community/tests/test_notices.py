"""Authors are told when a moderator acts on their post or thread (approve, hide, delete, lock,
move), with the reason and never the moderator's name, in the portal, on the forum and by
email; notices never link to what the author may no longer read. A lock's reason is shown on
the thread."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.community import selectors, services
from kefu.community.models import Notification, Post, Visibility
from kefu.core.errors import InvalidTransition, ValidationFailed


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def thread(ask, customer_1, trusted):
    return ask(customer_1, title="Withdrawal stuck on TRC20")


@pytest.fixture
def reply(thread, customer_2, actor_of):
    return services.post_reply(thread=thread, body="Buy my bot", actor=actor_of(customer_2))


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run the on-commit email jobs of the block (the immediate task backend sends them)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _notices(user, kind=None):
    rows = Notification.objects.filter(user=user)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows)


def _moderator_names(agent):
    return [agent.email, agent.display_name, services.profile_for(agent).display_name]


# Services -----------------------------------------------------------------------------------


def test_hiding_a_reply_tells_its_author_why_by_notice_and_email(
    reply, customer_2, agent_a, actor_of, capture, mailoutbox
):
    with capture():
        services.post_moderate(
            post=reply, action="hide", reason="Advertising & spam", actor=actor_of(agent_a)
        )
    [notice] = _notices(customer_2)
    assert (notice.kind, notice.post_id, notice.reason) == (
        "hidden",
        reply.pk,
        "Advertising & spam",
    )
    assert _notices(reply.thread.author, "hidden") == []  # the asker's post was not touched
    [mail] = mailoutbox
    assert mail.to == [customer_2.email]
    assert mail.subject == "Your post was hidden: Withdrawal stuck on TRC20"
    assert "A moderator hid your post in “Withdrawal stuck on TRC20”" in mail.body
    assert "Reason: Advertising & spam" in mail.body  # plain text: not HTML-escaped
    # The link goes to the thread, not to the hidden post.
    assert f"/help/en/community/t/{reply.thread_id}/\n" in mail.body
    assert "#post-" not in mail.body
    for name in _moderator_names(agent_a):
        assert name not in mail.body
        assert name not in mail.subject
    # Audited as before.
    entry = AuditEntry.objects.get(action="community.post_hide")
    assert entry.data["reason"] == "Advertising & spam"


def test_deleting_a_reply_links_the_notice_to_the_thread_not_the_post(
    reply, customer_2, agent_a, actor_of
):
    services.post_moderate(post=reply, action="delete", reason="Scam", actor=actor_of(agent_a))
    [item] = selectors.notifications_for(user=customer_2)
    assert (item.kind, item.reason, item.readable) == ("deleted", "Scam", True)
    assert item.url == f"/help/en/community/t/{reply.thread_id}/"
    assert item.title == "Withdrawal stuck on TRC20"


def test_deleting_a_question_links_the_notice_to_the_board(
    thread, customer_1, agent_a, actor_of, capture, mailoutbox
):
    question = Post.objects.get(thread=thread, is_question=True)
    with capture():
        services.post_moderate(
            post=question, action="delete", reason="Duplicate", actor=actor_of(agent_a)
        )
    [item] = selectors.notifications_for(user=customer_1)
    assert (item.kind, item.readable) == ("deleted", False)
    assert item.url == "/help/en/community/b/withdrawals/"
    assert item.title == "Withdrawal stuck on TRC20"  # their own thread: they may see its name
    [mail] = mailoutbox
    assert "/help/en/community/b/withdrawals/" in mail.body
    assert f"/t/{thread.pk}/" not in mail.body


def test_a_deleted_thread_of_someone_else_is_not_named_or_linked(
    reply, thread, customer_2, agent_a, actor_of, mailoutbox
):
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    question = Post.objects.get(thread=thread, is_question=True)
    services.post_moderate(post=question, action="delete", reason="Scam", actor=actor_of(agent_a))
    [item] = selectors.notifications_for(user=customer_2)  # the asker's deletion is not theirs
    assert (item.kind, item.readable, item.title) == ("hidden", False, "")
    assert item.url == "/help/en/community/b/withdrawals/"
    html = _client(customer_2).get("/help/en/community/notifications").content.decode()
    assert "Withdrawal stuck on TRC20" not in html
    assert "a thread on Withdrawals" in html
    assert f"/t/{thread.pk}/" not in html
    # Its email names neither.
    from kefu.community import tasks

    tasks.email_notification.enqueue(notification_id=item.pk)
    [mail] = mailoutbox
    assert "Withdrawal stuck on TRC20" not in mail.subject + mail.body
    assert "a thread on Withdrawals" in mail.subject
    assert f"/t/{thread.pk}/" not in mail.body


def test_approving_a_held_post_tells_its_author_and_links_to_the_post(
    ask, customer_1, agent_a, actor_of, capture, mailoutbox
):
    held = ask(customer_1, title="First question here")
    question = Post.objects.get(thread=held, is_question=True)
    assert question.visibility == Visibility.HELD
    with capture():
        services.post_moderate(post=question, action="approve", actor=actor_of(agent_a))
    [item] = selectors.notifications_for(user=customer_1)
    assert (item.kind, item.reason) == ("approved", "")
    assert item.url == f"/help/en/community/t/{held.pk}/#post-{question.pk}"
    [mail] = mailoutbox
    assert mail.subject == "Your post was approved: First question here"
    assert "Reason:" not in mail.body


def test_restore_and_unlock_are_not_notices(reply, thread, customer_2, agent_a, actor_of):
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    services.post_moderate(post=reply, action="restore", actor=actor_of(agent_a))
    services.thread_moderate(thread=thread, action="lock", reason="Done", actor=actor_of(agent_a))
    services.thread_moderate(
        thread=thread, action="unlock", reason="Reopen", actor=actor_of(agent_a)
    )
    kinds = sorted(Notification.objects.exclude(kind="reply").values_list("kind", flat=True))
    assert kinds == ["hidden", "locked"]


def test_staff_acting_on_their_own_posts_and_threads_are_not_notified(
    board, agent_a, actor_of, zh_board, mailoutbox, capture
):
    with capture():
        own = services.thread_create(
            board=board, title="Maintenance tonight", body="Details.", actor=actor_of(agent_a)
        )
        note = services.post_reply(thread=own, body="Update.", actor=actor_of(agent_a))
        services.post_moderate(post=note, action="hide", reason="Outdated", actor=actor_of(agent_a))
        services.thread_moderate(thread=own, action="lock", reason="Over", actor=actor_of(agent_a))
        services.thread_moderate(
            thread=own, action="move", reason="Chinese", board=zh_board, actor=actor_of(agent_a)
        )
        services.post_moderate(post=note, action="delete", reason="Gone", actor=actor_of(agent_a))
    assert Notification.objects.count() == 0
    assert mailoutbox == []
    assert AuditEntry.objects.filter(action__startswith="community.thread_").count() == 3


def test_another_staff_member_acting_on_a_staff_post_notifies_its_author(
    thread, agent_a, agent_b, actor_of
):
    note = services.post_reply(thread=thread, body="Try again later.", actor=actor_of(agent_a))
    services.post_moderate(post=note, action="hide", reason="Wrong", actor=actor_of(agent_b))
    assert [(n.kind, n.reason) for n in _notices(agent_a)] == [("hidden", "Wrong")]


def test_refused_moderation_notifies_nobody(reply, thread, customer_1, agent_a, actor_of):
    with pytest.raises(ValidationFailed):
        services.post_moderate(post=reply, action="hide", reason="", actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        services.post_moderate(post=reply, action="approve", actor=actor_of(agent_a))
    services.thread_moderate(thread=thread, action="lock", reason="Done", actor=actor_of(agent_a))
    with pytest.raises(InvalidTransition):
        services.thread_moderate(thread=thread, action="lock", reason="x", actor=actor_of(agent_a))
    assert list(Notification.objects.exclude(kind="reply").values_list("kind", flat=True)) == [
        "locked"
    ]
    thread.refresh_from_db()
    assert thread.lock_reason == "Done"  # the refused second lock changed nothing


def test_lock_stores_the_reason_unlock_clears_it_and_the_author_is_told(
    thread, customer_1, agent_a, actor_of, capture, mailoutbox
):
    with capture():
        services.thread_moderate(
            thread=thread, action="lock", reason="Answered; see the FAQ", actor=actor_of(agent_a)
        )
    thread.refresh_from_db()
    assert (thread.is_locked, thread.lock_reason) == (True, "Answered; see the FAQ")
    [item] = selectors.notifications_for(user=customer_1)
    assert (item.kind, item.reason, item.url) == (
        "locked",
        "Answered; see the FAQ",
        f"/help/en/community/t/{thread.pk}/",
    )
    [mail] = mailoutbox
    assert mail.subject == "Your thread was locked: Withdrawal stuck on TRC20"
    assert "Reason: Answered; see the FAQ" in mail.body
    services.thread_moderate(
        thread=thread, action="unlock", reason="More to say", actor=actor_of(agent_a)
    )
    thread.refresh_from_db()
    assert (thread.is_locked, thread.lock_reason) == (False, "")


def test_moving_a_thread_tells_its_author_the_new_board(
    thread, customer_1, agent_a, actor_of, zh_board, capture, mailoutbox
):
    with capture():
        services.thread_moderate(
            thread=thread, action="move", reason="Chinese", board=zh_board, actor=actor_of(agent_a)
        )
    [item] = selectors.notifications_for(user=customer_1)
    assert (item.kind, item.board_name) == ("moved", "提现")
    assert item.url == f"/help/zh-hans/community/t/{thread.pk}/"
    [mail] = mailoutbox
    # A member without a language gets the board's: the thread is now on the Chinese board.
    assert "移到了“提现”版块" in mail.body
    assert "原因：Chinese" in mail.body


def test_a_hidden_thread_being_locked_is_not_a_second_notice(thread, customer_1, agent_a, actor_of):
    question = Post.objects.get(thread=thread, is_question=True)
    services.post_moderate(post=question, action="hide", reason="Spam", actor=actor_of(agent_a))
    services.thread_moderate(thread=thread, action="lock", reason="Spam", actor=actor_of(agent_a))
    assert [n.kind for n in _notices(customer_1)] == ["hidden"]


def test_a_read_notice_is_not_emailed(reply, customer_2, agent_a, actor_of, mailoutbox):
    from kefu.community import tasks

    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    services.notifications_mark_read(user=customer_2, actor=actor_of(customer_2))
    tasks.email_notification.enqueue(notification_id=Notification.objects.get(kind="hidden").pk)
    assert mailoutbox == []


def test_notice_email_is_in_the_authors_language(
    thread, customer_2, agent_a, actor_of, capture, mailoutbox
):
    customer_2.language = "zh-hans"
    customer_2.save(update_fields=["language"])
    post = services.post_reply(thread=thread, body="Buy my bot", actor=actor_of(customer_2))
    with capture():
        services.post_moderate(post=post, action="delete", reason="广告", actor=actor_of(agent_a))
    [mail] = mailoutbox
    assert mail.subject == "您的帖子已被删除：Withdrawal stuck on TRC20"
    assert "原因：广告" in mail.body


def test_reply_notice_stops_pointing_at_a_reply_hidden_since(
    thread, reply, customer_1, agent_a, actor_of
):
    [before] = selectors.notifications_for(user=customer_1)
    assert before.url.endswith(f"#post-{reply.pk}")
    services.post_moderate(post=reply, action="hide", reason="Spam", actor=actor_of(agent_a))
    [after] = selectors.notifications_for(user=customer_1)
    assert (after.kind, after.url) == ("reply", f"/help/en/community/t/{thread.pk}/")


# Pages --------------------------------------------------------------------------------------


def test_author_sees_the_notice_and_reason_in_the_portal_and_on_the_forum(
    reply, customer_1, customer_2, agent_a, actor_of
):
    services.post_moderate(
        post=reply, action="hide", reason="Advertising a bot", actor=actor_of(agent_a)
    )
    portal = _client(customer_2).get("/requests/").content.decode()
    assert 'id="community-notifications"' in portal
    assert "A moderator hid your post:" in portal
    assert "Reason: Advertising a bot" in portal
    assert f'href="/help/en/community/t/{reply.thread_id}/"' in portal
    assert f"#post-{reply.pk}" not in portal
    forum = _client(customer_2).get("/help/en/community/notifications").content.decode()
    assert "Reason: Advertising a bot" in forum
    for name in _moderator_names(agent_a):
        assert name not in forum
        assert name not in portal
    # Only the author is told the reason: not the asker, not the public.
    for client in (_client(customer_1), _client()):
        page = client.get(f"/help/en/community/t/{reply.thread_id}/").content.decode()
        assert "Advertising a bot" not in page
    assert "Advertising a bot" not in _client(customer_1).get("/requests/").content.decode()
    asker_notices = _client(customer_1).get("/help/en/community/notifications").content.decode()
    assert "Advertising a bot" not in asker_notices


def test_notices_read_in_chinese(reply, customer_2, agent_a, actor_of):
    services.post_moderate(post=reply, action="delete", reason="广告", actor=actor_of(agent_a))
    html = _client(customer_2).get("/help/zh-hans/community/notifications").content.decode()
    assert "版主删除了您的帖子：" in html
    assert "原因：广告" in html


def test_locked_notice_shows_the_reason_to_everyone_until_unlocked(thread, agent_a, actor_of):
    services.thread_moderate(
        thread=thread, action="lock", reason="Solved: update the app", actor=actor_of(agent_a)
    )
    url = f"/help/en/community/t/{thread.pk}/"
    html = _client().get(url).content.decode()
    assert (
        '<p class="cm-notice" id="locked-notice">This thread is locked: no new answers. '
        "Reason: Solved: update the app</p>" in html
    )
    services.thread_moderate(
        thread=thread, action="unlock", reason="Reopen", actor=actor_of(agent_a)
    )
    html = _client().get(url).content.decode()
    assert 'id="locked-notice"' not in html
    assert "Solved: update the app" not in html


def test_locked_notice_in_chinese(ask, customer_1, trusted, zh_board, agent_a, actor_of):
    thread = ask(customer_1, title="提现一直在处理中", on=zh_board)
    services.thread_moderate(thread=thread, action="lock", reason="已解决", actor=actor_of(agent_a))
    html = _client().get(f"/help/zh-hans/community/t/{thread.pk}/").content.decode()
    assert "此主题已锁定，不能再回答。 原因：已解决</p>" in html


def test_lock_from_the_thread_page_reaches_the_author(thread, customer_1, agent_a):
    page = _client(agent_a).get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert 'id="reason-notice"' in page
    _client(agent_a).post(
        f"/agent/community/threads/{thread.pk}/moderate", {"action": "lock", "reason": "Off-topic"}
    )
    portal = _client(customer_1).get("/requests/").content.decode()
    assert "A moderator locked your thread:" in portal
    assert "Reason: Off-topic" in portal
    public = _client().get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert "Reason: Off-topic" in public
