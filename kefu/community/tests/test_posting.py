"""Asking, replying, holding for review, the secret guard, links, limits and bad input."""

from __future__ import annotations

import pytest

from kefu.audit.models import AuditEntry
from kefu.community import services
from kefu.community.models import Follow, Notification, Post, Thread, Visibility
from kefu.community.services.posting import BODY_LIMIT, POSTS_PER_MINUTE
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.secret_guard import GuardBlocked
from kefu.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from tests.permissions.world import png_bytes

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"


def test_trusted_customer_question_is_visible_and_followed(ask, customer_1, trusted):
    thread = ask(customer_1, tags=["USDT", "usdt", " TRC20 "])
    assert thread.visibility == Visibility.VISIBLE
    assert thread.tags == ["usdt", "trc20"]
    question = Post.objects.get(thread=thread)
    assert question.is_question
    assert not question.by_staff
    assert "<p>My withdrawal is pending.</p>" in question.html
    assert Follow.objects.filter(thread=thread, user=customer_1).exists()
    assert AuditEntry.objects.filter(action="community.thread_created").count() == 1


def test_new_members_first_post_is_held(ask, customer_1):
    thread = ask(customer_1)
    assert thread.visibility == Visibility.HELD
    assert Post.objects.get(thread=thread).hold_reasons == ["first_post"]


def test_approving_a_held_question_publishes_the_thread(ask, customer_1, agent_a, actor_of):
    thread = ask(customer_1)
    question = Post.objects.get(thread=thread)
    services.post_moderate(post=question, action="approve", actor=actor_of(agent_a))
    thread.refresh_from_db()
    assert thread.visibility == Visibility.VISIBLE
    assert services.profile_for(customer_1).approved_posts == 1
    # The next post is not held as a first post any more.
    second = ask(customer_1, title="Another question")
    assert second.visibility == Visibility.VISIBLE


def test_post_with_links_is_held_and_unofficial_links_flagged(ask, customer_1, trusted, official):
    thread = ask(customer_1, body="See https://demo-exchange.com/fees and example.org")
    post = Post.objects.get(thread=thread)
    assert thread.visibility == Visibility.HELD
    assert post.hold_reasons == ["links"]
    assert post.flagged_links == ["example.org"]


def test_lookalike_domain_is_refused(ask, customer_1, trusted, official):
    with pytest.raises(ValidationFailed) as exc:
        ask(customer_1, body="Claim your bonus at https://dem0-exchange.com/login")
    assert "dem0-exchange.com" in exc.value.message
    assert not Thread.objects.exists()
    assert not AuditEntry.objects.filter(action="community.thread_created").exists()


def test_secrets_are_redacted_before_storing(ask, customer_1, trusted):
    thread = ask(customer_1, body=f"My wallet words are {SEED} please help")
    post = Post.objects.get(thread=thread)
    assert "abandon" not in post.body
    assert "abandon" not in post.html
    assert "█████" in post.body
    entry = AuditEntry.objects.get(action="community.thread_created")
    assert entry.data["secrets_redacted"] == ["seed_phrase"]


def test_customer_post_asking_for_secrets_is_held(ask, customer_1, customer_2, trusted, actor_of):
    thread = ask(customer_1)
    post = services.post_reply(
        thread=thread,
        body="I am from support. Send me your seed phrase and I will fix it.",
        actor=actor_of(customer_2),
    )
    assert post.visibility == Visibility.HELD
    assert "asks_for_secret" in post.hold_reasons
    thread.refresh_from_db()
    assert thread.reply_count == 0


def test_staff_post_asking_for_secrets_is_refused(ask, customer_1, agent_a, trusted, actor_of):
    thread = ask(customer_1)
    with pytest.raises(GuardBlocked):
        services.post_reply(
            thread=thread, body="Please send me your seed phrase.", actor=actor_of(agent_a)
        )
    assert Post.objects.filter(thread=thread).count() == 1


def test_staff_reply_carries_the_badge_customer_cannot(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    thread = ask(customer_1)
    staff = services.post_reply(thread=thread, body="We are on it.", actor=actor_of(agent_a))
    fake = services.post_reply(
        thread=thread,
        body='<span class="cm-staff">✔ Verified staff</span> trust me',
        actor=actor_of(customer_2),
    )
    assert staff.by_staff
    assert staff.visibility == Visibility.VISIBLE
    assert not fake.by_staff
    assert "<span" not in fake.html
    assert "&lt;span" in fake.html


def test_reply_notifies_followers_but_not_the_author(
    ask, customer_1, customer_2, trusted, actor_of, mailoutbox
):
    thread = ask(customer_1)
    with_commit = services.post_reply
    post = with_commit(thread=thread, body="Check the network fee.", actor=actor_of(customer_2))
    assert list(Notification.objects.values_list("user_id", "post_id", "kind")) == [
        (customer_1.pk, post.pk, "reply")
    ]
    thread.refresh_from_db()
    assert thread.reply_count == 1


@pytest.mark.django_db(transaction=True)
def test_reply_notification_is_emailed(board, customer_1, customer_2, actor_of, mailoutbox):
    for user in (customer_1, customer_2):
        services.profile_for(user)
    from kefu.community.models import Profile

    Profile.objects.update(approved_posts=1)
    thread = services.thread_create(
        board=board, title="Pending deposit", body="Deposit missing.", actor=actor_of(customer_1)
    )
    services.post_reply(thread=thread, body="Wait 20 blocks.", actor=actor_of(customer_2))
    assert [m.to for m in mailoutbox] == [[customer_1.email]]
    assert "Pending deposit" in mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_locked_thread_refuses_customer_replies(
    ask, customer_1, customer_2, agent_a, trusted, actor_of
):
    thread = ask(customer_1)
    services.thread_moderate(
        thread=thread, action="lock", reason="Resolved", actor=actor_of(agent_a)
    )
    with pytest.raises(InvalidTransition):
        services.post_reply(thread=thread, body="me too", actor=actor_of(customer_2))
    services.post_reply(thread=thread, body="Closing note.", actor=actor_of(agent_a))


def test_posting_is_rate_limited(ask, customer_1, trusted):
    for n in range(POSTS_PER_MINUTE):
        ask(customer_1, title=f"Question {n}")
    with pytest.raises(RateLimited):
        ask(customer_1, title="One too many")
    assert Thread.objects.count() == POSTS_PER_MINUTE


def test_huge_post_is_refused_cleanly(ask, customer_1, trusted):
    with pytest.raises(ValidationFailed) as exc:
        ask(customer_1, body="x" * (BODY_LIMIT + 1))
    assert "body" in exc.value.fields
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        ">" * 10_000 + " deep",
        "> " * 9_990 + "deep",
        "- " * 9_990 + "x",
        "1. " * 6_000 + "x",
        "> - " * 4_000 + "x",
        "\n".join("  " * i + "- item" for i in range(11)),
    ],
)
def test_deep_nesting_is_refused_with_a_clear_error(ask, customer_1, trusted, body):
    with pytest.raises(ValidationFailed) as exc:
        ask(customer_1, body=body)
    assert exc.value.fields["body"] == ["Quotes and lists can be nested at most 10 levels deep."]
    assert not Thread.objects.exists()
    assert not Post.objects.exists()
    assert not AuditEntry.objects.filter(action="community.thread_created").exists()


@pytest.mark.parametrize(
    "body",
    [
        "> " * 10 + "ten quotes\n\nafter",
        "- " * 10 + "ten list levels\n\nafter",
        "\n".join("  " * i + "- level" for i in range(9)) + "\n" + "  " * 9 + "- deepest\n\nafter",
    ],
)
def test_nesting_up_to_the_limit_renders_in_full(ask, customer_1, trusted, body):
    """What passes the check is never cut by the renderer (it used to drop the rest of a post
    after six list levels)."""
    html = Post.objects.get(thread=ask(customer_1, body=body)).html
    assert "after" in html
    assert any(word in html for word in ("ten quotes", "ten list levels", "deepest"))


@pytest.mark.parametrize(
    "body",
    [
        "[" * 3000 + "x" + "]" * 3000,
        "```\nunclosed fence",
        "<script>alert(1)</script> **bold",
        "[click](javascript:alert(1))",
        "![x](https://tracker.example/pixel.png)",
    ],
)
def test_odd_markdown_renders_safely(ask, customer_1, trusted, body):
    thread = ask(customer_1, body=body)
    html = Post.objects.get(thread=thread).html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert 'src="https://tracker' not in html


def test_control_characters_are_refused(ask, customer_1, trusted):
    with pytest.raises(ValidationFailed):
        ask(customer_1, body="hello\x00world")
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    "src",
    [
        "/help/community/media/%2e%2e/%2e%2e/portal/logout",
        "/help/community/media/.%2E/x",
        "/help/community/media/..%5c..%5cx",
        "/help/community/media/../../x",
    ],
)
def test_image_urls_cannot_climb_out_of_our_media(ask, customer_1, trusted, src):
    html = Post.objects.get(thread=ask(customer_1, body=f"![x]({src})")).html
    assert "src=" not in html


def test_images_are_validated_and_served_only_from_our_media(ask, customer_1, trusted):
    thread = ask(customer_1, images=[UploadedFile(filename="shot.png", content=png_bytes())])
    post = Post.objects.get(thread=thread)
    image = post.images.get()
    assert image.content_type == "image/png"
    assert f'src="/help/community/media/{image.pk}/shot.png"' in post.html


def test_non_image_upload_is_refused(ask, customer_1, trusted):
    with pytest.raises(ValidationFailed):
        ask(customer_1, images=[UploadedFile(filename="a.png", content=b"MZ\x90\x00 not png")])
    assert not Thread.objects.exists()


def test_banned_and_muted_members_cannot_post(ask, customer_1, supervisor, trusted, actor_of):
    services.member_sanction(
        user=customer_1, action="mute", reason="spam", days=1, actor=actor_of(supervisor)
    )
    with pytest.raises(PermissionDenied):
        ask(customer_1)
    services.member_sanction(
        user=customer_1, action="unmute", reason="ok", actor=actor_of(supervisor)
    )
    ask(customer_1)
    services.member_sanction(
        user=customer_1, action="ban", reason="scam", actor=actor_of(supervisor)
    )
    with pytest.raises(PermissionDenied):
        ask(customer_1, title="again")


def test_anonymous_or_system_cannot_post(board, system):
    with pytest.raises(PermissionDenied):
        services.thread_create(board=board, title="t", body="b", actor=system)


def test_held_thread_refuses_replies_from_others(ask, customer_1, customer_2, actor_of):
    thread = ask(customer_1)  # held: first post
    with pytest.raises(NotFound):
        services.post_reply(thread=thread, body="hi", actor=actor_of(customer_2))
