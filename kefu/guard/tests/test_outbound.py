from __future__ import annotations

import pytest

from kefu.guard.outbound import OutboundFinding, check_outbound


@pytest.mark.parametrize(
    ("text", "kind", "noun"),
    [
        ("please send me your password", "password", "password"),
        ("请提供您的助记词", "seed_phrase", "助记词"),
        ("tell me the 6-digit code", "otp_code", "6-digit code"),
        ("what is your 2FA code?", "otp_code", "2FA code"),
        ("您的谷歌验证码是多少？", "otp_code", "谷歌验证码"),
        (
            "Please send your private key so we can recover the tokens.",
            "private_key",
            "private key",
        ),
        ("Thanks for waiting. Can you type your 12 words here?", "seed_phrase", "12 words"),
        ("请把您的12个助记词按顺序发给我核对。", "seed_phrase", "助记词"),
        ("Please reply with the SMS code so I can finish the reset.", "otp_code", "SMS code"),
    ],
)
def test_requests_for_secrets_are_blocked(text, kind, noun):
    finding = check_outbound(text)
    assert finding is not None
    assert finding.kind == kind
    assert text[finding.start : finding.end] == noun


@pytest.mark.parametrize(
    "text",
    [
        "we will never ask for your password",
        "请勿向任何人提供验证码",
        "do not share your seed phrase",
        "reset your password here: https://example.com/reset",
        "You will need your authenticator code to log in.",
        "Please confirm the withdrawal with your 2FA code.",
        "请在页面输入验证码完成验证",
        "Your seed phrase should never be shared with anyone.",
        "Please provide your UID and the txid.",
        "What is your preferred 2FA method?",
        "Please send me a screenshot of the 2FA settings page.",
        "Tell me which step of the password reset fails.",
        "Can you confirm that you changed your password?",
        "请问您的密码是什么时候修改的？",
        "",
    ],
)
def test_the_safe_opposite_passes(text):
    assert check_outbound(text) is None


def test_warning_then_request_in_the_next_sentence_is_blocked():
    text = "We never ask for passwords. Now send me your 2FA code."
    start = text.index("2FA code")
    assert check_outbound(text) == OutboundFinding("otp_code", start, start + len("2FA code"))


@pytest.mark.parametrize(
    "text",
    [
        "Seed reply.",
        "We will reply about the seed funding round next week.",
        "Our seed investors asked us to send a reply.",
    ],
)
def test_a_bare_seed_that_is_nobodys_wallet_is_not_a_request(text):
    assert check_outbound(text) is None


@pytest.mark.parametrize(
    "text", ["Reply with your seed.", "send me ur seed pls", "What is your wallet seed? Send it."]
)
def test_somebodys_seed_is_still_a_request(text):
    finding = check_outbound(text)
    assert finding is not None
    assert finding.kind == "seed_phrase"
