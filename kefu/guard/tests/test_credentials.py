from __future__ import annotations

import pytest

from kefu.guard.detect import scan
from kefu.guard.tests.helpers import kinds


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("my password is Hunter22x", "Hunter22x"),
        ("password: sunshine", "sunshine"),
        ("Hunter22x is my password", "Hunter22x"),
        ("我的密码是 zhang1990 麻烦帮我登录", "zhang1990"),
        ("密码:Aa112233", "Aa112233"),
        ("资金密码我设置的是qaz123wsx", "qaz123wsx"),
        ("email amy@example.com password Amy@2024 please check", "Amy@2024"),
        ("I set the fund password to qwe616658 yesterday", "qwe616658"),
        ("my password is Hunter22!", "Hunter22!"),
        ("my password is Abc12345.", "Abc12345"),
    ],
)
def test_password_given_in_context(text, value):
    assert kinds(text) == [("password", value)]


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my password",
        "my password is wrong",
        "my password is not working",
        "my password is correct but it says wrong password",
        "Passwords are case-sensitive.",
        "What are the password requirements? It says 8 characters minimum",
        "change your password as soon as you can",
        "reset password page says error 404",
        "密码是对的，但是登录不了",
        "密码是8位数的，我确定没输错",
        "密码是多少位的？",
        "Not sure? [Reset your password](/help/en/articles/reset-password/)",
    ],
)
def test_password_talk_without_a_password(text):
    assert scan(text).findings == ()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("验证码是 123456", "123456"),
        ("2FA code 123456", "123456"),
        ("验证码5821", "5821"),
        ("my 2fa is 118 240", "118 240"),
        ("Here's the code from my email: 746971", "746971"),
        ("我收到的短信验证码是303734", "303734"),
        ("809 169 is the 2fa code", "809 169"),
        ("google authenticator code：６６２０１９", "６６２０１９"),
    ],
)
def test_otp_code_given_in_context(text, value):
    assert kinds(text) == [("otp_code", value)]


@pytest.mark.parametrize(
    "text",
    [
        "I didn't receive the 2FA code",
        "the verification code never arrives, I tried 5 times",
        "验证码一直收不到，已经等了10分钟",
        "短信验证码 60 秒内只能发一次",
        "I deposited 250000 USDT, the code is the same as the withdrawal?",
        "Error code 100001 when I enter the 2FA code",
        "邀请码 880123 是我朋友的",
        "google authenticator code not working since 2023",
        "ticket 482913 is still open",
    ],
)
def test_numbers_that_are_not_codes(text):
    assert scan(text).findings == ()


def test_api_secret_after_a_cue_and_listed_credentials():
    secret = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    assert kinds(f"api secret: {secret}") == [("api_secret", secret)]
    assert kinds(f"API_SECRET={secret}") == [("api_secret", secret)]
    b64 = "gk8oJI6jsOGf90sqzxmYbcnAMH8vPrq+stxjXGUxEMhAgK5Fn/0nrVrKm8vgP6YPcq8I0x7MGvs2C4an+ZJUag=="
    assert kinds(f"我的API密钥是 {b64}") == [("api_secret", b64)]


@pytest.mark.parametrize(
    "text",
    [
        "API error -1022 Signature for this request is not valid",
        "my API key is called binance-bot-main",
        "the secret is to buy low and sell high",
        "I deleted my API key, the label was trading-bot-2024",
    ],
)
def test_api_talk_without_a_secret(text):
    assert scan(text).findings == ()


def test_password_and_code_in_one_message():
    text = "账号 138****5678，密码 zz112233，验证码 664203，帮我提现"
    assert kinds(text) == [("password", "zz112233"), ("otp_code", "664203")]
