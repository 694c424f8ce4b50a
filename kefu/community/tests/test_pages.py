"""The forum's pages: who sees what, the staff badge, search under the articles."""

from __future__ import annotations

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
