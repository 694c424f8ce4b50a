"""Rules added after the third independent challenge set, tested on new sentences.

The outbound check gained a message-level pass built from three concepts: a SECRET noun (with
synonyms and artefacts that hold a secret), a TRANSFER intent (a verb that moves something to
someone, or a destination other than the customer's own app: an e-mail address, a handle, a
link) and SAFE frames (negation, warnings, "yourself", the secret used in the app).
"""

from __future__ import annotations

import pytest

from kefu.guard.detect import scan
from kefu.guard.outbound import check_outbound

from .helpers import kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # destinations other than this chat: e-mail, handles, messengers
        ("Kindly mail your wallet's secret words to recovery-desk@coinhelp.net before noon.",
         "seed_phrase"),
        ("Our auditor is on Signal at @audit_team_7, ping him the 24 words and he will unlock it.",
         "seed_phrase"),
        ("请加我们专员的 Telegram @kf_helper，把登录密码给他。", "password"),
        # urgency and threats are pressure, not warnings
        ("Time is running out: post the verification code here in 5 minutes or the withdrawal "
         "is cancelled.", "otp_code"),
        ("最后通知：30分钟内不提供助记词，账户将被永久冻结。", "seed_phrase"),
        # colloquial questions, the request in another sentence
        ("What number is your Google Authenticator showing at the moment?", "otp_code"),
        ("手机短信里的验证码是几？直接打出来给我就行。", "otp_code"),
        ("邮件里的六位数字收到了吗？收到的话回复一下。", "otp_code"),
        # artefacts that contain the secret
        ("Attach a picture of the seed card you got in the box, front and back.", "seed_phrase"),
        ("Send over what `cat ~/.config/solana/id.json` prints.", "private_key"),
        ("Drop your keypair file in this chat so the engineer can look at it.", "private_key"),
        # synonyms
        ("The 12 words you noted down - we need them to re-sync the wallet.", "seed_phrase"),
        # we send the code, then ask for it back
        ("We just sent you a new verification code, please send it back to me.", "otp_code"),
        ("我们已发送验证码到您的手机，请把验证码发给我。", "otp_code"),
    ],
)  # fmt: skip
def test_requests_through_other_channels_and_words_are_blocked(text, kind):
    found = check_outbound(text)
    assert found is not None
    assert found.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "We will never ask for your secret words; if anyone does, report them to "
        "security@coinhelp.net.",
        "Please send us the transaction hash and the deposit address, not the private key.",
        "请发送充值地址和交易哈希，不是私钥。",
        "Open the app, go to Security, and type the SMS code there yourself.",
        "验证码收到后请在 App 的提现页面输入，不要发到聊天里。",
        "Do not upload photos of your recovery card anywhere.",
        "Send us a screenshot of the error message, with any codes hidden.",
        "Please forward the confirmation email about the deposit to support@coinhelp.net.",
        "请提供您的 UID 和注册邮箱，我们会协助重置登录密码。",
        "Your keypair never leaves your computer; just tell us the public address.",
        "Telegram 上自称客服、要你助记词的都是骗子。",
        "Please send the TXID and a screenshot of the withdrawal record.",
        "The 6-digit code expires after a minute, so request a fresh one in the app if it fails.",
        "Type the 6-digit code we send you on the confirmation page, then reply here.",
        "新的验证码会发送到您的手机，请回复我们是否收到。",
        # questions about the secret, not for it
        "Please tell us which wallet app you used to create the seed phrase.",
        "Send us the UID and the time you last changed your password.",
        "Could you tell me roughly when you set up the authenticator? The SMS code flow changed "
        "last month.",
        "Please give us the name of the wallet where you keep your 12 words.",
        # the request is for something the secret only describes
        "Please provide the email address where the verification code was sent.",
        "请提供接收验证码的手机号码。",
        "We need your UID to look into why the SMS code is delayed.",
        "我们需要您的 UID 来查询短信验证码为什么延迟。",
        "What is the email on the account? We will send a new verification code there.",
        "Send the deposit txid to billing@kefu.com; your login password stays with you.",
    ],
)
def test_safe_frames_pass(text):
    assert check_outbound(text) is None


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("I set my 交易密码 to 802614 on Friday and now it says wrong", ["802614"]),
        ("reset it to Blue#Otter77 this morning, still locked out", ["Blue#Otter77"]),
        ("登录密码大概是 tiger8899 或者 Tiger8899，记不清了", ["tiger8899", "Tiger8899"]),
        ("it might be Rocket42 or rocket42! no idea which", ["Rocket42", "rocket42!"]),
        ("短信验证码 3 8 1 9 0 6 填进去没反应", ["3 8 1 9 0 6"]),
    ],
)
def test_new_password_and_code_shapes_are_redacted(text, values):
    result = scan(text)
    for value in values:
        start = text.index(value)
        assert any(f.start < start + len(value) and start < f.end for f in result.findings), value


def test_private_key_in_code_and_on_a_labelled_line():
    hex64 = "3f" * 32
    code = f"const acct = web3.eth.accounts.privateKeyToAccount('0x{hex64}');"
    assert ("private_key", "0x" + hex64) in kinds(code) or any(
        k == "private_key" for k, _ in kinds(code)
    )
    lines = f"address 0x{'ab' * 20}\nprivate {hex64}\nwhere did my ETH go"
    result = scan(lines)
    start = lines.index(hex64)
    assert any(f.kind == "private_key" and f.start <= start < f.end for f in result.findings)


@pytest.mark.parametrize(
    "text",
    [
        'I changed it to "v5.0.3" after the update and the app still crashes',
        "we set it to 100000 USDT as the daily limit",
        "the order should be 20231107 or 20231108, not sure",
        "I set the limit to 250000 yesterday",
        "maybe tomorrow or Friday, whichever works",
        "验证码 6 位，有效期 10 分钟",
    ],
)
def test_look_alikes_stay_clean(text):
    assert scan(text).findings == ()


def test_codes_tried_from_an_authenticator_are_redacted():
    text = "I tried 771204, then 093318 in my authenticator and both failed"
    assert kinds(text) == [("otp_code", "771204"), ("otp_code", "093318")]
    assert scan("we tried 3 times from the app").findings == ()
