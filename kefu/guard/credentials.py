"""Secrets that only context reveals: passwords, one-time codes, exchange API secrets.

"Hunter22", "482913" and "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
are ordinary strings; "my password is Hunter22", "验证码是 482913" and "API secret: vmPU…"
are leaks. Each detector starts at a cue found by ``context.find_cues`` and reads the value that
the cue introduces:

- the value follows the cue within a short clause ("password for my main account is …"), with
  no sentence break, no other noun ("email", "邮箱", "UID") and no ``@`` in between;
- an introducer (``is``, ``:``, ``=``, ``是``, ``为``) lets a plain value through; a value right
  after the cue with no introducer must look like one on its own ("password Abc12345",
  "验证码 123456");
- a value may also come first, with the cue right after it ("482913 is my 2FA code").

What is deliberately not a secret: the state of a password ("my password is wrong", "密码是对的"),
a code that is described rather than given ("the 6 digit code never arrived"), amounts, order and
ticket numbers, error codes, years, and durations ("验证码 60 秒后过期").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kefu.guard.context import (
    API,
    OTP,
    OTP_SECRET,
    OTP_WEAK,
    PASSWORD,
    PUBLIC,
    SECRET_KEY,
    SEED,
    TRAILING,
    TX,
    Context,
)

PASSWORD_KIND = "password"  # noqa: S105 - a finding kind
OTP_KIND = "otp_code"
API_SECRET_KIND = "api_secret"  # noqa: S105 - a finding kind

_WINDOW = 48
# What may not stand between a cue and its value.
_BREAK = re.compile(r"[.!?。！？;；\n]|\.\s|,\s*(?:but|and|so|because|however)\b|，|但|可是|然后")
_OTHER_NOUN = re.compile(
    r"(?<![A-Za-z])(?:e-?mail|username|user ?name|login id|account id|uid|user id|phone|mobile|"
    r"number|address|order|ticket|case|id|link|url|txid|hash|amount|balance|name)(?![A-Za-z])|"
    r"邮箱|账号|帐号|用户名|手机|电话|订单|工单|地址|金额|余额|链接|网址|名字|姓名|哈希",
    re.IGNORECASE,
)
_INTRO_END = re.compile(
    r"(?:[:：=＝]|(?<![A-Za-z])(?:is|was|are|were|would be|will be)"
    r"|是|为|為|就是|是这个|如下|写的是|设的是|设置的是|改成了?|改为|换成了?)"
    r"\s*(?:[\"'“‘`「『(（\[]\s*)?$",
    re.IGNORECASE,
)
_ASCII_TOKEN = re.compile(r"[!-~]+")
_TRIM_LEAD = "\"'`([<{:=："
# "!" and "?" stay: passwords end with them more often than a sentence ends right after one, and
# redacting one character too many costs nothing.
_TRIM_TAIL = "\"'`)]>}.,;:"

# Words that describe a password rather than being one: "my password is wrong".
_STATE_WORDS = frozenset(
    """
    a an the my your our his her its their this that it not no never always also still just
    now then too very so really definitely probably maybe correct incorrect right wrong
    invalid valid fine ok okay good bad weak strong same different new old changed reset
    expired locked blocked frozen disabled enabled missing lost forgotten forgot gone stolen
    compromised hacked leaked known unknown long short simple complex hard easy secure safe
    unsafe saved stored required needed ready set done working broken rejected accepted case
    sensitive characters character chars digits digit letters letter numbers number symbols
    symbol words word only all any some none empty blank same different mine yours here
    there below above attached sent in on at for from with without to of by into about and
    or but if because since when what which who how why where please thanks thank sorry help
    stuck sure unsure true false exactly literally actually definitely absolutely being been
    get got having have has had do does did can could will would should may might must shall
    cannot cant dont doesnt isnt wasnt wont fails failing failed works worked strong enough
    updated update changing change resetting recovering recovered asking showing shows says
    said appears appear seems seem like different something nothing everything anything
    what's whats definitely probably literally actually really exactly obviously certainly
    totally completely simply currently suddenly apparently clearly likely surely seriously
    fully correctly incorrectly properly recently already usually hidden masked redacted
    blurred omitted removed censored covered
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_PLAIN_WORD = re.compile(r"[A-Za-z]+")
_LINKISH = re.compile(r"://|^www\.|\]\(|^/|/[\w-]+/|\.(?:com|org|net|io|html?)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_WORDY = re.compile(r"[a-z]+(?:[-_.][a-z0-9]+)*")
# "set the password to X", "used X as password": weaker introducers, for values that look strong.
_WEAK_INTRO_END = re.compile(r"(?<![A-Za-z])(?:to|into|as|with)\s*[\"'“‘`]?$", re.IGNORECASE)
# "code: 905531", "code 695860", "the code, here it is 937256": a code given as one.
_BARE_CODE = re.compile(
    r"\s*[:：=]?\s*(?:\d{6}|\d{3}[ -]\d{3})(?!\d)|"
    r"[^.!?\n。！？]{0,30}?(?<![A-Za-z])(?:is|was|it'?s|it is|here it is|here you go)"
    r"\s*[:：]?\s*[\"'“]?(?:\d{6}|\d{3}[ -]\d{3})(?!\d)",
    re.IGNORECASE,
)
_HEAD_TOKEN = re.compile(r"\d{3}[ -]\d{3}|[!-~]+")
_TRAILING_VERB = re.compile(r"is|was|=|as|that'?s|是|为|就是|这是", re.IGNORECASE)
# "the code from my email: 746971": where a code came from is not another value's name.
_SOURCE = re.compile(
    r"(?<![A-Za-z])(?:from|in|on|via|by|to)\s+(?:my|the|your|an?)?\s*"
    r"(?:e-?mail|phone|mobile|sms|text|app|inbox|authenticator)(?![A-Za-z])|"
    r"(?:邮箱|手机|短信|邮件)(?:里|上|中|内)?(?:收到)?的?",
    re.IGNORECASE,
)

# Units and nouns that say a number is not a code.
_NOT_CODE_AFTER = re.compile(
    r"\s*(?:[.,]\d|[%$€¥£]|(?:usdt|usdc|usd|btc|eth|trx|bnb|sol|xrp|doge|coins?|tokens?|"
    r"dollars?|yuan|rmb|cny|eur|minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|times|"
    r"attempts?|tries|digits?|characters?|chars?|letters?|numbers?|people|users?)(?![A-Za-z])|"
    r"元|块|美元|分钟|秒|小时|天|次|位|个|号|年|月|日|人|笔|%|枚|倍)",
    re.IGNORECASE,
)
_NOT_CODE_BEFORE = re.compile(
    r"(?:[#№$€¥£+]|(?<![A-Za-z])(?:no\.?|order|ticket|case|uid|id|ref|account|tel|phone|"
    r"amount|of|to|from|by|after|within|about|around|over|under|than|last|first|every|"
    r"error|code\s+error)\s*[:：#]?)\s*$",
    re.IGNORECASE,
)
_DIGIT_CODE = re.compile(
    r"(?<![A-Za-z0-9_.#$,/-])(\d{3}[ -]\d{3}|\d{4}[ -]\d{4}|\d{2} \d{2} \d{2}|\d(?: \d){5,7}|"
    r"\d{4,8})"
    r"(?![A-Za-z0-9_/]|[.,:-]\d| \d)"
)
_BASE32 = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z2-7]{4}[ -]?){3,15}[A-Z2-7]{0,4}(?![A-Za-z0-9])")
_API_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,200}={0,2}(?![A-Za-z0-9+/=_-])")
_OTP_MESSAGE = re.compile(
    r"(?<![A-Za-z])(?:log ?in|sign ?in|login|sms|text(?:ed)?|e-?mail(?:ed)?|verify|verification|"
    r"authenticat\w*|2fa|otp|received|got|came|arrived|phone|withdraw\w*|confirm\w*)(?![A-Za-z])|"
    r"登录|登陆|短信|邮件|验证|收到|提现|提币|确认",
    re.IGNORECASE,
)
# Codes without a code cue of their own:
_LOOSE_CODES: tuple[tuple[re.Pattern[str], bool], ...] = (
    # "sms 719969 and email 461570": a channel right before the digits, in a message about codes
    # (True: only when the message has a code cue).
    (
        re.compile(
            r"(?:(?<![A-Za-z])(?:e-?mail|sms|text)(?![A-Za-z])|邮箱|邮件|短信)\s*[:：]?\s*"
            r"(\d{6}|\d{3}[ -]\d{3})(?![\d@A-Za-z])",
            re.IGNORECASE,
        ),
        True,
    ),
    # "我刚收到的571183是你们发的吗", "just got 123456, is it from you?"
    (
        re.compile(
            r"(?:刚刚?|刚才)收到(?:的|了)?\s*(\d{6})(?!\d)|"
            r"(?<![A-Za-z])just (?:got|received)(?: this| a| the)?[:：]?\s*(\d{6})(?!\d)",
            re.IGNORECASE,
        ),
        False,
    ),
)
# "tried 460185 and then 840036 from authy": codes tried, named by the app they came from.
_TRIED_CODES = re.compile(
    r"(?<![A-Za-z])(?:tried|entered|typed|put in|used)\s+"
    r"(\d{6}(?:\s*(?:,?\s*(?:and then|and|then|or)|,)\s*\d{6}){0,3})(?!\d)"
    r"[^.\n]{0,20}?(?<![A-Za-z])(?:from|in|on)\s+(?:my\s+|the\s+)?"
    r"(?:authy|authenticator|google auth\w*|ga|2fa|sms|text)(?![A-Za-z])",
    re.IGNORECASE,
)
_SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
_CHAIN_GAP = re.compile(r"[\s,;，；/|]*(?:(?:and|&|和|以及)\s*)?(?:secret[:：]?\s*)?$", re.I)


def _clause_ok(mid: str) -> bool:
    return (
        len(mid) <= _WINDOW
        and not _BREAK.search(mid)
        and "@" not in mid
        and not _OTHER_NOUN.search(mid)
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM_LEAD:
        start += 1
    while end > start and text[end - 1] in _TRIM_TAIL:
        end -= 1
    return start, end


def _looks_strong(value: str) -> bool:
    """A password on its own: long enough and of at least two character classes."""
    value = value.rstrip("!?")  # "password requirements?" is a question, not a symbol
    if len(value) < 6 or len(value) > 64 or _EMAIL.search(value) or _CONTRACTION.fullmatch(value):
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    has_digit_or_symbol = any(not c.isalpha() for c in value)
    # "ruWktQCWu": capitals inside a word are how a generated password looks, not a name.
    inner_caps = sum(c.isupper() for c in value[1:]) >= 2 and any(c.islower() for c in value)
    strong = has_digit_or_symbol or (len(value) >= 8 and inner_caps)
    return classes >= 2 and strong and not _LINKISH.search(value)


def _looks_password(value: str) -> bool:
    """A value after "password is": anything but a word that describes the password."""
    if len(value) < 4 or len(value) > 64:
        return False
    if _LINKISH.search(value) or _EMAIL.search(value):
        return False
    if re.fullmatch(r"[a-z]+(?:-[a-z]+)+", value):  # "case-sensitive", "one-time"
        return False
    if _CONTRACTION.fullmatch(value):  # "doesn't", "it's"
        return False
    if _MASKED.search(value):  # "********", "•••": the password hidden, not given
        return False
    if _PLAIN_WORD.fullmatch(value.rstrip("!?")) and value.rstrip("!?").lower() in _STATE_WORDS:
        return False
    if _PLAIN_WORD.fullmatch(value) and value.lower().endswith(("ed", "ing")):
        return len(value) >= 6 and any(c.isupper() for c in value[1:])
    return True


_MASKED = re.compile(r"[*•●·]{3,}|^[xX]{4,}$")
# Filler after "is" that the value follows: "my password is literally just sunshine".
_FILLER = frozenset(
    {
        "literally", "just", "simply", "actually", "basically", "still", "always",
        "usually", "only", "probably", "like", "currently", "now", "honestly",
    }
)  # fmt: skip
_MENTIONS_PASSWORD = re.compile(
    r"(?<![A-Za-z])(?:password|passw0rd|pwd|log ?in|sign ?in)|密码|登录", re.IGNORECASE
)
_VERSION = re.compile(r"[vV]?\d+(?:\.\d+)+\w*")  # "v2.3.1": a version, not a password
_OPEN_QUOTES = "\"'“‘`「『"
# A PIN-style password: "资金密码 761470", "资金密码895683".
_PIN = re.compile(r"\d{6,8}")
_CONTRACTION = re.compile(r"[A-Za-z]+(?:n't|'(?:s|re|ve|ll|d|m))", re.IGNORECASE)
# "My old password was X and the new one is Y": "one" stands for the password.
_PASSWORD_REF = re.compile(
    r"(?<![A-Za-z])(?:the |my )?(?:new|old|current|previous|other|second|first|latest|real|"
    r"correct|right) one(?: is| was|:|=)|"
    r"(?:新的|旧的|现在的|之前的|原来的|新的那个|新设的|新改的|改成的|后来改的|新设置的)(?:是|为)",
    re.IGNORECASE,
)
# "login ben@qq.com / Q1w2e3r4!": a login name, a slash and a password-looking value.
_LOGIN_PAIR = re.compile(
    r"(?<![A-Za-z])(?:log ?in|sign ?in|user(?: ?name)?|account|acc|acct|e-?mail)(?![A-Za-z])"
    r"\s*(?:[:：]|is|=)?\s*[\w.+-]+(?:@[\w-]+\.[\w.]+)?\s*[/|]\s*([!-~]{6,64})|"
    r"(?:账号|帐号|用户名|邮箱)\s*[:：]?\s*[\w.+-]+(?:@[\w-]+\.[\w.]+)?\s*[/|]\s*([!-~]{6,64})",
    re.IGNORECASE,
)
# "不好意思发错了 fx_7788aa": a password pasted into the wrong chat and taken back.
# Password shapes without a password cue right before the value:
_PASSWORD_PHRASES = re.compile(
    # "I changed it to \"hodl4ever\"" (a password cue elsewhere in the message says what "it" is)
    r"(?<![A-Za-z])(?:changed|set|reset|updated|switched|改成了?|改为)\s*(?:it|mine|them)?\s*"
    r"(?:to|into)?\s*[\"“'‘「]([!-~]{4,64}?)[\"”'’」]|"
    # "try btc2moon thats what i always use", "btc2moon is what i usually use"
    r"(?<![A-Za-z])(?:try|maybe|probably)\s+([!-~]{4,64}?)[,.]?\s+(?:that'?s|thats|it'?s|its)\s+"
    r"(?:what|the one) i (?:always |usually |normally |mostly )?use(?![A-Za-z])|"
    r"(?<![!-~])([!-~]{4,64}?)\s+is (?:what|the one) i (?:always |usually |normally )?use"
    r"(?: for (?:everything|all|passwords?|log ?ins?))?(?![A-Za-z])",
    re.IGNORECASE,
)
# "its either mypassword1 or mypassword2": a value that names itself a password.
_SELF_NAMED = re.compile(
    r"(?<![!-~])(?=[!-~]*\d)[A-Za-z0-9!@#$%^&*_.-]*(?:password|passw0rd|p@ssw0rd|pass)"
    r"[A-Za-z0-9!@#$%^&*_.-]*(?![A-Za-z0-9!@#$%^&*_-])",
    re.IGNORECASE,
)
# "changed it to Qwerty!2024 yesterday": unquoted, but with three character classes it can only be
# a password.
_CHANGED_TO = re.compile(
    r"(?<![A-Za-z])(?:changed|set|reset|updated|switched)\s+(?:it|mine|them)\s+(?:to|into)\s+"
    r"([!-~]{6,64})",
    re.IGNORECASE,
)
# "可能是 qq123456 或者 Qq123456", "it should be Summer2023 or summer2023!": guesses of one value.
_GUESSES = re.compile(
    r"(?:可能是|应该是|大概是|也许是|或许是|(?<![A-Za-z])(?:should be|might be|may be|maybe|"
    r"either|probably))\s*([!-~]{6,64}?)\s*(?:或者|或是|或|还是|(?<![A-Za-z])or(?![A-Za-z]))"
    r"\s*([!-~]{6,64})",
    re.IGNORECASE,
)
_EITHER = re.compile(r"(?<![A-Za-z])(?:either|or|maybe|try|tried)\s+$", re.IGNORECASE)
_MISSENT = re.compile(
    r"发错了?|打错了|(?<![A-Za-z])(?:wrong (?:chat|window|conversation|person|tab)|"
    r"(?:sent|pasted|posted) (?:it |this |that )?by mistake)(?![A-Za-z])",
    re.IGNORECASE,
)


# Exact pre-filters (kefu/guard/tests/test_prefilter.py): a literal that every match of a pattern
# contains, compiled with the same flags, so a message without it cannot match the pattern and
# the pattern's scan is skipped. Most messages hold none of them.
# _PASSWORD_PHRASES and _CHANGED_TO ("reset" holds "set"):
_PHRASES_NEED = re.compile(r"changed|set|updated|switched|改成|改为|use", re.IGNORECASE)
_GUESSES_NEED = re.compile(r"或|还是|or", re.IGNORECASE)
_SELF_NAMED_NEED = re.compile(r"pass|p@ss", re.IGNORECASE)
_MISSENT_NEED = re.compile(r"发错|打错了|wrong|mistake", re.IGNORECASE)
_CODES_NEED = re.compile(r"\d{3}")  # _TRIED_CODES and _LOOSE_CODES: three digits or more
PREFILTER = True  # False: every pattern scans every message (the tests compare both)


def _may_match(need: re.Pattern[str], text: str) -> bool:
    return not PREFILTER or need.search(text) is not None


def _password_after(ctx: Context, pos: int, *, pin_ok: bool) -> tuple[str, int, int] | None:
    """The password introduced by a cue ending at ``pos``, if the clause gives one."""
    text = ctx.text
    limit = min(len(text), pos + _WINDOW + 64)
    filler_after_intro = False
    for token in _ASCII_TOKEN.finditer(text, pos, limit):
        start, end = _trim(text, *token.span())
        if start >= end:
            continue
        mid = text[pos:start]
        if not _clause_ok(mid):
            return None
        value = text[start:end]
        core = mid.strip()
        # An opening quote introduces a value as well as "is" does: password "coffee&milk22".
        introduced = (
            filler_after_intro
            or bool(_INTRO_END.search(mid))
            or bool(core and all(c in _OPEN_QUOTES for c in core))
        )
        if introduced:
            if value.lower() in _FILLER:
                filler_after_intro = True
                continue
            if _looks_password(value) and not _followed_by_unit(text, end, same_line=True):
                return (PASSWORD_KIND, start, end)
            return None
        if (not core or _WEAK_INTRO_END.search(mid)) and (
            _looks_strong(value)
            or (
                # "资金密码 761470", "set 资金密码 to 135790"
                pin_ok
                and _PIN.fullmatch(value)
                and not _followed_by_unit(text, end)
                and not _NOT_CODE_BEFORE.search(mid[:-3] if core.lower() == "to" else mid)
            )
        ):
            return (PASSWORD_KIND, start, end)
    return None


def _find_passwords(ctx: Context) -> list[tuple[str, int, int]]:
    text = ctx.text
    out: list[tuple[str, int, int]] = []
    cue_ends: list[int] = []
    for cue in ctx.cues:
        # "passphrase" is a seed or API cue, but what follows it is a password (OKX API, BIP-39).
        if cue.kind != PASSWORD and not (
            cue.kind in (SEED, API) and text[cue.start : cue.end].lower().endswith("passphrase")
        ):
            continue
        cue_ends.append(cue.end)
        found = _password_after(ctx, cue.end, pin_ok=True)
        if found:
            out.append(found)
        elif cue.kind != PASSWORD:
            out.extend(_bip39_passphrase(ctx, cue.end))
        out.extend(_trailing_value(ctx, cue.start, PASSWORD_KIND, _looks_strong))
    for match in _PASSWORD_REF.finditer(text) if cue_ends or not PREFILTER else ():
        if any(0 < match.start() - end <= 120 for end in cue_ends):
            found = _password_after(ctx, match.end(), pin_ok=False)
            if found:
                out.append(found)
    login_pair = not PREFILTER or "/" in text or "|" in text  # it needs "/" or "|"
    for match in _LOGIN_PAIR.finditer(text) if login_pair else ():
        group = 1 if match.group(1) is not None else 2
        start, end = _trim(text, *match.span(group))
        if start < end and _looks_strong(text[start:end]):
            out.append((PASSWORD_KIND, start, end))
    has_cue = bool(cue_ends) or bool(_MENTIONS_PASSWORD.search(text))
    phrases = _may_match(_PHRASES_NEED, text)
    for match in _PASSWORD_PHRASES.finditer(text) if phrases else ():
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        start, end = _trim(text, *match.span(group))
        value = text[start:end]
        strong = _looks_strong(value) or (
            any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
        )
        if (
            start < end
            and strong
            and (has_cue or group != 1)
            and not _VERSION.fullmatch(value)
            and _looks_password(value)
        ):
            out.append((PASSWORD_KIND, start, end))
    for match in _CHANGED_TO.finditer(text) if phrases else ():
        start, end = _trim(text, *match.span(1))
        value = text[start:end]
        classes = sum(
            (
                any(c.islower() for c in value),
                any(c.isupper() for c in value),
                any(c.isdigit() for c in value),
                any(not c.isalnum() for c in value),
            )
        )
        if (
            start < end
            and (classes >= 3 or has_cue)
            and _looks_strong(value)
            and not _VERSION.fullmatch(value)
        ):
            out.append((PASSWORD_KIND, start, end))
    for match in _GUESSES.finditer(text) if _may_match(_GUESSES_NEED, text) else ():
        spans = [_trim(text, *match.span(g)) for g in (1, 2)]
        values = [text[a:b] for a, b in spans]
        same = len({re.sub(r"\W", "", v).lower() for v in values}) == 1
        if all(
            any(c.isdigit() for c in v) and any(c.isalpha() for c in v) and _looks_password(v)
            for v in values
        ) and (has_cue or same):
            out.extend((PASSWORD_KIND, a, b) for a, b in spans if a < b)
    for match in _SELF_NAMED.finditer(text) if _may_match(_SELF_NAMED_NEED, text) else ():
        start, end = _trim(text, *match.span())
        value = text[start:end]
        near = text[max(0, start - 12) : start]
        if 6 <= len(value) <= 40 and not _LINKISH.search(value) and _EITHER.search(near):
            out.append((PASSWORD_KIND, start, end))
    for match in _MISSENT.finditer(text) if _may_match(_MISSENT_NEED, text) else ():
        found = _password_after(ctx, match.end(), pin_ok=False)
        # Lower-case letters and digits, not too long: a password, not "ERC20" or an address.
        value = text[found[1] : found[2]] if found else ""
        if (
            found
            and len(value) <= 24
            and any(c.islower() for c in value)
            and not value.lower().startswith("0x")
        ):
            out.append(found)
    return out


# "sparrow passphrase ledgerlive zprv…": a BIP-39 passphrase given next to the wallet's key.
_PASSPHRASE_VALUE = re.compile(r"\s*[:：=]?\s*([!-~]{4,64})(?=\s)")
_WALLET_KEY_NEAR = re.compile(r"[xyzt]prv|[xyzt]pub|seed|mnemonic|助记词|私钥|private key", re.I)
_NOT_PASSPHRASE = frozenset(
    {
        "feature", "option", "protected", "wallet", "setting", "settings", "field",
        "prompt", "screen", "box", "word", "words", "support", "enabled", "disabled",
        "on", "off",
    }
)  # fmt: skip


def _bip39_passphrase(ctx: Context, pos: int) -> list[tuple[str, int, int]]:
    match = _PASSPHRASE_VALUE.match(ctx.text, pos)
    if not match or not _WALLET_KEY_NEAR.search(ctx.text, match.end(), match.end() + 24):
        return []
    start, end = _trim(ctx.text, *match.span(1))
    value = ctx.text[start:end]
    if value.lower() in _NOT_PASSPHRASE or not _looks_password(value):
        return []
    return [(PASSWORD_KIND, start, end)]


def _followed_by_unit(text: str, end: int, *, same_line: bool = False) -> bool:
    if same_line and text[end : end + 1] in ("\n", "\r"):
        return False  # "pass: X\nuser: …": the next line is not the value's unit
    return bool(_NOT_CODE_AFTER.match(text, end))


def _trailing_value(
    ctx: Context, cue_start: int, kind: str, accept: Callable[[str], bool]
) -> list[tuple[str, int, int]]:
    """A value written before its cue: "Abc12345 is my password", "482913 是验证码"."""
    text = ctx.text
    offset = max(0, cue_start - 100)
    candidates = list(_HEAD_TOKEN.finditer(text, offset, cue_start))
    for match in reversed(candidates[-5:]):
        start, end = _trim(text, *match.span())
        if start >= end:
            continue
        tail = TRAILING.match(text, end)
        if tail is None or tail.end() != cue_start:
            continue
        if not _TRAILING_VERB.search(text, end, cue_start):
            continue  # a filler word ("the") before the cue, not the value
        if accept(text[start:end]):
            return [(kind, start, end)]
    return []


def _otp_cue_ok(ctx: Context, kind: str, end: int, otp_message: bool) -> bool:
    if kind in (OTP, PASSWORD):
        return True
    if kind != OTP_WEAK:
        return False
    # A bare "code: 905531" is the code a customer was just asked for; "code" elsewhere needs
    # a message about signing in or verifying.
    return otp_message or bool(_BARE_CODE.match(ctx.text, end))


def _is_code(text: str, start: int, end: int) -> bool:
    return not (
        _followed_by_unit(text, end) or _NOT_CODE_BEFORE.search(text, max(0, start - 16), start)
    )


def _find_otp_codes(ctx: Context) -> list[tuple[str, int, int]]:
    text = ctx.text
    out: list[tuple[str, int, int]] = []
    otp_message: bool | None = None  # read once, when a cue first needs it
    for cue in ctx.cues:
        if cue.kind == OTP_WEAK and otp_message is None:
            otp_message = bool(_OTP_MESSAGE.search(text))
        if cue.kind in (OTP, OTP_WEAK) and _otp_cue_ok(ctx, cue.kind, cue.end, bool(otp_message)):
            limit = min(len(text), cue.end + _WINDOW)
            for match in _DIGIT_CODE.finditer(text, cue.end, limit):
                start, end = match.span()
                mid = _SOURCE.sub(" ", text[cue.end : start])
                if not _clause_ok(mid):
                    break
                digits = sum(c.isdigit() for c in match.group())
                if digits < 6 and text[cue.start : cue.end] == "GA":
                    break  # "Atlanta, GA 30301" is an address
                introduced = bool(_INTRO_END.search(mid))
                close = not re.search(r"[A-Za-z\u4e00-\u9fff]", mid)
                if _is_code(text, start, end) and (digits >= 6 or introduced or close):
                    out.append((OTP_KIND, start, end))
                    continue  # "codes: 123456 654321"
                break
            out.extend(
                _trailing_value(
                    ctx,
                    cue.start,
                    OTP_KIND,
                    lambda v: bool(re.fullmatch(r"\d{3}[ -]\d{3}|\d{4,8}", v)),
                )
            )
        elif cue.kind == OTP_SECRET:
            setup_key = _BASE32.search(text, cue.end, min(len(text), cue.end + _WINDOW + 80))
            if setup_key and _clause_ok(text[cue.end : setup_key.start()]):
                value = setup_key.group().replace(" ", "").replace("-", "")
                if len(value) >= 16 and any(c.isdigit() for c in value):
                    out.append((OTP_KIND, *setup_key.span()))
    has_code_cue = ctx.has(OTP, OTP_WEAK)
    if not _may_match(_CODES_NEED, text):
        return out
    for match in _TRIED_CODES.finditer(text):
        for code in _SIX_DIGITS.finditer(text, *match.span(1)):
            out.append((OTP_KIND, *code.span()))
    for pattern, needs_cue in _LOOSE_CODES:
        if needs_cue and not has_code_cue:
            continue
        for match in pattern.finditer(text):
            group = 1 if match.group(1) is not None else match.lastindex or 1
            start, end = match.span(group)
            if _is_code(text, start, end):
                out.append((OTP_KIND, start, end))
    return out


def _looks_api_secret(value: str, cue_text: str) -> bool:
    minimum = 8 if re.search(r"pass", cue_text, re.IGNORECASE) else 16
    if len(value) < minimum:
        return False
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    # Words joined by dashes are a name, not a secret ("signature-v2-error", "grid-bot-2024").
    return not _WORDY.fullmatch(value.lower())


# An API *key* is an identifier, not a secret (the set's convention): its value counts only when
# the message also names a secret that it does not withhold ("API key (NOT the secret): …",
# "apiKey 是 … secret 我就不发了").
_KEY_ONLY_CUE = re.compile(r"key|access|token|credential", re.IGNORECASE)
_SECRET_CUE = re.compile(r"secret|passphrase|密钥|秘钥|私钥", re.IGNORECASE)
_WITHHELD_BEFORE = re.compile(
    r"(?:不是|并非|(?<![A-Za-z])(?:not|no|without|isn'?t|minus|except))\s*(?:the|my|a|你们|我的|的)?\s*$",
    re.IGNORECASE,
)
_WITHHELD_AFTER = re.compile(
    r"[\s)）]*(?:我?就?(?:先)?不(?:发|给|贴|提供)|没(?:有)?(?:发|给|贴)|"
    r"(?:is |are )?(?:hidden|redacted|"
    r"removed|withheld|omitted)|i(?:'ll| will)? (?:won'?t|not|don'?t) (?:send|share|post|paste)|"
    r"(?:not|won'?t) (?:send|share|post|paste|included))",
    re.IGNORECASE,
)
# A cue for public or signed data between an API cue and a value names the value:
# "X-MBX-APIKEY header is set, signature <hex>".
_API_INTERRUPT = frozenset({TX, PUBLIC})
# "SECRET_KEY = '…'" in a script: a secret key assigned in code.
_ASSIGNED = re.compile(r"\s*[:=]\s*[\"']")


def _names_a_secret(ctx: Context) -> bool:
    text = ctx.text
    for cue in ctx.cues:
        if cue.kind not in (API, SECRET_KEY) or not _SECRET_CUE.search(text, cue.start, cue.end):
            continue
        if not _withheld(text, cue.start, cue.end):
            return True
    return False


def _withheld(text: str, start: int, end: int) -> bool:
    return bool(
        _WITHHELD_BEFORE.search(text[max(0, start - 16) : start])
        or _WITHHELD_AFTER.match(text, end)
    )


def _find_api_secrets(ctx: Context) -> list[tuple[str, int, int]]:
    text = ctx.text
    out: list[tuple[str, int, int]] = []
    names_secret: bool | None = None
    for cue in ctx.cues:
        if cue.kind == SECRET_KEY and not ctx.mentions_api and not _ASSIGNED.match(text, cue.end):
            continue
        if cue.kind not in (API, SECRET_KEY):
            continue
        cue_text = text[cue.start : cue.end]
        if _withheld(text, cue.start, cue.end):
            continue
        if _KEY_ONLY_CUE.search(cue_text) and not _SECRET_CUE.search(cue_text):
            if names_secret is None:
                names_secret = _names_a_secret(ctx)
            if not names_secret:
                continue
        last_end = -1
        for match in _API_TOKEN.finditer(text, cue.end, min(len(text), cue.end + _WINDOW + 400)):
            start, end = _trim(text, *match.span())
            if start >= end:
                continue
            value = text[start:end]
            if last_end >= 0:
                # Values listed after the first: "key and secret: AAA BBB".
                if not _CHAIN_GAP.search(text[last_end:start]) or not _looks_api_secret(
                    value, cue_text
                ):
                    break
                out.append((API_SECRET_KIND, start, end))
                last_end = end
                continue
            mid = text[cue.end : start]
            if len(mid) > _WINDOW or _BREAK.search(mid.rstrip(".")) or "@" in mid:
                break
            if ctx.after(cue.end, _API_INTERRUPT, len(mid)) is not None:
                break
            if _looks_api_secret(value, cue_text):
                out.append((API_SECRET_KIND, start, end))
                last_end = end
        out.extend(
            _trailing_value(ctx, cue.start, API_SECRET_KIND, lambda v: _looks_api_secret(v, ""))
        )
    return out


def find_credentials(ctx: Context) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every password, one-time code and API secret in the message."""
    return _find_passwords(ctx) + _find_otp_codes(ctx) + _find_api_secrets(ctx)
