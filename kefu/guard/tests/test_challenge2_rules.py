"""Rule families added after the second independent challenge set (docs/subsystems/guard.md).

Every sentence here is written for this file; none is taken from either challenge set.
"""

from __future__ import annotations

import random

import pytest

from kefu.guard.detect import scan
from kefu.guard.outbound import check_outbound
from kefu.guard.tests.helpers import kinds

RNG = random.Random("challenge2")
HEX = RNG.randbytes(32).hex()
HEX2 = RNG.randbytes(32).hex()
TOKEN = "Zq7" + "".join(RNG.choice("abcdefghjkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(45))


# --- inbound: public or non-secret values that looked like secrets -------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"下载的钱包安装包校验值是 {HEX}，跟你们公布的不一样",
        f"the checksum {HEX} does not match the release page",
        f"md5sum says {HEX[:32]}, is that the right build?",
        "提现时报错 'Network fee too low (code 410233)'，怎么办",
        'the app shows {"code": 720115, "msg": "order rejected"} when I sell',
        "got code 553100 with the error banner 'Daily limit reached'",
        "login password: ******** (I blurred it) and the button stays grey",
        "资金密码：•••••• 截图里打码了，提交一直转圈",
        "password: (hidden) — the form still says it is too short",
        'I changed it to "v4.1.2" and the login page still crashes',
        f"HMAC output {HEX} but the server says signature mismatch",
        f"my request sig {HEX} keeps getting rejected, apiKey header is there",
        '{"crypto":{"ciphertext":"' + HEX + '","mac":"' + HEX2 + '"},"version":3} keystore ok?',
        f"API key only (not the secret): {TOKEN} — which permissions does it have?",
        f"我的 API Key 是 {TOKEN}，secret 我就不发了，帮我看看权限",
    ],
)
def test_public_and_non_secret_values_are_not_flagged(text):
    assert kinds(text) == []


def test_a_password_state_with_question_marks_is_not_the_password():
    text = 'I set it to "Mango!771" and now it says the password is wrong??'
    assert kinds(text) == [("password", "Mango!771")]


def test_an_api_key_counts_when_its_secret_is_given_too():
    text = f"api key {TOKEN} and the secret {TOKEN[::-1]}"
    found = [value for kind, value in kinds(text) if kind == "api_secret"]
    assert TOKEN[::-1] in found


# --- inbound: recall --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("pass: Gr8Wall#19\nemail: same as this chat", "Gr8Wall#19"),
        ("p@ssword is Tiger$eye7 — please check why login fails", "Tiger$eye7"),
        ("honestly my password is just marmalade, nothing fancy", "marmalade"),
        ("I reset it to 'rocket77z' this morning and still can't log in", "rocket77z"),
        ("my login is dana.k / bluefin_42, could you look", "bluefin_42"),
        ("maybe orca2020 thats what i usually use everywhere", "orca2020"),
        ("原来的密码是qq55667788，新改的是qq99887766，都不行", "qq99887766"),
        ("原来的密码是qq55667788，新改的是qq99887766，都不行", "qq55667788"),
        ("it's either mypass2019 or mypass2020, I don't remember", "mypass2020"),
    ],
)
def test_more_password_shapes(text, value):
    assert ("password", value) in kinds(text)


def test_a_bip39_passphrase_next_to_its_key():
    xprv = (
        "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86"
        "QEC8w35uxmGoggxtQTPvfUu"
    )
    text = f"electrum passphrase harborlights {xprv}"
    found = kinds(text)
    assert ("password", "harborlights") in found


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("the sms code came: 72 19 40", "72 19 40"),
        ("email code (8 digits): 3051 7744 and nothing else", "3051 7744"),
    ],
)
def test_spaced_codes(text, value):
    assert ("otp_code", value) in kinds(text)


def test_a_secret_key_assigned_in_code_is_an_api_secret():
    text = f'SECRET_KEY = "{TOKEN}"   # from my settings file, the bot gets 401'
    assert ("api_secret", TOKEN) in kinds(text)


def test_a_solana_byte_array_after_id_json_is_a_key():
    numbers = ",".join(str(b) for b in random.Random("sol-array").randbytes(64))
    text = f"here is my wallet file ~/keys/id.json:\n[{numbers}]"
    assert [k for k, _ in kinds(text)] == ["private_key"]


# --- outbound: new request families ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Kindly put your zprv in the reply so the engineer can rescan.", "private_key"),
        ("Send us the following: 1) full name 2) UID 3) your login password.", "password"),
        (
            "A code is on its way by SMS, please forward the text to us as soon as it lands.",
            "otp_code",
        ),
        ("We cannot unfreeze anything unless you share the 2FA code right away.", "otp_code"),
        (
            "If you do not submit your seed phrase by Friday, the wallet will be closed.",
            "seed_phrase",
        ),
        ("Everyone must verify by submitting their 12 words through the portal.", "seed_phrase"),
        ("账户异常，麻烦把 pwd 发我一下", "password"),
        ("What is the code that pops up in your authenticator right now?", "otp_code"),
        ("Open the audit form (fields: email, UID, private key) and send it.", "private_key"),
        (
            "Please fill out the page at https://example.org/restore with your recovery phrase.",
            "seed_phrase",
        ),
        ("Could you type out the words on your backup sheet for me?", "seed_phrase"),
        ("验证器里显示的是什么数字？念给我听", "otp_code"),
        ("Finish the check by replying with the 2FA code from your phone.", "otp_code"),
        ("把收到的短信内容复制给我就行", "otp_code"),
        (
            "Our specialist will phone you; have the SMS code ready and read it out to her.",
            "otp_code",
        ),
        ("Take a screenshot of your Google Authenticator app and attach it here.", "otp_code"),
        ("专员来电时把验证码告诉她即可", "otp_code"),
        (
            "Message our security desk @HelpDeskReal on WhatsApp with your seed phrase today.",
            "seed_phrase",
        ),
    ],
)
def test_new_outbound_request_families_are_blocked(text, kind):
    found = check_outbound(text)
    assert found is not None, text
    assert found.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "Enter the code in the app yourself and never send it to anyone.",
        "Please forward the email to us so we can check whether it is phishing.",
        "We can't see your password and we never ask for it.",
        "If you don't remember your password, use the reset link on the login page.",
        "The form has these fields: email, phone, country.",
        "Fill in the form with your UID and the deposit txid.",
        "Type out your question and we'll reply within the hour.",
        "请不要把验证码告诉任何人，包括自称客服的人。",
    ],
)
def test_safe_replies_still_pass(text):
    assert check_outbound(text) is None


def test_new_rules_stay_linear_on_long_input():
    # Thousands of cues in one message: the result comes back (no catastrophic backtracking);
    # the timing itself is not asserted (shared CI machines), only that the work completes.
    assert scan("pass: " * 5000).findings
    assert check_outbound("reply with: password " * 2000) is not None
