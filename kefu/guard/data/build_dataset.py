"""Build the guard's labelled dataset: ``python -m kefu.guard.data.build_dataset``.

Deterministic: the same code writes the same files. Generated rows come from templates in
English, Chinese and both, filled with values made here (seed phrases from ``mnemonic`` over
seeded random entropy, keys from seeded random bytes, Solana keys from ``cryptography``).
Hard negatives are generated the same way (txids, addresses, order ids, amounts, sentences made of
BIP-39 words) and also taken as sentences from the help-center articles. Hand-written rows
(``handwritten_inbound.jsonl``, ``handwritten_outbound.jsonl``) mark their secrets inline as
``[[kind:value]]`` and are merged in. Every row goes to dev or test by a hash of its id.

Outputs (JSONL, one row a line):
- ``inbound_dev.jsonl`` / ``inbound_test.jsonl``: {"id", "text", "lang", "findings": [...]}
- ``outbound_dev.jsonl`` / ``outbound_test.jsonl``: {"id", "text", "lang", "asks_for"}

The challenge splits, ``fresh``, ``fresh2`` and ``fresh3`` (``inbound_fresh.jsonl`` /
``outbound_fresh.jsonl``, ``inbound_fresh2.jsonl`` / ``outbound_fresh2.jsonl``), are not generated:
each is an independent challenge set written by someone who never saw the rules, imported once with
``python -m kefu.guard.data.build_dataset --import-fresh DIR [fresh|fresh2|fresh3]``
(``DIR/inbound.jsonl`` rows
{"id", "lang", "text", "secrets": [{"kind", "value"}], "note"?}, ``DIR/outbound.jsonl`` rows
{"id", "lang", "text", "asks_for"}) and kept as a static regression file. ``build`` never
touches them.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mnemonic import Mnemonic

DATA = Path(__file__).resolve().parent
KB = DATA.parents[1] / "helpcenter" / "demo_kb" / "articles"
SEED = 20261206

EN = Mnemonic("english")
ZH = Mnemonic("chinese_simplified")

Row = dict[str, Any]


# --- values -------------------------------------------------------------------------------


def seed_en(rng: random.Random) -> str:
    return EN.to_mnemonic(rng.randbytes(rng.choice((16, 16, 16, 20, 24, 28, 32))))


def seed_zh(rng: random.Random) -> str:
    return ZH.to_mnemonic(rng.randbytes(rng.choice((16, 16, 20, 24, 32))))


def hex64(rng: random.Random) -> str:
    return rng.randbytes(32).hex()


def wif(rng: random.Random) -> str:
    body = b"\x80" + rng.randbytes(32) + (b"\x01" if rng.random() < 0.7 else b"")
    return base58.b58encode_check(body).decode()


def xprv(rng: random.Random) -> str:
    version = rng.choice((b"\x04\x88\xad\xe4", b"\x04\x35\x83\x94"))  # xprv, tprv
    body = (
        version
        + bytes([rng.randrange(0, 5)])
        + rng.randbytes(4)
        + rng.randbytes(4)
        + rng.randbytes(32)
        + b"\x00"
        + rng.randbytes(32)
    )
    return base58.b58encode_check(body).decode()


def solana_key(rng: random.Random) -> str:
    secret = rng.randbytes(32)
    public = Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
    return base58.b58encode(secret + public).decode()


def api_secret(rng: random.Random) -> str:
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    style = rng.randrange(4)
    if style == 0:  # Binance-style 64 alphanumerics
        return "".join(rng.choice(alnum) for _ in range(64))
    if style == 1:  # OKX-style 32 upper hex
        return rng.randbytes(16).hex().upper()
    if style == 2:  # Kraken-style base64
        import base64

        return base64.b64encode(rng.randbytes(64)).decode()
    return "".join(rng.choice(alnum) for _ in range(rng.randrange(32, 49)))


def api_key_uuid(rng: random.Random) -> str:
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_PW_WORDS = [
    "sunny",
    "tiger",
    "dragon",
    "maple",
    "river",
    "Summer",
    "Lucky",
    "panda",
    "coffee",
    "Monkey",
    "rocket",
]


def password(rng: random.Random) -> str:
    style = rng.randrange(5)
    word = rng.choice(_PW_WORDS)
    if style == 0:
        return f"{word.capitalize()}{rng.randrange(10, 9999)}{rng.choice('!@#$%&*')}"
    if style == 1:
        return f"{word}{rng.randrange(1970, 2010)}"
    if style == 2:
        return "".join(
            rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(rng.randrange(8, 15))
        )
    if style == 3:
        return f"{rng.choice(['qwe', 'abc', 'asd', 'Aa'])}{rng.randrange(100000, 999999)}"
    return f"{word[0].upper()}{word[1:]}_{rng.randrange(10, 99)}{word[::-1][:3]}"


def otp(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.8:
        return f"{rng.randrange(0, 10**6):06d}"
    if r < 0.9:
        return f"{rng.randrange(0, 1000):03d} {rng.randrange(0, 1000):03d}"
    return f"{rng.randrange(1000, 10000)}"


def eth_address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(20).hex()


def btc_address(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return base58.b58encode_check(b"\x00" + rng.randbytes(20)).decode()
    chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    return "bc1q" + "".join(rng.choice(chars) for _ in range(38))


def tron_address(rng: random.Random) -> str:
    return base58.b58encode_check(b"\x41" + rng.randbytes(20)).decode()


def sol_address(rng: random.Random) -> str:
    return base58.b58encode(rng.randbytes(32)).decode()


def solana_signature(rng: random.Random) -> str:
    return base58.b58encode(rng.randbytes(64)).decode()


def amount(rng: random.Random) -> str:
    return rng.choice(
        [str(rng.randrange(10, 999999)), f"{rng.randrange(1, 5000)}.{rng.randrange(0, 99):02d}"]
    )


def order_id(rng: random.Random) -> str:
    return str(rng.randrange(10**7, 10**12))


def uid(rng: random.Random) -> str:
    return str(rng.randrange(10**7, 10**9))


def bip39_sentence(rng: random.Random) -> str:
    """An ordinary sentence written only with BIP-39 words."""
    return rng.choice(
        [
            "i have a good idea about this project and you can help me find the right way",
            "please check my account again because my balance is wrong since last week",
            "thank you for your help i will wait for the next update today or tomorrow",
            "can you tell me when the deposit will arrive because it has been a long time",
            "my friend said the market will go up soon so i want to buy more before the news",
            "sorry but i still can not find the button to change my phone number",
            "the price was fine this morning but now it is very low and i lose money",
            "please help me i have a problem with my account and i need it solved today",
            "you said the transfer was done but i can not see it in my wallet yet",
            "we want to open a business account for our company and need more detail",
            "this is the third time i ask the same question and nobody will answer me",
            "hello team i want to know why my order was cancel and what to do next",
            "ok thank you so much for the quick answer have a nice day and good luck",
            "when i try to open the app it shows an error and then it will close again",
        ]
    )


# --- templates ----------------------------------------------------------------------------
# "{v}" is the secret; other fields are filled with public values.

POSITIVE: dict[str, list[tuple[str, str]]] = {
    "seed_phrase": [
        ("en", "my seed phrase is {v}"),
        ("en", "Here is my recovery phrase: {v}. Please help me get my funds back"),
        ("en", "I think my wallet was hacked. The 12 words are {v}"),
        ("en", "{v}"),
        ("en", "can you restore my wallet with these words {v}"),
        ("en", "metamask shows 0 balance, mnemonic: {v}"),
        ("en", "{v} this is my backup, is it valid?"),
        ("en", "I wrote down: {v}\nbut trust wallet says invalid"),
        ("zh", "我的助记词是：{v}"),
        ("zh", "{v}"),
        ("zh", "钱包被盗了，助记词 {v} 请帮忙看看"),
        ("zh", "导入钱包时输入的恢复短语是 {v}，提示无效"),
        ("mixed", "我的 seed phrase 是 {v}"),
        ("mixed", "助记词: {v} , metamask 打不开"),
    ],
    "private_key": [
        ("en", "my private key is {v}"),
        ("en", "I exported the private key from metamask: {v} can you check the funds"),
        ("en", "here is my wallet key {v}"),
        ("en", "{v} is my private key, please recover my tokens"),
        ("en", "privkey={v}"),
        ("en", "The key I imported was {v} and now the balance is zero"),
        ("zh", "我的私钥是{v}"),
        ("zh", "私钥：{v}，帮我找回资产"),
        ("zh", "这是我钱包的私钥 {v} 请尽快处理"),
        ("mixed", "private key 是 {v}"),
        ("mixed", "我导出的 private key: {v}"),
    ],
    "private_key_raw": [  # formats that carry their own proof: no cue needed
        ("en", "{v}"),
        ("en", "can you check this one {v}"),
        ("en", "Please look at {v} thanks"),
        ("zh", "帮我看一下这个 {v}"),
        ("zh", "{v} 这个怎么用"),
    ],
    "api_secret": [
        ("en", "api secret: {v}"),
        ("en", "My API key secret is {v} and the bot keeps failing"),
        ("en", "secret key for my trading bot = {v}"),
        ("en", "API_SECRET={v}"),
        ("en", "here are my api credentials, secret {v}"),
        ("zh", "我的API密钥是 {v}"),
        ("zh", "量化机器人的 secret key：{v}"),
        ("zh", "API Secret：{v}，为什么签名错误"),
        ("mixed", "api secret 是 {v}"),
    ],
    "password": [
        ("en", "my password is {v}"),
        ("en", "My password is {v} but it says incorrect"),
        ("en", "login: john.doe@gmail.com password: {v}"),
        ("en", "the password for my account was {v}, I didn't change it"),
        ("en", "pwd: {v}"),
        ("en", "I set the fund password to {v} yesterday"),
        ("zh", "我的密码是{v}"),
        ("zh", "登录密码：{v}，一直提示错误"),
        ("zh", "资金密码为 {v}，帮我看看"),
        ("zh", "密码是 {v} 还是登不上"),
        ("mixed", "我的 password 是 {v}"),
        ("mixed", "password: {v} 还是不行"),
    ],
    "otp_code": [
        ("en", "2FA code {v}"),
        ("en", "the verification code is {v}"),
        ("en", "My google authenticator code: {v}"),
        ("en", "I got the SMS code {v} but it expired"),
        ("en", "Here's the code from my email: {v}"),
        ("en", "{v} is the 2fa code"),
        ("en", "OTP {v}"),
        ("zh", "验证码是 {v}"),
        ("zh", "验证码：{v}"),
        ("zh", "我收到的短信验证码是{v}"),
        ("zh", "谷歌验证码 {v} 一直提示错误"),
        ("zh", "{v}是验证码"),
        ("mixed", "2FA 验证码 {v}"),
        ("mixed", "验证码 code: {v}"),
    ],
}

PAIR: list[tuple[str, str]] = [
    ("en", "login {email} password {pw} and the 2FA code is {otp}"),
    ("zh", "账号 {email} 密码 {pw} 验证码 {otp}"),
    ("en", "my password is {pw} and my google auth code {otp}"),
    ("mixed", "密码是{pw}，2FA code {otp}"),
]

NEGATIVE: list[tuple[str, str]] = [
    ("en", "my withdrawal txid is 0x{txid}"),
    ("en", "Deposit not credited. TxID: {txid}"),
    ("en", "tx hash {txid} shows success on etherscan but not in my account"),
    ("en", "https://etherscan.io/tx/0x{txid}"),
    ("en", "I sent {amount} USDT to {eth}, transaction hash 0x{txid}"),
    ("en", "https://tronscan.org/#/transaction/{txid} please check"),
    ("en", "my deposit address is {eth}"),
    ("en", "withdraw to {btc} failed"),
    ("en", "please send it to my TRON address {tron}"),
    ("en", "My SOL address is {sol}"),
    ("en", "signature {solsig} on solscan, still not arrived"),
    ("en", "order id {order} still pending after 3 days"),
    ("en", "my UID is {uid}"),
    ("en", "I withdrew {amount} USDT yesterday and it is still pending"),
    ("en", "I forgot my password"),
    ("en", "my password is not working"),
    ("en", "my password is correct but it says wrong password"),
    ("en", "I didn't receive the 2FA code"),
    ("en", "the verification code never arrives, I tried 5 times"),
    ("en", "2FA code expired after 30 seconds"),
    ("en", "How do I reset my password?"),
    ("en", "I lost my phone with google authenticator, how to reset 2FA"),
    ("en", "where do I find my API key? the bot needs it"),
    ("en", "API error code -2015 invalid api key"),
    ("en", "Is it safe to share my seed phrase with support?"),
    ("en", "I lost my seed phrase, can you recover my wallet?"),
    ("en", "{bip39}"),
    ("en", "{bip39}. {bip39}"),
    ("en", "block hash {txid}"),
    ("en", "the transaction {txid} has 12 confirmations"),
    ("en", "ticket #{order} any update?"),
    ("en", "my phone number is +1 415 {digits4} {digits4}"),
    ("en", "I paid {amount} USD by card on 2024-05-{day}"),
    ("en", "the code on the error page is 500 and the request id is {order}"),
    ("en", "my referral code is {digits6}"),
    ("en", "I waited 120 seconds for the verification code"),
    ("zh", "提币交易哈希：{txid}"),
    ("zh", "充值地址 {eth} 充了 {amount} USDT 还没到账"),
    ("zh", "我的交易ID是 {txid}，麻烦查一下"),
    ("zh", "订单号 {order} 一直显示处理中"),
    ("zh", "我的UID是{uid}"),
    ("zh", "忘记密码了怎么办"),
    ("zh", "密码是对的，但是登录不了"),
    ("zh", "验证码一直收不到，已经等了10分钟"),
    ("zh", "收不到短信验证码，手机号是 138{digits4}{digits4}"),
    ("zh", "助记词丢了还能找回吗"),
    ("zh", "请问怎么修改资金密码"),
    ("zh", "提现到 {tron} 失败了"),
    ("zh", "邀请码 {digits6} 填错了能改吗"),
    ("zh", "我昨天转了 {amount} 个 USDT，区块浏览器显示成功 {txid}"),
    ("zh", "你好，我想问一下为什么我的账户被冻结了，我没有做任何违规的操作"),
    ("zh", "我在你们平台充值了五百块钱，到现在都没有到账，请尽快帮我处理一下"),
    ("mixed", "txid 是 {txid}"),
    ("mixed", "我的 ETH 地址 {eth}，deposit 没到"),
    ("mixed", "2FA 收不到 code，怎么办"),
    ("mixed", "API key 在哪里创建？"),
]


def _fill(template: str, values: dict[str, str]) -> tuple[str, list[tuple[str, int, int]]]:
    """Fill ``template``; the spans of fields named in ``values`` that are secrets come back."""
    text = ""
    spans: list[tuple[str, int, int]] = []
    for part in re.split(r"(\{[a-z0-9_]+\})", template):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            value, kind = (
                values[name].split("\x00") if "\x00" in values[name] else (values[name], "")
            )
            if kind:
                spans.append((kind, len(text), len(text) + len(value)))
            text += value
        else:
            text += part
    return text, spans


def _secret(value: str, kind: str) -> str:
    return f"{value}\x00{kind}"


def _public_values(rng: random.Random) -> dict[str, str]:
    return {
        "txid": hex64(rng),
        "eth": eth_address(rng),
        "btc": btc_address(rng),
        "tron": tron_address(rng),
        "sol": sol_address(rng),
        "solsig": solana_signature(rng),
        "amount": amount(rng),
        "order": order_id(rng),
        "uid": uid(rng),
        "bip39": bip39_sentence(rng),
        "digits4": f"{rng.randrange(0, 10000):04d}",
        "digits6": f"{rng.randrange(0, 10**6):06d}",
        "day": f"{rng.randrange(1, 29):02d}",
        "email": rng.choice(["amy.lin@gmail.com", "wang88@qq.com", "trader@proton.me"]),
    }


def _format_seed(rng: random.Random, phrase: str, zh: bool) -> str:
    words = phrase.split()
    style = rng.randrange(7)
    if style == 0:
        return " ".join(words)
    if style == 1:
        return ", ".join(words)
    if style == 2:
        return " ".join(f"{i}. {w}" for i, w in enumerate(words, 1))
    if style == 3:
        return "\n".join(words)
    if style == 4:
        return ("" if zh else " ").join(words) if zh else "  ".join(words)
    if style == 5:
        return "、".join(words) if zh else "-".join(words)
    return "\u3000".join(words) if zh else " ".join(w.upper() for w in words)


_KEY_MAKERS: list[Callable[[random.Random], str]] = [
    lambda r: hex64(r),
    lambda r: "0x" + hex64(r),
    wif,
    xprv,
    solana_key,
]
_RAW_MAKERS: list[Callable[[random.Random], str]] = [wif, xprv, solana_key]


def generate_inbound(rng: random.Random) -> list[Row]:
    rows: list[Row] = []

    def add(lang: str, text: str, spans: list[tuple[str, int, int]]) -> None:
        rows.append(
            {
                "id": f"gen-in-{len(rows):04d}",
                "text": text,
                "lang": lang,
                "findings": [{"kind": k, "start": s, "end": e} for k, s, e in spans],
            }
        )

    plan = {
        "seed_phrase": 130,
        "private_key": 90,
        "private_key_raw": 30,
        "api_secret": 45,
        "password": 60,
        "otp_code": 60,
    }
    for family, count in plan.items():
        templates = POSITIVE[family]
        for n in range(count):
            lang, template = templates[n % len(templates)]
            if family == "seed_phrase":
                zh = lang == "zh" or (lang == "mixed" and n % 2 == 0)
                value = _format_seed(rng, seed_zh(rng) if zh else seed_en(rng), zh)
                kind = "seed_phrase"
            elif family == "private_key":
                value, kind = rng.choice(_KEY_MAKERS)(rng), "private_key"
            elif family == "private_key_raw":
                value, kind = rng.choice(_RAW_MAKERS)(rng), "private_key"
            elif family == "api_secret":
                value, kind = api_secret(rng), "api_secret"
            elif family == "password":
                value, kind = password(rng), "password"
            else:
                value, kind = otp(rng), "otp_code"
            values = _public_values(rng) | {"v": _secret(value, kind)}
            add(lang, *_fill(template, values))
    for n in range(24):
        lang, template = PAIR[n % len(PAIR)]
        values = _public_values(rng) | {
            "pw": _secret(password(rng), "password"),
            "otp": _secret(f"{rng.randrange(0, 10**6):06d}", "otp_code"),
        }
        add(lang, *_fill(template, values))
    for n in range(len(NEGATIVE) * 4):
        lang, template = NEGATIVE[n % len(NEGATIVE)]
        add(lang, *_fill(template, _public_values(rng)))
    for lang, sentence in _kb_sentences(rng, 90):
        add(lang, sentence, [])
    return rows


def _kb_sentences(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Sentences of the help-center articles: real prose, full of list words and characters."""
    pool: list[tuple[str, str]] = []
    for path in sorted(KB.glob("*/*.md")):
        lang = "zh" if path.stem.startswith("zh") else "en"
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        for line in body.splitlines():
            line = re.sub(r"[*#>`]|\[([^\]]*)\]\([^)]*\)", r"\1", line).strip(" -")
            if 30 <= len(line) <= 300:
                pool.append((lang, line))
    rng.shuffle(pool)
    return pool[:count]


# --- outbound -----------------------------------------------------------------------------

OUT_ASK: list[tuple[str, str, str]] = [
    ("password", "en", "Please send me your password so I can check the account."),
    ("password", "en", "To verify it's you, what is your login password?"),
    ("password", "en", "Could you provide your fund password?"),
    ("password", "en", "I need your password to unlock the account, {name}."),
    ("password", "zh", "请提供您的登录密码，我们帮您核实。"),
    ("password", "zh", "您的资金密码是多少？"),
    ("password", "zh", "麻烦把密码发给我，我帮您登录看看。"),
    ("otp_code", "en", "Please tell me the 6-digit code you just received."),
    ("otp_code", "en", "What is your 2FA code?"),
    ("otp_code", "en", "Send me the verification code from your SMS to continue."),
    ("otp_code", "en", "Can you share the Google Authenticator code with me?"),
    ("otp_code", "en", "We need the code we sent to your phone, {name}. Reply with it here."),
    ("otp_code", "zh", "请把收到的短信验证码发给我。"),
    ("otp_code", "zh", "您的谷歌验证码是多少？"),
    ("otp_code", "zh", "请提供一下您的2FA验证码，我帮您操作。"),
    ("private_key", "en", "Please send your private key so we can recover the tokens."),
    ("private_key", "en", "To restore the funds I will need your wallet's private key."),
    ("private_key", "zh", "请提供您的钱包私钥，我们帮您找回资产。"),
    ("private_key", "zh", "把私钥发过来，技术人员帮您处理。"),
    ("seed_phrase", "en", "Please provide your seed phrase for verification."),
    ("seed_phrase", "en", "Can you type your 12 words here so we can sync the wallet?"),
    ("seed_phrase", "en", "Share your recovery phrase with me and I'll fix the wallet."),
    ("seed_phrase", "zh", "请提供您的助记词。"),
    ("seed_phrase", "zh", "麻烦把助记词发给我们，我们帮您同步钱包。"),
    ("seed_phrase", "zh", "您的助记词是什么？请告诉我。"),
]
OUT_SAFE: list[tuple[str, str]] = [
    ("en", "We will never ask for your password."),
    ("en", "Please do not share your seed phrase with anyone, including us."),
    ("en", "Never give your 2FA code to anyone who contacts you."),
    ("en", "You can reset your password here: https://example.com/reset"),
    ("en", "Enter the 6-digit code from your authenticator app on the withdrawal page."),
    ("en", "Please confirm the withdrawal with your 2FA code in the app."),
    ("en", "Your private key should never be shared."),
    ("en", "Please send me your UID and the txid of the deposit, {name}."),
    ("en", "If you forgot your password, use the 'Forgot password' link on the login page."),
    ("en", "Did you receive the verification code we sent?"),
    ("en", "Could you provide a screenshot of the error?"),
    ("en", "Staff will never ask for your private key or seed phrase."),
    ("en", "I have reset your 2FA; please set it up again in the app."),
    ("en", "Please share the deposit address and the amount you sent."),
    ("zh", "请勿向任何人提供验证码。"),
    ("zh", "我们的客服不会向您索要密码或助记词。"),
    ("zh", "请在页面输入验证码完成验证。"),
    ("zh", "请提供您的UID和充值交易哈希。"),
    ("zh", "如果忘记密码，可以在登录页点击“忘记密码”重置。"),
    ("zh", "请妥善保管您的助记词，不要截图或发给他人。"),
    ("zh", "请发一下提现记录的截图，谢谢。"),
    ("zh", "您的账户已解冻，请修改登录密码并开启谷歌验证。"),
]


def generate_outbound(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    names = ["Alice", "Mr. Wang", "Sam", "李女士"]
    for n in range(110):
        kind, lang, template = OUT_ASK[n % len(OUT_ASK)]
        text = template.replace("{name}", rng.choice(names))
        if n % 3 == 1:
            text = ("Hi, thanks for waiting. " if lang == "en" else "您好，感谢等待。") + text
        rows.append(
            {"id": f"gen-out-{len(rows):04d}", "text": text, "lang": lang, "asks_for": kind}
        )
    for n in range(110):
        lang, template = OUT_SAFE[n % len(OUT_SAFE)]
        text = template.replace("{name}", rng.choice(names))
        if n % 3 == 2:
            text = ("Thanks for contacting us. " if lang == "en" else "您好，") + text
        rows.append(
            {"id": f"gen-out-{len(rows):04d}", "text": text, "lang": lang, "asks_for": None}
        )
    return rows


# --- hand-written rows --------------------------------------------------------------------

_MARK = re.compile(r"\[\[(seed_phrase|private_key|api_secret|password|otp_code):(.*?)\]\]", re.S)


def unmark(marked: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn ``[[kind:value]]`` marks into plain text and finding offsets."""
    text = ""
    findings: list[dict[str, Any]] = []
    pos = 0
    for match in _MARK.finditer(marked):
        text += marked[pos : match.start()]
        value = match.group(2)
        findings.append({"kind": match.group(1), "start": len(text), "end": len(text) + len(value)})
        text += value
        pos = match.end()
    text += marked[pos:]
    return text, findings


def load_handwritten() -> tuple[list[Row], list[Row]]:
    inbound: list[Row] = []
    for line in (DATA / "handwritten_inbound.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            text, findings = unmark(raw["text"])
            inbound.append(
                {"id": raw["id"], "text": text, "lang": raw["lang"], "findings": findings}
            )
    outbound: list[Row] = []
    for line in (DATA / "handwritten_outbound.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            outbound.append(
                {
                    "id": raw["id"],
                    "text": raw["text"],
                    "lang": raw["lang"],
                    "asks_for": raw["asks_for"],
                }
            )
    return inbound, outbound


def split_of(row_id: str) -> str:
    return "test" if hashlib.sha256(row_id.encode()).digest()[0] % 2 else "dev"


def _write(out: Path, name: str, rows: list[Row]) -> None:
    with (out / name).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(out: Path = DATA) -> dict[str, int]:
    """Write the four split files into ``out``; return their row counts."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not secrets
    hand_in, hand_out = load_handwritten()
    inbound = generate_inbound(rng) + hand_in
    outbound = generate_outbound(rng) + hand_out
    counts: dict[str, int] = {}
    for direction, rows in (("inbound", inbound), ("outbound", outbound)):
        for split in ("dev", "test"):
            chosen = [row for row in rows if split_of(row["id"]) == split]
            _write(out, f"{direction}_{split}.jsonl", chosen)
            counts[f"{direction}_{split}"] = len(chosen)
    return counts


FRESH_SPLITS = ("fresh", "fresh2", "fresh3")


def import_fresh(source: Path, out: Path = DATA, split: str = "fresh") -> dict[str, int]:
    """Convert a challenge set in ``source`` into ``{inbound,outbound}_<split>.jsonl``.

    ``split`` is ``fresh`` (the first independent set), ``fresh2`` (the second) or ``fresh3``
    (the third).

    Each labelled secret is given by its value; its offsets are those of the value's first
    occurrence in the text. A ``note`` (why a row is labelled as it is) is kept.
    """
    if split not in FRESH_SPLITS:
        raise ValueError(f"unknown challenge split {split!r}")
    inbound: list[Row] = []
    for line in (source / "inbound.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        findings = []
        for secret in raw["secrets"]:
            start = raw["text"].find(secret["value"])
            if start < 0:
                raise ValueError(f"{raw['id']}: value not in text")
            findings.append(
                {"kind": secret["kind"], "start": start, "end": start + len(secret["value"])}
            )
        row: Row = {"id": raw["id"], "text": raw["text"], "lang": raw["lang"], "findings": findings}
        if raw.get("note"):
            row["note"] = raw["note"]
        inbound.append(row)
    outbound: list[Row] = []
    for line in (source / "outbound.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            outbound.append(
                {
                    "id": raw["id"],
                    "text": raw["text"],
                    "lang": raw["lang"],
                    "asks_for": raw["asks_for"],
                }
            )
    _write(out, f"inbound_{split}.jsonl", inbound)
    _write(out, f"outbound_{split}.jsonl", outbound)
    return {f"inbound_{split}": len(inbound), f"outbound_{split}": len(outbound)}


if __name__ == "__main__":
    import sys

    if len(sys.argv) in (3, 4) and sys.argv[1] == "--import-fresh":
        split = sys.argv[3] if len(sys.argv) == 4 else "fresh"
        print(json.dumps(import_fresh(Path(sys.argv[2]), split=split)))
    else:
        print(json.dumps(build()))
