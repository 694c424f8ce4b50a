"""The forum's pages: who sees what, the staff badge, search under the articles."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kefu.community import services
from kefu.community.models import Post, Thread, Visibility
from kefu.helpcenter.services import article_create, article_publish, category_save, section_save


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_thread_page_shows_the_staff_badge_only_on_staff_posts(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    thread = ask(customer_1)
    services.post_reply(thread=thread, body="Staff answer here.", actor=actor_of(agent_a))
    services.post_reply(
        thread=thread, body="✔ Verified staff (not really)", actor=actor_of(customer_2)
    )
    html = _client().get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert html.count('class="cm-staff"') == 1
    assert html.index("Staff answer here.") > html.index('class="cm-staff"')


def test_held_thread_is_visible_to_its_author_and_staff_only(ask, customer_1, customer_2, agent_b):
    thread = ask(customer_1)  # a first post: held
    url = f"/help/en/community/t/{thread.pk}/"
    assert _client().get(url).status_code == 404
    assert _client(customer_2).get(url).status_code == 404
    assert _client(customer_1).get(url).status_code == 200
    page = _client(agent_b).get(url)
    assert page.status_code == 200
    assert "Approve" in page.content.decode()


def test_board_lists_visible_threads_and_filters_by_tag(ask, customer_1, trusted):
    ask(customer_1, title="Fee question", tags=["fees"])
    ask(customer_1, title="KYC question", tags=["kyc"])
    html = _client().get("/help/en/community/b/withdrawals/?tag=fees").content.decode()
    assert "Fee question" in html
    assert "KYC question" not in html


def test_ask_through_the_page(board, customer_1, trusted):
    response = _client(customer_1).post(
        "/help/en/community/b/withdrawals/ask",
        {
            "title": "Deposit missing",
            "body": "Sent **10 USDT** yesterday.",
            "tags": "usdt, deposit",
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/t/{thread.pk}/")
    assert thread.tags == ["usdt", "deposit"]
    assert "<strong>10 USDT</strong>" in Post.objects.get().html


def test_ask_page_shows_a_clear_error_for_a_lookalike_link(board, customer_1, trusted, official):
    response = _client(customer_1).post(
        "/help/en/community/b/withdrawals/ask",
        {"title": "Bonus", "body": "go to demo-exchange.com.evil.io/login"},
    )
    assert response.status_code == 422
    assert "imitates an official address" in response.content.decode()
    assert not Thread.objects.exists()


def test_profile_edit_refuses_staff_lookalikes_on_the_page(customer_1):
    response = _client(customer_1).post("/help/en/community/profile", {"display_name": "客服"})
    assert response.status_code == 422
    assert services.profile_for(customer_1).display_name == f"member-{customer_1.pk}"


def test_search_shows_forum_threads_under_articles_with_a_label(ask, customer_1, trusted, system):
    category = category_save(slug="w", names={"en": "Withdrawals"}, actor=system)
    section = section_save(category=category, slug="s", names={"en": "S"}, actor=system)
    translation = article_create(
        section=section,
        slug="pending",
        language="en",
        title="Why is my withdrawal pending",
        body="Reviews.",
        actor=system,
    )
    article_publish(translation=translation, actor=system)
    thread = ask(customer_1, title="Withdrawal pending for hours")
    html = _client().get("/help/en/search/?q=withdrawal+pending").content.decode()
    article_at = html.index("Why is my withdrawal pending")
    forum_at = html.index("From the community forum")
    assert article_at < forum_at < html.index(f"/help/en/community/t/{thread.pk}/")


def test_held_threads_never_reach_search(ask, customer_1):
    thread = ask(customer_1, title="Withdrawal pending for hours")
    assert thread.visibility == Visibility.HELD
    html = _client().get("/help/en/search/?q=withdrawal+pending").content.decode()
    assert "From the community forum" not in html


def test_notifications_page_lists_and_marks_read(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1)
    services.post_reply(thread=thread, body="An answer", actor=actor_of(customer_2))
    client = _client(customer_1)
    assert thread.title in client.get("/help/en/community/notifications").content.decode()
    client.post("/help/en/community/notifications")
    from kefu.community.models import Notification

    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_index_lists_boards_of_its_language(board, zh_board, lang):
    html = _client().get(f"/help/{lang}/community/").content.decode()
    shown = "提现" if lang == "zh-hans" else "Withdrawals"
    hidden = "Withdrawals" if lang == "zh-hans" else "提现"
    assert f">{shown}</a>" in html
    assert f">{hidden}</a>" not in html


def test_portal_nav_links_to_forum_notifications(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1)
    services.post_reply(thread=thread, body="An answer", actor=actor_of(customer_2))
    html = _client(customer_1).get("/requests/").content.decode()
    assert 'href="/help/en/community/notifications"' in html
    page = _client(customer_1).get("/help/en/community/notifications").content.decode()
    assert '<span class="cm-count">1</span>' in page


def test_moderator_moves_a_thread_from_its_page(ask, customer_1, trusted, agent_a, zh_board):
    thread = ask(customer_1)
    page = _client(agent_a).get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert f'<option value="{zh_board.pk}">' in page
    _client(agent_a).post(
        f"/agent/community/threads/{thread.pk}/moderate",
        {"action": "move", "board": zh_board.pk, "reason": "Chinese"},
    )
    thread.refresh_from_db()
    assert thread.board == zh_board


def test_supervisor_bans_from_the_profile_page(ask, customer_1, trusted, supervisor, agent_a):
    ask(customer_1)
    url = f"/help/en/community/u/{customer_1.pk}/"
    assert 'value="ban"' not in _client(agent_a).get(url).content.decode()
    assert 'value="ban"' in _client(supervisor).get(url).content.decode()
    response = _client(supervisor).post(
        f"/agent/community/members/{customer_1.pk}/sanction",
        {"action": "ban", "reason": "Scam links", "next": url},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert services.profile_for(customer_1).banned


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_thread_and_board_pages_do_not_query_per_post(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    thread = ask(customer_1)
    for n in range(2):
        services.post_reply(thread=thread, body=f"answer {n}", actor=actor_of(agent_a))
    client = _client(customer_2)
    client.get("/help/en/community/")  # the session's first request loads it once
    few_thread = _queries(client, f"/help/en/community/t/{thread.pk}/")
    few_board = _queries(client, "/help/en/community/b/withdrawals/")
    for n in range(6):
        services.post_reply(thread=thread, body=f"more {n}", actor=actor_of(agent_a))
        ask(agent_a, title=f"Staff thread {n}")
    assert _queries(client, f"/help/en/community/t/{thread.pk}/") == few_thread
    assert _queries(client, "/help/en/community/b/withdrawals/") == few_board


def test_muted_member_is_told_why_before_writing_and_nothing_is_stored(
    ask, customer_1, supervisor, trusted, actor_of
):
    thread = ask(customer_1)
    services.member_sanction(
        user=customer_1,
        action="mute",
        reason="Repeated off-topic ads",
        days=2,
        actor=actor_of(supervisor),
    )
    client = _client(customer_1)
    for url in (f"/help/en/community/t/{thread.pk}/", "/help/en/community/b/withdrawals/ask"):
        html = client.get(url).content.decode()
        assert 'id="posting-restriction"' in html
        assert "You are muted until" in html
        assert "Reason: Repeated off-topic ads" in html
        assert 'name="body"' not in html  # no form to write into
    response = client.post(
        "/help/en/community/b/withdrawals/ask", {"title": "Again", "body": "Buy now"}
    )
    assert response.status_code == 422
    assert "You are muted until" in response.content.decode()
    assert Thread.objects.count() == 1


def test_banned_member_is_told_on_the_thread_page(ask, customer_1, supervisor, trusted, actor_of):
    thread = ask(customer_1)
    services.member_sanction(
        user=customer_1, action="ban", reason="Scam links", actor=actor_of(supervisor)
    )
    html = _client(customer_1).get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert "Your account may no longer post in the community. Reason: Scam links" in html
    other = _client(supervisor).get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert 'id="posting-restriction"' not in other


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("posts/{post}/moderate", {"action": "hide"}),
        ("posts/{post}/moderate", {"action": "delete"}),
        ("threads/{thread}/moderate", {"action": "lock"}),
        ("threads/{thread}/moderate", {"action": "move", "board": "{board}"}),
    ],
)
def test_moderation_without_a_reason_is_refused_with_a_clear_message(
    ask, customer_1, customer_2, trusted, agent_a, actor_of, zh_board, path, data
):
    from kefu.audit.models import AuditEntry

    thread = ask(customer_1)
    post = services.post_reply(thread=thread, body="Buy my bot", actor=actor_of(customer_2))
    ids = {"post": post.pk, "thread": thread.pk, "board": zh_board.pk}
    url = "/agent/community/" + path.format(**ids)
    back = f"/help/en/community/t/{thread.pk}/"
    data = {k: v.format(**ids) for k, v in data.items()} | {"reason": "  ", "next": back}
    response = _client(agent_a).post(url, data, follow=True)
    assert "Give a reason: it is kept in the audit log." in response.content.decode()
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.visibility == Visibility.VISIBLE
    assert not thread.is_locked
    assert thread.board.language == "en"
    assert not AuditEntry.objects.filter(
        action__in=[
            "community.post_hide",
            "community.post_delete",
            "community.thread_lock",
            "community.thread_move",
        ]
    ).exists()


def test_moderators_see_why_a_post_was_hidden_and_the_public_does_not_see_it(
    ask, customer_1, customer_2, trusted, agent_a, agent_b, actor_of
):
    thread = ask(customer_1)
    post = services.post_reply(thread=thread, body="Buy my bot", actor=actor_of(customer_2))
    services.post_moderate(
        post=post, action="hide", reason="Advertising a bot", actor=actor_of(agent_a)
    )
    url = f"/help/en/community/t/{thread.pk}/"
    staff_page = _client(agent_b).get(url).content.decode()
    assert "Moderator's reason: Advertising a bot" in staff_page
    public = _client(customer_1).get(url).content.decode()
    assert "Buy my bot" not in public
    assert "Advertising a bot" not in public


def test_portal_shows_unread_forum_notifications_and_reading_the_thread_clears_them(
    ask, customer_1, customer_2, trusted, actor_of, agent_a
):
    thread = ask(customer_1, title="Deposit missing on BSC")
    other = ask(customer_1, title="Scam thread later removed")
    services.post_reply(thread=thread, body="Check the memo.", actor=actor_of(customer_2))
    services.post_reply(thread=other, body="An answer", actor=actor_of(customer_2))
    client = _client(customer_1)
    portal = client.get("/requests/").content.decode()
    assert '<span class="badge" id="community-unread"' in portal
    assert ">2</span>" in portal
    assert 'id="community-notifications"' in portal
    assert "Deposit missing on BSC" in portal
    assert f'href="/help/en/community/t/{thread.pk}/#post-' in portal
    # A thread taken down: the reply notice about it goes; the asker is told of the deletion
    # instead (with the reason), linked to the board, never to the thread.
    question = Post.objects.get(thread=other, is_question=True)
    services.post_moderate(post=question, action="delete", reason="scam", actor=actor_of(agent_a))
    portal = client.get("/requests/").content.decode()
    assert portal.count("Scam thread later removed") == 1
    assert "A moderator deleted your post:" in portal
    assert "New reply in:" in portal  # the other thread's reply notice only
    assert portal.count("New reply in:") == 1
    assert f"/t/{other.pk}/" not in portal
    assert 'href="/help/en/community/b/withdrawals/"' in portal
    assert ">2</span>" in portal
    page = client.get("/help/en/community/notifications").content.decode()
    assert page.count("Scam thread later removed") == 1
    assert f"/t/{other.pk}/" not in page
    # Opening the thread reads its notification; "Mark all as read" reads the deletion notice.
    client.get(f"/help/en/community/t/{thread.pk}/")
    portal = client.get("/requests/").content.decode()
    assert ">1</span>" in portal
    assert "Deposit missing on BSC" not in portal
    client.post("/help/en/community/notifications")
    portal = client.get("/requests/").content.decode()
    assert 'id="community-unread"' not in portal
    assert 'id="community-notifications"' not in portal
    assert 'href="/help/en/community/notifications"' in portal  # the link itself stays


@pytest.mark.parametrize(
    ("lang", "label", "heading"),
    [("en", "Community", "From the community forum"), ("zh-hans", "社区", "来自社区论坛")],
)
def test_search_lists_only_visible_threads_under_a_label_in_both_languages(
    ask, customer_1, customer_2, trusted, agent_a, actor_of, lang, label, heading
):
    shown = ask(customer_1, title="Withdrawal pending visible")
    hidden = ask(customer_1, title="Withdrawal pending hidden")
    deleted = ask(customer_1, title="Withdrawal pending deleted")
    held = ask(customer_2, title="Withdrawal pending see https://example.org")  # a link: held
    for thread, action in ((hidden, "hide"), (deleted, "delete")):
        question = Post.objects.get(thread=thread, is_question=True)
        services.post_moderate(post=question, action=action, reason="x", actor=actor_of(agent_a))
    assert held.visibility == Visibility.HELD
    for client in (_client(), _client(customer_2), _client(agent_a)):  # staff too: search is public
        html = client.get(f"/help/{lang}/search/", {"q": "withdrawal pending"}).content.decode()
        assert heading in html
        assert (
            f'<span class="hc-badge">{label}</span> <a href="/help/en/community/t/{shown.pk}/"'
            in html
        )
        for gone in (hidden, deleted, held):
            assert f"/community/t/{gone.pk}/" not in html


@pytest.mark.parametrize(
    "body",
    [
        '<span class="cm-staff">✔ Verified staff</span>',
        '<div class="cm-post cm-by-staff">x</div>',
        "[✔ Verified staff](#)",
        '![badge](/help/community/media/1/x.png "cm-staff")',
    ],
)
def test_badge_markup_in_a_post_stays_text(ask, customer_1, customer_2, trusted, actor_of, body):
    thread = ask(customer_1)
    post = services.post_reply(thread=thread, body=body, actor=actor_of(customer_2))
    assert not re.search(r"<[a-z]+[^>]* class=", post.html)  # markup typed is shown as text
    html = _client().get(f"/help/en/community/t/{thread.pk}/").content.decode()
    assert '<span class="cm-staff"' not in html
    assert f'<article id="post-{post.pk}" class="cm-post">' in html


def test_post_images_are_served_safely_and_only_to_who_may_read_the_post(
    ask, customer_1, customer_2, trusted, agent_a, actor_of
):
    from kefu.community.models import PostImage
    from kefu.conversations.attachments import UploadedFile
    from tests.permissions.world import png_bytes

    thread = ask(customer_1, images=[UploadedFile(filename="shot.png", content=png_bytes())])
    image = PostImage.objects.get()
    url = f"/help/community/media/{image.pk}/shot.png"
    response = _client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    question = Post.objects.get(thread=thread, is_question=True)
    services.post_moderate(post=question, action="hide", reason="x", actor=actor_of(agent_a))
    assert _client().get(url).status_code == 404
    assert _client(customer_2).get(url).status_code == 404
    staff = _client(agent_a).get(url)
    assert staff.status_code == 200
    assert staff["Cache-Control"] == "private, no-store"
    assert _client().get(f"/help/community/media/{image.pk}/other.png").status_code == 404


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("x" * 200_000, "Ensure this value has at most 20000 characters (it has 200000)."),
        ("> " * 9_990 + "deep", "Quotes and lists can be nested at most 10 levels deep."),
        ("- " * 9_990 + "deep", "Quotes and lists can be nested at most 10 levels deep."),
        ("hello\x00world", "Null characters are not allowed."),
        ("see demo-exchange.com.evil.io/login", "imitates an official address"),
    ],
)
def test_bad_answers_are_refused_on_the_page_and_nothing_is_stored(
    ask, customer_1, customer_2, trusted, official, body, error
):
    from kefu.audit.models import AuditEntry

    thread = ask(customer_1)
    response = _client(customer_2).post(f"/help/en/community/t/{thread.pk}/reply", {"body": body})
    assert response.status_code == 422
    html = response.content.decode()
    assert error in html
    assert html.count('<textarea name="body"') == 1
    assert Post.objects.filter(thread=thread).count() == 1  # the question only
    assert not AuditEntry.objects.filter(action="community.post_created").exists()


def test_refused_answer_keeps_what_the_member_typed(ask, customer_1, customer_2, trusted, official):
    thread = ask(customer_1)
    body = "Long explanation of fees.\n\nAnd a link: demo-exchange.com.evil.io/login"
    response = _client(customer_2).post(f"/help/en/community/t/{thread.pk}/reply", {"body": body})
    assert response.status_code == 422
    assert "Long explanation of fees." in response.content.decode()
    assert 'id="id_body"' in response.content.decode()


def test_broken_markdown_is_stored_and_shown_as_text(ask, customer_1, customer_2, trusted):
    thread = ask(customer_1)
    response = _client(customer_2).post(
        f"/help/en/community/t/{thread.pk}/reply",
        {"body": "**unclosed [link](http://\n```\nunclosed fence"},
    )
    assert response.status_code == 302
    post = Post.objects.get(thread=thread, is_question=False)
    assert "**unclosed" in post.html
    assert "<pre><code>unclosed fence" in post.html
