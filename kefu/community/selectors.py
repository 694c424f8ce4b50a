"""Reads with permissions. A visitor sees visible boards, threads and posts; an author also
sees their own held posts; moderators see everything but deleted posts' threads are still
theirs to review. Anything a viewer may not see raises NotFound (it does not exist for them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse

from kefu.accounts.models import User
from kefu.community import permissions
from kefu.community.models import (
    MODERATION_KINDS,
    Board,
    Follow,
    Notification,
    Post,
    Profile,
    Report,
    ReportState,
    Thread,
    Visibility,
    Vote,
)
from kefu.core.errors import NotFound

PAGE = 50


def _viewer(user: object) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


def _moderator(viewer: User | None) -> bool:
    return viewer is not None and permissions.can_moderate(viewer)


def boards_for_language(language: str) -> QuerySet[Board]:
    return Board.objects.filter(language=language, is_active=True).order_by("position", "id")


def boards_for_moderators(*, viewer: User | None) -> list[Board]:
    """Every active board (for the "move to" menu); nothing for non-moderators."""
    if not _moderator(viewer):
        return []
    return list(Board.objects.filter(is_active=True).order_by("language", "position", "id"))


def board_get(*, language: str, slug: str) -> Board:
    board = Board.objects.filter(language=language, slug=slug, is_active=True).first()
    if board is None:
        raise NotFound()
    return board


def threads_for_board(*, board: Board, viewer: object, tag: str = "") -> QuerySet[Thread]:
    """Visible threads (and the viewer's own held ones), newest activity first."""
    user = _viewer(viewer)
    shown = Q(visibility=Visibility.VISIBLE)
    if user is not None:
        shown |= Q(visibility=Visibility.HELD, author=user)
    threads = Thread.objects.filter(shown, board=board).select_related("author__forum_profile")
    if tag:  # the JSON text holds each tag quoted, on SQLite and PostgreSQL alike
        threads = threads.filter(tags__icontains=f'"{tag}"')
    return threads.order_by("-last_activity_at", "-id")[:PAGE]


def thread_get_for_viewer(*, pk: int, viewer: object) -> Thread:
    user = _viewer(viewer)
    thread = Thread.objects.select_related("board", "author__forum_profile").filter(pk=pk).first()
    if thread is None:
        raise NotFound()
    if thread.visibility == Visibility.VISIBLE or _moderator(user):
        return thread
    if thread.visibility == Visibility.HELD and user is not None and thread.author_id == user.pk:
        return thread
    raise NotFound()


def posts_for_viewer(*, thread: Thread, viewer: object) -> list[Post]:
    """The thread's posts the viewer may read; moderators also see held and hidden ones."""
    user = _viewer(viewer)
    shown = Q(visibility=Visibility.VISIBLE)
    if _moderator(user):
        shown |= Q(visibility__in=(Visibility.HELD, Visibility.HIDDEN))
    elif user is not None:
        shown |= Q(visibility=Visibility.HELD, author=user)
    return list(
        Post.objects.filter(shown, thread=thread)
        .select_related("author__forum_profile")
        .order_by("created_at", "id")
    )


def post_get_for_viewer(*, pk: int, viewer: object) -> Post:
    user = _viewer(viewer)
    post = Post.objects.select_related("thread__board").filter(pk=pk).first()
    if post is None:
        raise NotFound()
    thread_get_for_viewer(pk=post.thread_id, viewer=user)
    if post.visibility == Visibility.VISIBLE or _moderator(user):
        return post
    if post.visibility == Visibility.HELD and user is not None and post.author_id == user.pk:
        return post
    raise NotFound()


def posting_restriction(*, viewer: object) -> str | None:
    """Why the signed-in viewer may not post now (banned or muted), for the pages to say so
    before the member writes anything; None for visitors and members in good standing."""
    user = _viewer(viewer)
    if user is None or user.is_agent:
        return None
    return permissions.posting_restriction(Profile.objects.filter(user=user).first())


def votes_of(*, user: object, posts: list[Post]) -> dict[int, int]:
    viewer = _viewer(user)
    if viewer is None or not posts:
        return {}
    return dict(Vote.objects.filter(user=viewer, post__in=posts).values_list("post_id", "value"))


def follows(*, user: object, thread: Thread) -> bool:
    viewer = _viewer(user)
    return viewer is not None and Follow.objects.filter(user=viewer, thread=thread).exists()


def profile_public(*, user_pk: int) -> Profile:
    profile = Profile.objects.select_related("user").filter(user_id=user_pk).first()
    if profile is None:
        raise NotFound()
    return profile


def profile_answers(*, profile: Profile) -> QuerySet[Thread]:
    """Visible threads where the member's answer was accepted."""
    return Thread.objects.filter(
        visibility=Visibility.VISIBLE,
        accepted_post__author_id=profile.user_id,
        accepted_post__visibility=Visibility.VISIBLE,
    ).select_related("board")[:20]


def _notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications about threads they may still read (a thread hidden or deleted
    since, a scam taken down for instance, is no longer mentioned; their own question waiting
    for review is), and every notice of a moderator's action on their own posts and threads
    (those say why something disappeared; they never link to it: ``notification_item``)."""
    readable = (
        Q(thread__visibility=Visibility.VISIBLE)
        | Q(thread__visibility=Visibility.HELD, thread__author=user)
        | Q(kind__in=MODERATION_KINDS)
    )
    return Notification.objects.filter(readable, user=user)


def _thread_readable(thread: Thread, user_id: int) -> bool:
    return thread.visibility == Visibility.VISIBLE or (
        thread.visibility == Visibility.HELD and thread.author_id == user_id
    )


def _post_readable(post: Post, user_id: int) -> bool:
    return post.visibility == Visibility.VISIBLE or (
        post.visibility == Visibility.HELD and post.author_id == user_id
    )


@dataclass(frozen=True)
class NotificationItem:
    """A notification as its recipient sees it. ``url`` never leads to what they may no longer
    read: the thread (at the post while the post is readable), else the thread's board.
    ``title`` is empty when the thread must not be named (someone else's, no longer readable)."""

    pk: int
    kind: str
    reason: str
    created_at: datetime
    read_at: datetime | None
    readable: bool
    title: str
    board_name: str
    url: str


def notification_item(row: Notification) -> NotificationItem:
    """``row`` with its thread, board and post loaded (``select_related``)."""
    thread, board, user_id = row.thread, row.thread.board, row.user_id
    readable = _thread_readable(thread, user_id)
    if readable:
        url = reverse("community:thread", args=[board.language, thread.pk])
        if row.post is not None and _post_readable(row.post, user_id):
            url += f"#post-{row.post_id}"
    elif board.is_active:
        url = reverse("community:board", args=[board.language, board.slug])
    else:
        url = reverse("community:index", args=[board.language])
    return NotificationItem(
        pk=row.pk,
        kind=row.kind,
        reason=row.reason,
        created_at=row.created_at,
        read_at=row.read_at,
        readable=readable,
        title=thread.title if readable or thread.author_id == user_id else "",
        board_name=board.name,
        url=url,
    )


def notifications_for(*, user: User) -> list[NotificationItem]:
    rows = _notifications(user).select_related("thread__board", "post")[:PAGE]
    return [notification_item(row) for row in rows]


def unread_notifications(*, user: object, limit: int) -> list[NotificationItem]:
    """The newest unread notifications (at most ``limit``), for the portal; one query."""
    viewer = _viewer(user)
    if viewer is None:
        return []
    rows = (
        _notifications(viewer)
        .filter(read_at__isnull=True)
        .select_related("thread__board", "post")[:limit]
    )
    return [notification_item(row) for row in rows]


def unread_count(*, user: object) -> int:
    viewer = _viewer(user)
    if viewer is None:
        return 0
    return _notifications(viewer).filter(read_at__isnull=True).count()


@dataclass
class Queue:
    held: list[Post]
    reports: list[Report]


def moderation_queue(*, viewer: User) -> Queue:
    """Held posts (oldest first) and open reports, for staff."""
    if not permissions.can_moderate(viewer):
        raise NotFound()
    held = list(
        Post.objects.filter(visibility=Visibility.HELD)
        .select_related("thread__board", "author__forum_profile")
        .order_by("created_at", "id")[:PAGE]
    )
    reports = list(
        Report.objects.filter(state=ReportState.OPEN)
        .select_related("post__thread__board", "post__author__forum_profile", "reporter")
        .order_by("created_at", "id")[:PAGE]
    )
    return Queue(held=held, reports=reports)


def staff_thread_get(*, viewer: User, pk: int) -> Thread:
    if not permissions.can_moderate(viewer):
        raise NotFound()
    thread = Thread.objects.select_related("board", "accepted_post").filter(pk=pk).first()
    if thread is None:
        raise NotFound()
    return thread


def staff_post_get(*, viewer: User, pk: int) -> Post:
    if not permissions.can_moderate(viewer):
        raise NotFound()
    post = Post.objects.select_related("thread").filter(pk=pk).first()
    if post is None:
        raise NotFound()
    return post
