"""Rule families added after the independent challenge set (docs/subsystems/guard.md).

Every sentence here is written for this file; none is taken from the challenge set.
"""

from __future__ import annotations

import random

import pytest

from kefu.guard.outbound import check_outbound
from kefu.guard.tests.helpers import kinds

HEX = random.Random("challenge").randbytes(32).hex()
TXID = random.Random("challenge-tx").randbytes(32).hex()


# --- private keys: an explicit key cue wins over a txid or address elsewhere -----------------


@pytest.mark.parametrize(
    "text",
    [
        f"私钥 {HEX}\n收款地址 0x{'12' * 20}",  # the next line's cue introduces its own value
        f"my key {HEX} — the theft txid 0x{TXID}",  # "key" right before beats "txid" after
        f"key: {HEX} (the tx hash of the hack is in my next message)",
        f"私钥{HEX}，交易密码 552811",  # a password cue after the key names the password
        f"I sent him this: {HEX} because he said he was support",  # "sent" to a person
    ],
)
def test_a_key_with_its_own_cue_is_caught_next_to_other_cues(text):
    assert ("private_key", HEX) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        f"this is not a private key, it's the tx hash: {HEX}",
        f"这不是私钥，是交易哈希 {HEX}",
        f"I sent 2 ETH, the hash is {HEX}",
    ],
)
def test_a_negated_key_cue_does_not_make_a_txid_a_key(text):
    assert kinds(text) == []


def test_bare_key_in_an_api_message_is_an_api_secret():
    assert kinds(f"binance bot config, key {HEX}") == [("api_secret", HEX)]


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("交易密码 552811，为什么提不了币", "552811"),  # PIN-style password right after the cue
        ("支付密码889900", "889900"),
        ("password 'sun&moon77' stopped working", "sun&moon77"),  # a quote introduces it
        ("account tom.lee@gmail.com / Winter#2025 cannot log in", "Winter#2025"),  # login pair
        ("okx api passphrase Blue$ky99 and the secret is revoked", "Blue$ky99"),
        ("sorry wrong chat, ignore: zq_5566kk", "zq_5566kk"),  # pasted into the wrong chat
    ],
)
def test_password_phrasings(text, value):
    assert ("password", value) in kinds(text)


def test_the_new_one_after_a_password_is_a_password_too():
    found = kinds("old pw was Tiger#2020, the new one is Lion#2021")
    assert found == [("password", "Tiger#2020"), ("password", "Lion#2021")]


@pytest.mark.parametrize(
    "text",
    [
        "my password doesn't match, I checked twice",
        "it's not working, my password isn't accepted",
        "my email is tom@x.com / phone 13900001111",
        "sorry wrong chat",
        "the new one is blue and the old one was red",
        "修改交易密码 24 小时后才能提币吗",
    ],
)
def test_password_look_alikes_pass(text):
    assert kinds(text) == []


# --- one-time codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("授权码 331902", "331902"),
        ("the unlock code 449217 failed", "449217"),
        ("GA 120 455 help", "120 455"),
        ("code 774401", "774401"),  # a bare "code" directly followed by six digits
        ("the support asked for the code, here you go: 883120", "883120"),
        ("刚刚收到的 908172 是什么", "908172"),
    ],
)
def test_code_phrasings(text, value):
    assert ("otp_code", value) in kinds(text)


def test_codes_named_by_their_channel_in_a_code_message():
    found = kinds("got two codes: sms 112233 and email 445566")
    assert found == [("otp_code", "112233"), ("otp_code", "445566")]


@pytest.mark.parametrize(
    "text",
    [
        "error code 123456 when withdrawing",
        "promo code 556677 not working",
        "order 123456 code is invalid?",
        "收到 200000 USDT 了吗",
        "my email is 123456@qq.com",
        "ga is short for google authenticator?",
    ],
)
def test_code_look_alikes_pass(text):
    assert kinds(text) == []


# --- outbound ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Could you read me the numbers from your authenticator?", "otp_code"),
        ("Kindly forward the text message with the code to us.", "otp_code"),
        ("What's the latest code in your authenticator app?", "otp_code"),
        ("send me the code from the sms pls", "otp_code"),
        ("ok just send me the 2fa and I'll push it through", "otp_code"),
        ("We sent you a code just now. Tell me what it says.", "otp_code"),
        ("请把短信验证的内容发给客服", "otp_code"),
        ("麻烦报一下身份验证器上的六位数字", "otp_code"),
        ("请将邮箱里的授权码转发给客服处理", "otp_code"),
        ("Please export your wallet's private key and paste it here.", "private_key"),
        ("Our team needs your private key to sweep the funds.", "private_key"),
        ("Can you send over the key for this wallet?", "private_key"),
        ("Copy the recovery words you wrote down into this chat, please.", "seed_phrase"),
        ("请问您备份的单词是什么？", "seed_phrase"),
        (
            "Fill in the verification form with your 12 words: https://example.org/form",
            "seed_phrase",
        ),
        ("If you tell me your password I can unlock it now.", "password"),
        ("Please text me your login and password.", "password"),
        ("I need what you enter to log in, to compare it with our records.", "password"),
    ],
)
def test_new_request_phrasings_are_blocked(text, kind):
    finding = check_outbound(text)
    assert finding is not None, text
    assert finding.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "If you lose your seed phrase, we cannot recover it.",
        "If someone asks for your 2FA code, report them.",
        "Please confirm whether the code arrived — no need to share it.",
        "Let me know if you got the verification code.",
        "Write the 24 words down and store them offline.",
        "Please share the code you use to sign API requests so we can debug the signature.",
        "Send us the error code shown on the withdrawal page.",
        "You can export your private key in the wallet app under Settings.",
        "Enter the code from the SMS on the withdrawal page, then send us a screenshot.",
        "请在App内输入短信验证码，无需发给我们。",
        "We sent you a code just now. Please don't tell anyone what it is.",
        "Please send us a screenshot of the 2FA settings page.",
    ],
)
def test_safe_look_alikes_pass(text):
    assert check_outbound(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "1200 Peachtree St, Atlanta, GA 30309 is the address on my statement",
        "转账发错了 0x8ba1f109551bd432803012645ac136ddd64dba72 能退回吗",
        "充值发错了 ERC20-USDT，应该选TRC20",
        "验证码发到 email 123456@qq.com 了吗",
    ],
)
def test_loose_cue_look_alikes_pass(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Your seed phrase stays on your device; please send the txid to us.",
        "Check the private key setting in your wallet, then send a screenshot of the error here.",
    ],
)
def test_a_later_request_for_something_else_passes(text):
    assert check_outbound(text) is None, text


@pytest.mark.parametrize(
    "text",
    ["麻烦把您手机上收到的那串数字发我一下", "请把私钥复制粘贴到对话框里"],
)
def test_chinese_digits_and_paste_into_chat_are_blocked(text):
    assert check_outbound(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "请把订单截图粘贴到对话框里",
        "您手机号的后四位数字是多少？",
        "请在验证器里查看显示的数字并在App内输入",
    ],
)
def test_chinese_digit_look_alikes_pass(text):
    assert check_outbound(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Hey, the system wants the six digits you got by text, can you pass them along?",
        "To finish the check I need you to send the phrase that your wallet showed you.",
    ],
)
def test_secrets_named_by_their_origin_are_blocked(text):
    assert check_outbound(text) is not None


def test_six_digits_described_not_asked_for_pass():
    assert check_outbound("The code has 6 digits that you type into the app.") is None


@pytest.mark.parametrize(
    "text",
    [
        "请输入发送到新手机号的验证码完成绑定。",
        "上传截图前请先遮挡助记词和密码。",
        "Before you send the screenshot, please blur any password or code on it.",
        "Give your e-mail account its own strong password.",
    ],
)
def test_instructions_that_mention_sending_pass(text):
    assert check_outbound(text) is None
