"""Every write in the community forum."""

from kefu.community.services.moderation import (
    board_save,
    member_sanction,
    post_moderate,
    report_dismiss,
    thread_moderate,
)
from kefu.community.services.posting import (
    notifications_mark_read,
    post_reply,
    post_report,
    post_vote,
    thread_accept_answer,
    thread_create,
    thread_follow,
)
from kefu.community.services.profiles import profile_for, profile_update
from kefu.community.services.support import (
    answer_promote,
    thread_accept_private_help,
    thread_offer_private_help,
)

__all__ = [
    "answer_promote",
    "board_save",
    "member_sanction",
    "notifications_mark_read",
    "post_moderate",
    "post_reply",
    "post_report",
    "post_vote",
    "profile_for",
    "profile_update",
    "report_dismiss",
    "thread_accept_answer",
    "thread_accept_private_help",
    "thread_create",
    "thread_follow",
    "thread_moderate",
    "thread_offer_private_help",
]
