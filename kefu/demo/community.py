"""The demo's community forum: two boards in each help-center language and one answered
question on each language's first board, written through the forum's own services (the asker's
first post held and approved, a staff answer with its badge, the asker accepting it)."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.community.models import Post, Visibility
from kefu.community.services import (
    board_save,
    post_moderate,
    post_reply,
    thread_accept_answer,
    thread_create,
)
from kefu.helpcenter.languages import help_languages

BOARDS = {
    "en": (
        ("deposits-withdrawals", "Deposits and withdrawals", "Networks, confirmations, fees."),
        ("account-security", "Account and security", "Sign-in, 2FA, identity verification."),
    ),
    "zh-hans": (
        ("deposits-withdrawals", "充值与提现", "网络、确认数、手续费。"),
        ("account-security", "账户与安全", "登录、两步验证、身份认证。"),
    ),
}

QUESTIONS = {
    "en": (
        "USDT withdrawal on TRC20 still pending after an hour?",
        "My USDT withdrawal on the TRC20 network has shown *pending* for an hour. Is that normal?",
        "Withdrawals are reviewed first and then broadcast; TRC20 needs about 20 confirmations. "
        "Check the status page for network delays, and open a request with the withdrawal id if "
        "it is still pending after two hours. Staff never ask for your password or 2FA code.",
        ["usdt", "trc20", "withdrawal"],
    ),
    "zh-hans": (
        "TRC20 提现 USDT 一个小时还在处理中？",
        "我用 TRC20 网络提现 USDT，已经显示“处理中”一个小时了，正常吗？",
        "提现会先经过审核再广播上链，TRC20 大约需要 20 个确认。请先查看状态页是否有网络延迟；"
        "如果两个小时后仍在处理中，请带上提现编号提交工单。客服绝不会向您索要密码或两步验证码。",
        ["usdt", "trc20", "提现"],
    ),
}


def load_community(*, supervisor: User, agent: User, asker: User) -> int:
    """Create the boards and questions; returns how many threads were written."""
    moderator, staff, customer = (actor_for_user(u) for u in (supervisor, agent, asker))
    threads = 0
    for language in help_languages():
        boards = BOARDS.get(language)
        if boards is None:
            continue
        saved = [
            board_save(
                slug=slug,
                language=language,
                name=name,
                description=about,
                position=i,
                actor=moderator,
            )
            for i, (slug, name, about) in enumerate(boards)
        ]
        title, body, answer, tags = QUESTIONS[language]
        thread = thread_create(board=saved[0], title=title, body=body, tags=tags, actor=customer)
        question = Post.objects.get(thread=thread, is_question=True)
        if question.visibility == Visibility.HELD:  # a new member's first post
            post_moderate(post=question, action="approve", actor=moderator)
        reply = post_reply(thread=thread, body=answer, actor=staff)
        thread_accept_answer(thread=thread, post=reply, actor=customer)
        threads += 1
    return threads
