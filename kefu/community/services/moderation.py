"""Moderation: approve held posts, hide / restore / delete posts, lock / unlock / move
threads, resolve reports, mute and ban members. Every action is audited with its reason.

The author is told (a notification and an email) when a moderator approves, hides or deletes
their post, or locks or moves their thread, with the moderator's reason; never which moderator,
and never when staff act on their own posts."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.community import permissions
from kefu.community.models import (
    Board,
    NotificationKind,
    Post,
    Profile,
    Report,
    ReportState,
    Thread,
    Visibility,
)
from kefu.community.services.common import acting_user, audit, index_changed, require_moderator
from kefu.community.services.posting import notify_author, publish_effects
from kefu.community.services.profiles import profile_for
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.core.validation import clean_text, field_error

POST_ACTIONS = ("approve", "hide", "restore", "delete")
THREAD_ACTIONS = ("lock", "unlock", "move")
USER_ACTIONS = ("mute", "unmute", "ban", "unban")
MAX_MUTE_DAYS = 365
# What the author of the post (or thread) is told about; restore and unlock are not notices.
POST_NOTICES = {
    "approve": NotificationKind.APPROVED,
    "hide": NotificationKind.HIDDEN,
    "delete": NotificationKind.DELETED,
}
THREAD_NOTICES = {"lock": NotificationKind.LOCKED, "move": NotificationKind.MOVED}


def _reason(reason: str, *, required: bool) -> str:
    reason = clean_text("reason", reason, limit=500, required=False, single_line=True)
    if required and not reason:  # said plainly: the forms show it as a flash message
        raise field_error("reason", _("Give a reason: it is kept in the audit log."))
    return reason


def _resolve_reports(post: Post, user: User, resolution: str) -> int:
    return Report.objects.filter(post=post, state=ReportState.OPEN).update(
        state=ReportState.RESOLVED, resolved_by=user, resolution=resolution[:500]
    )


def post_moderate(*, post: Post, action: str, reason: str = "", actor: Actor) -> Post:
    """Approve a held post, hide or delete a post, or restore a hidden one. Hiding or deleting
    needs a reason. Acting on a question acts on its whole thread. Open reports on the post
    are resolved with the action. The author is notified of an approval, hiding or deletion
    (with the reason) unless they are the moderator. Locks the post, then its thread."""
    user = require_moderator(actor)
    if action not in POST_ACTIONS:
        raise field_error("action", _("Choose an action."))
    reason = _reason(reason, required=action in ("hide", "delete"))
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
        thread = Thread.objects.select_for_update().get(pk=post.thread_id)
        before = post.visibility
        allowed = {
            "approve": {Visibility.HELD},
            "hide": {Visibility.VISIBLE, Visibility.HELD},
            "restore": {Visibility.HIDDEN},
            "delete": {Visibility.VISIBLE, Visibility.HELD, Visibility.HIDDEN},
        }[action]
        if before not in allowed:
            raise InvalidTransition(_("This post cannot be changed that way now."))
        after = {
            "approve": Visibility.VISIBLE,
            "hide": Visibility.HIDDEN,
            "restore": Visibility.VISIBLE,
            "delete": Visibility.DELETED,
        }[action]
        post.visibility = after
        post.moderation_reason = reason
        post.save(update_fields=["visibility", "moderation_reason"])
        if action == "approve":
            Profile.objects.filter(user_id=post.author_id).update(
                approved_posts=F("approved_posts") + 1
            )
        if post.is_question:
            thread.visibility = after
            thread.save(update_fields=["visibility"])
        elif thread.accepted_post_id == post.pk and after != Visibility.VISIBLE:
            thread.accepted_post = None
            thread.save(update_fields=["accepted_post"])
        if after == Visibility.VISIBLE and thread.visibility == Visibility.VISIBLE:
            publish_effects(thread, post)
        elif before == Visibility.VISIBLE and not post.is_question:
            Thread.objects.filter(pk=thread.pk, reply_count__gt=0).update(
                reply_count=F("reply_count") - 1
            )
        resolved = _resolve_reports(post, user, f"{action}: {reason}")
        if action in POST_NOTICES and post.author_id != user.pk:
            notify_author(
                user_id=post.author_id,
                thread=thread,
                post=post,
                kind=POST_NOTICES[action],
                reason=reason,
            )
        audit(
            actor,
            f"community.post_{action}",
            "forum_post",
            post.pk,
            thread=thread.pk,
            reason=reason,
            before=str(before),
            reports_resolved=resolved,
        )
        index_changed(thread)
    return post


def thread_moderate(
    *, thread: Thread, action: str, reason: str, board: Board | None = None, actor: Actor
) -> Thread:
    """Lock, unlock or move a thread (to another board), with a reason. A lock's reason is
    stored on the thread for its public "locked" notice; unlocking clears it. The thread's
    author is notified of a lock or move (with the reason) unless they are the moderator or
    may no longer read the thread (hidden or deleted: they were told then). Locks the thread."""
    user = require_moderator(actor)
    if action not in THREAD_ACTIONS:
        raise field_error("action", _("Choose an action."))
    reason = _reason(reason, required=True)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        data: dict[str, object] = {"reason": reason}
        if action == "move":
            if board is None or not board.is_active:
                raise field_error("board", _("Choose a board."))
            if board.pk == thread.board_id:
                raise field_error("board", _("The thread is already on this board."))
            data["from_board"], data["to_board"] = thread.board_id, board.pk
            thread.board = board
            thread.save(update_fields=["board"])
        else:
            locked = action == "lock"
            if thread.is_locked == locked:
                raise InvalidTransition(_("The thread is already like that."))
            thread.is_locked = locked
            thread.lock_reason = reason if locked else ""
            thread.save(update_fields=["is_locked", "lock_reason"])
        audit(actor, f"community.thread_{action}", "forum_thread", thread.pk, **data)
        author_reads = thread.visibility in (Visibility.VISIBLE, Visibility.HELD)
        if action in THREAD_NOTICES and thread.author_id != user.pk and author_reads:
            notify_author(
                user_id=thread.author_id,
                thread=thread,
                post=None,
                kind=THREAD_NOTICES[action],
                reason=reason,
            )
        index_changed(thread)
    return thread


def report_dismiss(*, report: Report, reason: str, actor: Actor) -> Report:
    """Close a report without acting on the post."""
    user = require_moderator(actor)
    reason = _reason(reason, required=True)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.state != ReportState.OPEN:
            raise InvalidTransition(_("This report is already resolved."))
        report.state, report.resolved_by = ReportState.RESOLVED, user
        report.resolution = f"dismissed: {reason}"[:500]
        report.save(update_fields=["state", "resolved_by", "resolution"])
        audit(actor, "community.report_dismissed", "forum_report", report.pk, reason=reason)
    return report


def member_sanction(
    *, user: User, action: str, reason: str, days: int = 7, actor: Actor
) -> Profile:
    """Mute a member for ``days``, or ban them (their visible posts stay unless hidden), or
    lift either. Supervisors and admins only; staff cannot be sanctioned here."""
    moderator = acting_user(actor)
    if not permissions.can_sanction(moderator):
        raise PermissionDenied(_("Only supervisors and admins can mute or ban members."))
    if action not in USER_ACTIONS:
        raise field_error("action", _("Choose an action."))
    if user.is_agent:
        raise PermissionDenied(_("Staff accounts are managed in the staff settings."))
    reason = _reason(reason, required=True)
    if action == "mute" and not 1 <= days <= MAX_MUTE_DAYS:
        raise field_error("days", _("Mute for 1 to 365 days."))
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile_for(user).pk)
        data: dict[str, object] = {"reason": reason, "user": user.pk}
        if action == "mute":
            profile.muted_until = clock.now() + timedelta(days=days)
            data["until"] = profile.muted_until.isoformat()
        elif action == "unmute":
            profile.muted_until = None
        else:
            profile.banned = action == "ban"
        profile.moderation_note = reason
        profile.save(update_fields=["muted_until", "banned", "moderation_note"])
        audit(actor, f"community.member_{action}", "forum_profile", profile.pk, **data)
    return profile


def board_save(
    *,
    slug: str,
    language: str,
    name: str,
    description: str = "",
    position: int = 0,
    is_active: bool = True,
    actor: Actor,
) -> Board:
    """Create or update the board ``slug`` in ``language`` (supervisors and admins)."""
    from kefu.helpcenter.languages import help_languages

    user = acting_user(actor)
    if not permissions.can_sanction(user):
        raise PermissionDenied(_("Only supervisors and admins can manage boards."))
    if language not in help_languages():
        raise field_error("language", _("Choose a help-center language."))
    name = clean_text("name", name, limit=120, required=True, single_line=True)
    description = clean_text("description", description, limit=500, required=False)
    slug = clean_text("slug", slug, limit=80, required=True).lower()
    if not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in slug):
        raise field_error("slug", _("Use lower-case letters, digits and dashes."))
    with transaction.atomic():
        board, created = Board.objects.select_for_update().get_or_create(
            slug=slug, language=language, defaults={"name": name}
        )
        board.name, board.description = name, description
        board.position, board.is_active = max(0, min(position, 32767)), is_active
        board.save()
        audit(
            actor,
            "community.board_created" if created else "community.board_updated",
            "forum_board",
            board.pk,
            slug=slug,
            language=language,
        )
    return board
