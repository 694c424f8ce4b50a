"""Asking, replying, voting, accepting answers, following and reporting.

Every post goes through ``_prepare``: the author may post (not banned or muted, within the
rate limits), the text is bounded and screened by the secret guard, links are checked against
the official registry, and the post is held for review when it must be (a customer's first
post, any post with links, a post that asks readers for a secret)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.community import permissions, safety
from kefu.community.models import (
    Board,
    Follow,
    Notification,
    Post,
    PostImage,
    Report,
    ReportState,
    Thread,
    Visibility,
    Vote,
)
from kefu.community.render import IMAGE_PREFIX, MAX_DEPTH, nesting_depth, render_post
from kefu.community.services.common import acting_user, audit, index_changed
from kefu.community.services.profiles import (
    REP_ACCEPTED,
    REP_DOWNVOTE,
    REP_UPVOTE,
    profile_for,
    reputation_add,
)
from kefu.conversations.attachments import UploadedFile, ValidAttachment, validate_attachments
from kefu.conversations.secret_guard import KIND_NAMES, GuardBlocked
from kefu.core import clock, ratelimit
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import clean_text, field_error
from kefu.trust import check as trust
from kefu.trust.selectors import registry

BODY_LIMIT = 20_000
TITLE_LIMIT = 200
MAX_TAGS = 5
TAG_LIMIT = 30
IMAGES_PER_POST = 4
# Per member: a burst limit and an hourly limit (staff are not limited).
POSTS_PER_MINUTE = 3
POSTS_PER_HOUR = 30
REPORTS_PER_HOUR = 20
VOTES_PER_MINUTE = 30

HOLD_FIRST_POST = "first_post"
HOLD_LINKS = "links"
HOLD_ASKS_SECRET = "asks_for_secret"  # noqa: S105 - a hold reason code, not a secret


@dataclass
class Prepared:
    body: str
    html: str
    hold_reasons: list[str]
    flagged_links: list[str]
    secret_kinds: tuple[str, ...]
    images: list[ValidAttachment] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(self.hold_reasons)

    def audit_data(self) -> dict[str, list[str]]:
        """What the audit row of a new post says about its checks (never the secret)."""
        return {
            "held": self.hold_reasons,
            "secrets_redacted": list(self.secret_kinds),
            "flagged_links": self.flagged_links,
        }


def _poster(actor: Actor) -> User:
    """The author, if they may post now: not banned, not muted."""
    user = acting_user(actor)
    restriction = permissions.posting_restriction(profile_for(user))
    if restriction is not None:
        raise PermissionDenied(restriction)
    if not user.is_agent:
        ratelimit.hit(f"forum-post-m:{user.pk}", limit=POSTS_PER_MINUTE, window_seconds=60)
        ratelimit.hit(f"forum-post-h:{user.pk}", limit=POSTS_PER_HOUR, window_seconds=3600)
    return user


def clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in tags:
        tag = " ".join(str(raw).split()).lower()[:TAG_LIMIT]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise field_error("tags", _("Use at most %(n)d tags.") % {"n": MAX_TAGS})
    return cleaned


def _prepare(user: User, body: str, images: Sequence[UploadedFile], *, title: str = "") -> Prepared:
    body = clean_text("body", body, limit=BODY_LIMIT, required=True, reject_control=True)
    if nesting_depth(body) > MAX_DEPTH:  # refused whole: the renderer would cut the rest
        raise field_error(
            "body",
            _("Quotes and lists can be nested at most %(n)d levels deep.") % {"n": MAX_DEPTH},
        )
    if len(images) > IMAGES_PER_POST:
        raise field_error("images", _("Attach at most %(n)d images.") % {"n": IMAGES_PER_POST})
    valid = validate_attachments(list(images)) if images else []
    if any(not v.content_type.startswith("image/") for v in valid):
        raise field_error("images", _("Only images (PNG, JPEG, GIF or WebP) can be attached."))
    screened = safety.screen_text(body)
    screened_title = safety.screen_text(title) if title else None
    if screened_title is not None and screened_title.secret_kinds:
        raise field_error("title", _("Remove the secret from the title."))
    staff = user.is_agent
    holds: list[str] = []
    if screened.asks_for_secret:
        if staff:  # as for staff replies in conversations: refused, not held
            raise GuardBlocked(
                _("Staff never ask for %(kind)s. Rewrite the post.")
                % {"kind": KIND_NAMES.get(screened.asks_for_secret, screened.asks_for_secret)}
            )
        holds.append(HOLD_ASKS_SECRET)
    reg = registry()
    links = safety.check_links(f"{title}\n{screened.text}", registry=reg)
    if len(links) > safety.MAX_LINKS:
        raise field_error("body", _("Too many links in one post."))
    for link in links:
        if link.verdict == trust.SUSPICIOUS:
            raise field_error(
                "body",
                _("%(link)s imitates an official address (%(official)s) and cannot be posted.")
                % {"link": link.value, "official": link.resembles or ""},
            )
    flagged = [link.value for link in links if link.verdict != trust.OFFICIAL]
    if not staff:
        if links:
            holds.append(HOLD_LINKS)
        if profile_for(user).approved_posts == 0:
            holds.append(HOLD_FIRST_POST)
    return Prepared(
        body=screened.text,
        html=render_post(screened.text),
        hold_reasons=holds,
        flagged_links=flagged,
        secret_kinds=screened.secret_kinds,
        images=valid,
    )


def _write_post(
    thread: Thread,
    user: User,
    prepared: Prepared,
    visibility: str,
    now: datetime,
    *,
    is_question: bool = False,
) -> Post:
    """Store a prepared post and its images; its author follows the thread. Caller: in a
    transaction, then audits."""
    post = Post.objects.create(
        thread=thread,
        author=user,
        is_question=is_question,
        by_staff=user.is_agent,
        body=prepared.body,
        html=prepared.html,
        visibility=visibility,
        hold_reasons=prepared.hold_reasons,
        flagged_links=prepared.flagged_links,
        created_at=now,
    )
    _store_images(post, prepared.images)
    Follow.objects.get_or_create(thread=thread, user=user)
    return post


def _store_images(post: Post, images: list[ValidAttachment]) -> None:
    if not images:
        return
    stored = [
        PostImage.objects.create(
            post=post,
            file=image.content,
            filename=image.filename,
            content_type=image.content_type,
            size=image.size,
            sha256=image.sha256,
        )
        for image in images
    ]
    # The images are shown under the text; the src can only be our own media URL.
    post.html += "".join(
        f'<p><img src="{IMAGE_PREFIX}{img.pk}/{_url_name(img.filename)}" alt=""></p>'
        for img in stored
    )
    post.save(update_fields=["html"])


def _url_name(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")


def notify(thread: Thread, post: Post | None, kind: str, *, exclude: int) -> None:
    """In-portal notifications, then an email each (on commit): a reply goes to the thread's
    followers, an accepted answer to the answer's author only, an offer of private help
    (``private_help``, no post) to the asker only."""
    now = clock.now()
    if kind == "accepted" and post is not None:
        recipients = [post.author_id] if post.author_id != exclude else []
    elif kind == "private_help":
        recipients = [thread.author_id] if thread.author_id != exclude else []
    else:
        recipients = list(
            Follow.objects.filter(thread=thread)
            .exclude(user_id=exclude)
            .values_list("user_id", flat=True)
        )
    rows = Notification.objects.bulk_create(
        [
            Notification(user_id=user_id, thread=thread, post=post, kind=kind, created_at=now)
            for user_id in recipients
        ]
    )
    _email_on_commit(rows)


def notify_author(
    *, user_id: int, thread: Thread, post: Post | None, kind: str, reason: str
) -> Notification:
    """Tell an author that a moderator acted on their post or thread (``MODERATION_KINDS``),
    with the moderator's reason and not who the moderator was; emailed on commit. Call it
    inside the moderation service's transaction."""
    row = Notification.objects.create(
        user_id=user_id, thread=thread, post=post, kind=kind, reason=reason, created_at=clock.now()
    )
    _email_on_commit([row])
    return row


def _email_on_commit(rows: Sequence[Notification]) -> None:
    from kefu.community import tasks  # tasks import services; import late

    for row in rows:
        if row.pk is not None:
            enqueue_on_commit(tasks.email_notification, notification_id=row.pk)


def publish_effects(thread: Thread, post: Post) -> None:
    """What happens when a post becomes visible: counters, activity, followers told."""
    now = clock.now()
    if post.is_question:
        return
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1, last_activity_at=now
    )
    notify(thread, post, "reply", exclude=post.author_id)


def thread_create(
    *,
    board: Board,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    images: Sequence[UploadedFile] = (),
    actor: Actor,
) -> Thread:
    """Ask a question on ``board``. The thread is held for review with its first post when
    that post must be (see the module docstring). The asker follows the thread."""
    user = _poster(actor)
    if not board.is_active:
        raise NotFound()
    title = clean_text("title", title, limit=TITLE_LIMIT, required=True, single_line=True)
    clean = clean_tags(tags)
    prepared = _prepare(user, body, images, title=title)
    visibility = Visibility.HELD if prepared.held else Visibility.VISIBLE
    now = clock.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            board=board,
            author=user,
            title=title,
            tags=clean,
            visibility=visibility,
            created_at=now,
            last_activity_at=now,
        )
        _write_post(thread, user, prepared, visibility, now, is_question=True)
        audit(
            actor,
            "community.thread_created",
            "forum_thread",
            thread.pk,
            board=board.pk,
            **prepared.audit_data(),
        )
        if visibility == Visibility.VISIBLE:
            index_changed(thread)
    return thread


def post_reply(
    *, thread: Thread, body: str, images: Sequence[UploadedFile] = (), actor: Actor
) -> Post:
    """Reply in ``thread``. Locked threads take replies from staff only."""
    user = _poster(actor)
    thread = Thread.objects.select_related("board").get(pk=thread.pk)
    visible = thread.visibility == Visibility.VISIBLE
    if not visible and not (thread.author_id == user.pk and thread.visibility == Visibility.HELD):
        raise NotFound()
    if thread.is_locked and not user.is_agent:
        raise InvalidTransition(_("This thread is locked."))
    prepared = _prepare(user, body, images)
    visibility = Visibility.HELD if prepared.held else Visibility.VISIBLE
    with transaction.atomic():
        post = _write_post(thread, user, prepared, visibility, clock.now())
        audit(
            actor,
            "community.post_created",
            "forum_post",
            post.pk,
            thread=thread.pk,
            **prepared.audit_data(),
        )
        if visibility == Visibility.VISIBLE and visible:
            publish_effects(thread, post)
    return post


def _visible_post(post: Post) -> Post:
    post = Post.objects.select_related("thread").get(pk=post.pk)
    if post.visibility != Visibility.VISIBLE or post.thread.visibility != Visibility.VISIBLE:
        raise NotFound()
    return post


def post_vote(*, post: Post, value: int, actor: Actor) -> Post:
    """Vote a post up (1) or down (-1), or take the vote back (0). Not on one's own posts.
    The author's reputation follows the votes."""
    user = acting_user(actor)
    if value not in (-1, 0, 1):
        raise field_error("value", _("Vote up or down."))
    if profile_for(user).banned:
        raise PermissionDenied(_("Your account may no longer take part in the community."))
    ratelimit.hit(f"forum-vote:{user.pk}", limit=VOTES_PER_MINUTE, window_seconds=60)
    post = _visible_post(post)
    if post.author_id == user.pk:
        raise PermissionDenied(_("You cannot vote on your own post."))
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        existing = Vote.objects.filter(post=post, user=user).first()
        old = existing.value if existing else 0
        if old == value:
            return post
        if value == 0 and existing is not None:
            existing.delete()
        elif existing is not None:
            existing.value = value
            existing.save(update_fields=["value"])
        else:
            Vote.objects.create(post=post, user=user, value=value)
        post.score += value - old
        post.save(update_fields=["score"])

        def rep(v: int) -> int:
            return REP_UPVOTE if v > 0 else REP_DOWNVOTE if v < 0 else 0

        reputation_add(post.author_id, rep(value) - rep(old))
        audit(actor, "community.post_voted", "forum_post", post.pk, value=value, old=old)
    return post


def thread_accept_answer(*, thread: Thread, post: Post | None, actor: Actor) -> Thread:
    """Mark ``post`` as the accepted answer (None: clear it). The asker or a moderator only.
    The answer's author gains reputation (not for answering one's own question)."""
    user = acting_user(actor)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        if thread.visibility != Visibility.VISIBLE:
            raise NotFound()
        if thread.author_id != user.pk and not permissions.can_moderate(user):
            raise PermissionDenied(_("Only the asker or a moderator can accept an answer."))
        if post is not None:
            post = Post.objects.filter(pk=post.pk, thread=thread).first()
            if post is None or post.is_question or post.visibility != Visibility.VISIBLE:
                raise NotFound()
        old = thread.accepted_post
        if (old.pk if old else None) == (post.pk if post else None):
            return thread
        if old is not None and old.author_id != thread.author_id:
            reputation_add(old.author_id, -REP_ACCEPTED)
        if post is not None and post.author_id != thread.author_id:
            reputation_add(post.author_id, REP_ACCEPTED)
        thread.accepted_post = post
        thread.save(update_fields=["accepted_post"])
        audit(
            actor,
            "community.answer_accepted" if post else "community.answer_unaccepted",
            "forum_thread",
            thread.pk,
            post=post.pk if post else None,
            previous=old.pk if old else None,
        )
        index_changed(thread)
        if post is not None:
            notify(thread, post, "accepted", exclude=user.pk)
    return thread


def thread_follow(*, thread: Thread, follow: bool, actor: Actor) -> bool:
    """Follow (or stop following) a thread; returns whether the user now follows it."""
    user = acting_user(actor)
    if thread.visibility != Visibility.VISIBLE and thread.author_id != user.pk:
        raise NotFound()
    with transaction.atomic():
        if follow:
            _row, created = Follow.objects.get_or_create(thread=thread, user=user)
            changed = created
        else:
            changed = Follow.objects.filter(thread=thread, user=user).delete()[0] > 0
        if changed:
            audit(
                actor,
                "community.thread_followed" if follow else "community.thread_unfollowed",
                "forum_thread",
                thread.pk,
            )
    return follow


def notifications_mark_read(*, user: User, thread: Thread | None = None, actor: Actor) -> int:
    """Mark ``user``'s notifications read (all, or those about ``thread``: opening a thread
    reads them); returns how many were unread. A read notification is no longer emailed."""
    if acting_user(actor).pk != user.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if thread is not None:
        unread = unread.filter(thread=thread)
    return unread.update(read_at=clock.now())


def post_report(*, post: Post, reason: str, actor: Actor) -> Report:
    """Report a post to the moderators (once per person while the report is open)."""
    user = acting_user(actor)
    reason = clean_text("reason", reason, limit=500, required=True, reject_control=True)
    ratelimit.hit(f"forum-report:{user.pk}", limit=REPORTS_PER_HOUR, window_seconds=3600)
    post = _visible_post(post)
    if post.author_id == user.pk:
        raise ValidationFailed(_("You cannot report your own post."))
    with transaction.atomic():
        existing = Report.objects.filter(post=post, reporter=user, state=ReportState.OPEN).first()
        if existing is not None:
            return existing
        report = Report.objects.create(
            post=post, reporter=user, reason=reason, created_at=clock.now()
        )
        audit(actor, "community.post_reported", "forum_post", post.pk, report=report.pk)
    return report
