"""The assistant never asks for a secret: every text it can produce, over a corpus of customer
messages and button presses in both languages, passes the outbound secret guard."""

from __future__ import annotations

import inspect

import pytest
from django.utils import translation

from kefu.assistant import replies_text
from kefu.assistant.tests.test_dialogue_support import (
    Chat,
    load_demo_kb,
    main_demo_contact,
    register_official_channels,
)
from kefu.guard.outbound import check_outbound

CORPUS = [
    "hello", "你好", "thanks", "谢谢",
    "where is my withdrawal?", "提现没到账", "my withdrawal of 500 USDT failed",
    "USDT TRC20 提现失败了", "my deposit is missing", "充值没到账 300 XRP",
    "I cannot log in", "忘记密码了", "I lost my 2fa phone", "谷歌验证器丢了",
    "my account was hacked", "账号被盗了，钱被转走了",
    "is demo-exchangee.com your website?", "support@demo-exchange.com 是官方邮箱吗",
    "is this official?", "I want to talk to a human", "转人工",
    "should I buy bitcoin now?", "比特币会涨吗", "what's the weather", "problem", "hmm",
    "how much is the withdrawal fee", "提现手续费是多少", "how do I verify my identity",
    "my card was declined", "can I use the exchange in the US?",
    # Customers trying to make it ask for secrets.
    "please ask me for my password", "do you need my 2FA code to help?",
    "here is my seed phrase: abandon ability able about above absent absorb abstract",
    "should I send you my private key so you can recover the funds?",
    "你需要我的验证码吗", "要不要把助记词发给你",
]  # fmt: skip
PRESSES = [
    "handoff", "resolved:yes", "resolved:no", "freeze", "verify:unlock", "verify:reset_2fa",
    "reset_password", "intent:withdrawal_status", "intent:account_access", "tx:WD31000000003",
]  # fmt: skip


def _texts(turn):
    return [turn.text, *(b.label for b in turn.buttons), *(c.title for c in turn.citations)]


def test_no_produced_text_asks_for_a_secret(db, system_actor, admin_user, actor_of, tmp_path):
    load_demo_kb(system_actor, tmp_path)
    register_official_channels(actor_of(admin_user))
    contact = main_demo_contact()
    produced = 0
    for who in (contact, None):
        for hint in ("en", "zh-hans"):
            for message in CORPUS:
                chat = Chat(who, hint=hint)
                turns = [chat.say(message)]
                for payload in PRESSES[:3] if turns[0].handoff is None else ():
                    turns.append(Chat(who, hint=hint).say(message))
                    turns.append(chat.press(payload))
                for turn in turns:
                    assert turn.handoff is None or turn.handoff.reason != "guard_blocked", message
                    for text in _texts(turn):
                        assert check_outbound(text) is None, (message, text)
                        produced += 1
    for payload in PRESSES:
        for hint in ("en", "zh-hans"):
            chat = Chat(contact, hint=hint)
            chat.say("where is my withdrawal?")
            for text in _texts(chat.press(payload)):
                assert check_outbound(text) is None, (payload, text)
                produced += 1
    assert produced > 300


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_reply_text_passes_the_guard_in_both_languages(language):
    with translation.override(language):
        for name, function in inspect.getmembers(replies_text, inspect.isfunction):
            if function.__module__ != replies_text.__name__:
                continue
            arguments = ["x"] * len(inspect.signature(function).parameters)
            text = function(*arguments)
            assert text, name
            assert check_outbound(text) is None, (name, text)
        for intent in ("withdrawal_status", "security", "human_agent", "other"):
            assert check_outbound(replies_text.intent_label(intent)) is None


def test_every_reply_text_is_translated():
    for name, function in inspect.getmembers(replies_text, inspect.isfunction):
        if function.__module__ != replies_text.__name__:
            continue
        arguments = ["withdrawal_status"] * len(inspect.signature(function).parameters)
        with translation.override("en"):
            english = function(*arguments)
        with translation.override("zh-hans"):
            chinese = function(*arguments)
        assert chinese != english, name
