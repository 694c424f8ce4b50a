"""Context cues: the words around a value that say what it is.

A 64-hex string is a transaction id after "txid" and a private key after "private key"; a
six-digit number is a 2FA code after "验证码" and an amount after "I sent". Every detector asks
the same question — which cue is nearest, and of what kind — so the cues of a message are found
once, in one pass, and handed to each detector.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

# Cue kinds.
TX = "tx"  # names a transaction: the value is public
TX_WEAK = "tx_weak"  # the message is about a deposit or withdrawal
KEY = "key"  # names a private key
API = "api"  # names an exchange API credential
SECRET_KEY = "secret_key"  # noqa: S105 - a cue kind, not a secret  # "secret key" / "密钥": an API secret if the message is about the API
SEED = "seed"  # names a seed phrase
PASSWORD = "password"  # noqa: S105 - a cue kind, not a secret
OTP = "otp"
OTP_WEAK = "otp_weak"  # a bare "code": an OTP only in an OTP-ish message
OTP_SECRET = "otp_secret"  # noqa: S105 - a cue kind, not a secret  # the base32 setup key of an authenticator
PUBLIC = "public"  # names public data (address, public key, xpub): never a secret
KEY_WEAK = "key_weak"  # a bare "key": names the value right after it, nothing further away

_EN = r"(?<![A-Za-z])"
_EN_END = r"(?![A-Za-z])"

# Order matters inside one alternation only where one phrase is a prefix of another; each kind
# is its own named group so one regex pass labels every cue.
_CUES: dict[str, str] = {
    PUBLIC: (
        _EN + r"(?:(?:deposit|receiving|wallet|withdrawal|destination|contract|public)[ _-]?"
        r"address(?:es)?|address(?:es)?|addr|public[ _-]?key|pub[ _-]?key|pubkey|xpub|"
        r"memo|destination tag|tag|sha-?256(?:sum)?|sha-?1|sha-?512|md5(?:sum)?|check-?sums?|"
        r"digest|fingerprint|hmac(?:[ _-]?sha-?\d+)?(?:[ _-]?(?:output|result|digest))?|"
        r"ciphertext|cipher[ _-]?text)"
        + _EN_END
        # An encrypted keystore's fields name encrypted or public data: "mac":"…", "salt":"…".
        + r"|\"(?:ciphertext|mac|iv|salt|nonce|signature|sig)\"\s*:"
        + r"|地址|公钥|充值地址|提币地址|标签|备注|校验和|校验值|哈希校验|摘要|签名"
    ),
    TX: (
        _EN + r"(?:tx[ _-]?ids?|txn[ _-]?(?:ids?|hash)?|tx[ _-]?hash(?:es)?|tx|trx[ _-]?id|"
        r"transaction(?:[ _-]?(?:id|hash|number|no\.?|record|ref(?:erence)?))?|hash(?:es)?|"
        r"block[ _-]?hash|signature|sig|explorer|etherscan|bscscan|tronscan|solscan|"
        r"polygonscan|arbiscan|snowtrace|blockchair|mempool|blockstream|blockchain\.com|"
        r"oklink|btc\.com|tonscan|tonviewer|xrpscan|confirmations?)" + _EN_END + r"|"
        r"/tx/|/txs/|/transaction/|/transactions/|"
        r"交易哈希|哈希值?|交易[iI][dD]|交易号|交易单号|交易编号|交易记录|交易[hH]ash|"
        r"[hH]ash值|区块浏览器|浏览器|链上记录|链上|转账记录|提币记录|充值记录"
    ),
    TX_WEAK: (
        _EN + r"(?:deposit(?:s|ed|ing)?|withdraw(?:al|als|n|ing|s)?|transfer(?:s|red|ring)?|"
        r"sent|send|sending|received?|arrived?|arriving|credited|pending|stuck|"
        r"network|chain|on-chain|onchain|block|payment|refund|swap(?:ped)?|bridge)" + _EN_END + r"|"
        r"充值|提现|提币|到账|转账|转出|转入|区块|确认数|打币|汇款|兑换|跨链"
    ),
    SEED: (
        _EN + r"(?:seed(?:[ _-]?(?:phrase|words?|key))?|mnemonics?|"
        r"(?:secret[ _-]?)?recovery[ _-]?(?:phrase|words?|seed|key|sentence)|"
        r"backup[ _-]?(?:phrase|words?|seed)|secret[ _-]?(?:phrase|words)|passphrase|"
        r"(?:12|15|18|21|24|twelve|twenty[ -]?four)[ -]?words?(?:[ _-]?(?:phrase|list))?|"
        r"wallet[ _-]?words|metamask|trust ?wallet|phantom|ledger|trezor|exodus|"
        r"imtoken|token ?pocket|bitkeep|safepal|coinbase wallet|okx wallet)" + _EN_END + r"|"
        r"助记词|助记|種子|种子词?|恢复短语|恢复词|备份短语|备份词|密语|"
        r"(?:12|15|18|21|24|十二|二十四)个(?:单)?词|钱包"
    ),
    OTP_SECRET: (
        _EN + r"(?:2fa|authenticator|google auth|mfa|otp)[ _-]?(?:secret|seed|setup key|key|"
        r"backup key|recovery key)" + _EN_END + r"|"
        r"(?:谷歌验证器?|身份验证器|2[fF][aA])(?:的)?(?:密钥|秘钥|恢复密钥|备份密钥)|恢复密钥|备份密钥"
    ),
    SECRET_KEY: _EN + r"(?:secret[ _-]?keys?|secretkey)" + _EN_END + r"|密钥|秘钥",
    API: (
        _EN + r"(?:api[ _-]?(?:keys?|secrets?|secret[ _-]?keys?|credentials?|tokens?|passphrase)|"
        r"apikey|api_?secret|access[ _-]?keys?(?:[ _-]?id)?|secret[ _-]?access[ _-]?key|"
        r"hmac[ _-]?(?:key|secret)|client[ _-]?secret|app[ _-]?secret|"
        r"secret)" + _EN_END + r"|"
        r"[aA][pP][iI]\s*(?:密钥|秘钥|私钥|[kK]ey|[sS]ecret)|[aA][pP][iI]的?密钥"
    ),
    KEY: (
        _EN + r"(?:private[ _-]?keys?|priv[ _-]?keys?|privkey|prv[ _-]?key|wallet[ _-]?keys?|"
        r"raw[ _-]?keys?|signing[ _-]?key|key[ _-]?file|keystore|wif|"
        r"export(?:ed|ing)?\s+(?:my\s+|the\s+)?(?:private\s+)?key|"
        r"import(?:ed|ing)?\s+(?:my\s+|the\s+)?(?:private\s+)?key|pk|my key|the key|"
        r"(?:ed25519|secp256k1)[ _-]?(?:secret|key)?|solana[ _-]?key|sol[ _-]?key|"
        r"id\.json|keypair(?:\.json)?|"
        # `privateKeyToAccount('0x…')`, "private <64 hex>" on a line of its own
        r"(?:from)?private[ _-]?key(?:to\w*|from\w*)?|"
        r"private(?=[ \t]*[:=]?[ \t]*(?:0x)?[0-9a-f]{64}(?![0-9a-f])))" + _EN_END + r"|"
        r"私钥|私匙|私鈅|钱包私钥|导出的?私钥|导入私钥|私人密钥"
    ),
    PASSWORD: (
        _EN + r"(?:passwords?|passwd|pass[ _-]?code|pass[ _-]?word|pwd|pw|pin(?:[ _-]?code)?|"
        r"login[ _-]?pass|pass|p[a@4]ssw[o0]rd|pword)" + _EN_END + r"(?![0-9_@$!#])|"
        r"密码|口令|[pP][iI][nN]码|登[录陆]密码|资金密码|交易密码|支付密码|提现密码|安全密码"
    ),
    OTP: (
        _EN + r"(?:2fa|2-fa|two[ -]?factor|2[ -]?step|mfa|otp|totp|one[ -]?time[ -]?(?:pass)?code|"
        r"one[ -]?time[ -]?password|verification[ -]?codes?|verify[ -]?codes?|security[ -]?codes?|"
        r"sms(?:[ -]?codes?)?|text[ -]?codes?|e-?mail[ -]?codes?|authenticator|"
        r"authentication[ -]?codes?|google[ -]?auth\w*|ga[ -]?codes?|auth[ -]?codes?|"
        r"login[ -]?codes?|confirmation[ -]?codes?|"
        r"backup[ -]?codes?|recovery[ -]?codes?|6[ -]?digits?(?:[ -]?codes?)?)" + _EN_END + r"|"
        r"验证码|驗證碼|动态码|动态口令|动态密码|一次性密码|授权码|校验码|谷歌验证码?|谷歌码|"
        r"短信码|安全码|确认码|身份验证器|[gG][aA]码|2[fF][aA]码?|邮箱码|备用码|恢复码|"
        # "reset code 588564", "GA 976 095" (upper case only: "ga" is a word in other languages)
        + _EN
        + r"(?:reset|unlock|approval|sign[ -]?in|withdrawal[ -]verification)[ -]?codes?"
        + _EN_END
        + r"|(?<![A-Za-z])(?-i:GA)(?![A-Za-z])"
    ),
    OTP_WEAK: _EN + r"codes?" + _EN_END,
    KEY_WEAK: _EN + r"keys?" + _EN_END,
}

_CUE_RE = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _CUES.items()), re.IGNORECASE
)


# --- where a cue can start -----------------------------------------------------------------------
# ``_CUE_RE.finditer`` tries the whole alternation (a few hundred phrases) at every character of
# the message. A cue can only start at a character that one of its phrases starts with, and most
# phrases also only after a non-letter (``_EN``). ``_starts`` reads those first characters off
# the parsed pattern (a superset: lookaheads are ignored, a repeat that may be empty adds what
# follows), and ``_cue_matches`` tries the full pattern only where one of them stands, which
# finds exactly the matches ``finditer`` does (it tries every position; no cue is empty, so no
# position it skips can start one). kefu/guard/tests/test_prefilter.py compares the two.


class _Unbounded(Exception):
    """A part of the pattern can start with (almost) any character: no pre-filter."""


_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_ASCII_LETTERS = sorted([(sre.RANGE, (ord("A"), ord("Z"))), (sre.RANGE, (ord("a"), ord("z")))])


def _after_non_letter(assertion: Any) -> bool:
    """Whether a lookbehind is ``(?<![A-Za-z])``."""
    direction, sub = assertion
    return (
        direction == -1
        and len(sub.data) == 1
        and sub.data[0][0] is sre.IN
        and sorted(sub.data[0][1]) == _ASCII_LETTERS
    )


def _class_parts(items: Any) -> list[str]:
    parts: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is sre.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is sre.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:  # a negated class, a locale category
            raise _Unbounded
    return parts


def _first_of_sequence(items: Any, guarded: bool, out: list[tuple[bool, str]]) -> bool:
    """Add (after a non-letter only?, class part) for the characters ``items`` can start with;
    return whether ``items`` can match the empty string."""
    consumed = False
    for op, av in items:
        if op is sre.ASSERT or op is sre.ASSERT_NOT:
            if op is sre.ASSERT_NOT and not consumed and _after_non_letter(av):
                guarded = True
            continue  # zero-width: ignoring it only adds candidates
        if op is sre.AT:
            continue
        if not _first_of_item(op, av, guarded, out):
            return False
        consumed = True
    return True


def _first_of_item(op: Any, av: Any, guarded: bool, out: list[tuple[bool, str]]) -> bool:
    if op is sre.LITERAL:
        out.append((guarded, re.escape(chr(av))))
        return False
    if op is sre.IN:
        out.extend((guarded, part) for part in _class_parts(av))
        return False
    if op is sre.SUBPATTERN:
        return _first_of_sequence(av[-1], guarded, out)
    if op is sre.ATOMIC_GROUP:
        return _first_of_sequence(av, guarded, out)
    if op is sre.BRANCH:
        empty = False
        for alternative in av[1]:
            empty = _first_of_sequence(alternative, guarded, out) or empty
        return empty
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _first_of_sequence(sub, guarded, out) or low == 0
    raise _Unbounded  # any character, a negated literal, a back-reference


def _starts(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A pattern that matches (at least) wherever ``pattern`` can start a match, or None."""
    try:
        out: list[tuple[bool, str]] = []
        if _first_of_sequence(sre_parser.parse(pattern.pattern, pattern.flags), False, out):
            return None  # it can match the empty string anywhere
    except Exception:  # an unknown construct or another Python's parser: no pre-filter
        return None
    after_non_letter = "".join(dict.fromkeys(part for guarded, part in out if guarded))
    anywhere = "".join(dict.fromkeys(part for guarded, part in out if not guarded))
    alternatives = []
    if after_non_letter:
        alternatives.append(f"(?<![A-Za-z])[{after_non_letter}]")
    if anywhere:
        alternatives.append(f"[{anywhere}]")
    return re.compile("|".join(alternatives), pattern.flags) if alternatives else None


_CUE_START = _starts(_CUE_RE)


def _cue_matches(text: str) -> Iterator[re.Match[str]]:
    """``_CUE_RE.finditer(text)``, trying the pattern only where a cue can start."""
    if _CUE_START is None:
        yield from _CUE_RE.finditer(text)
        return
    match_at = _CUE_RE.match
    pos = 0
    for start in _CUE_START.finditer(text):
        at = start.start()
        if at < pos:
            continue
        match = match_at(text, at)
        if match is not None:
            yield match
            pos = match.end()


# "error code 1003" and "邀请码" are codes, but not secrets: a bare "code" after one of these
# words is not an OTP cue.
# "报错 '…(code 302018)'", "code 602017 in the error box", {"code": 10001}: an error's code.
_ERROR_NEAR = re.compile(
    r"(?<![A-Za-z])(?:errors?|exception|errno|http|status|response|failed with|rejected with)"
    r"(?![A-Za-z])|报错|错误码|错误代码|错误提示|提示错误|异常",
    re.IGNORECASE,
)
_ERROR_CODE_SHAPE = re.compile(r"[\"'][ ]*$|\(\s*$")
_NOT_OTP_BEFORE = re.compile(
    r"(?:error|status|response|promo(?:tion)?|referral|invite|invitation|zip|postal|post|"
    r"country|area|discount|coupon|bonus|voucher|reference|ref|tracking|swift|bank|currency|"
    r"qr|source|anti[ -]?phishing|reward|redeem|gift|activation|fee|tax|product|"
    r"withdrawal|order|campaign|event|partner|affiliate|branch|sort|routing|iban|bic)"
    r"[ _-]?$",
    re.IGNORECASE,
)

# "<value> is my private key", "<value> (txid)", "<value> 是我的私钥": a cue right after the value.
TRAILING = re.compile(
    r"[\s\"'`)\]>）」】,，]*(?:[-—:=：(\[（【]\s*)?"
    r"(?:(?:is|was|=|are|as|that'?s|that is|it'?s|it is|this is|是|为|这是|就是)\s*)?"
    r"(?:(?:my|the|our|your|a|an|this|its|我的|的|我)\s*)?"
    r"(?:(?:wallet'?s?|account'?s?|old|new|metamask|钱包|账户)\s*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Cue:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Context:
    """The cues of one message, in order of position."""

    text: str
    cues: tuple[Cue, ...]

    @cached_property
    def kinds(self) -> frozenset[str]:
        return frozenset(c.kind for c in self.cues)

    @cached_property
    def mentions_api(self) -> bool:
        return API in self.kinds or bool(_API_WORD.search(self.text))

    def has(self, *kinds: str) -> bool:
        return any(k in self.kinds for k in kinds)

    def before(self, pos: int, kinds: frozenset[str], window: int) -> Cue | None:
        """The nearest cue of one of ``kinds`` ending at most ``window`` chars before ``pos``."""
        best: Cue | None = None
        for cue in self.cues:
            if cue.start >= pos:
                break
            if cue.kind in kinds and cue.end <= pos and pos - cue.end <= window:
                best = cue
        return best

    def after(self, pos: int, kinds: frozenset[str], window: int) -> Cue | None:
        """The nearest cue of one of ``kinds`` starting at most ``window`` chars after ``pos``."""
        for cue in self.cues:
            if cue.start < pos:
                continue
            if cue.start - pos > window:
                return None
            if cue.kind in kinds:
                return cue
        return None

    def near(self, start: int, end: int, kinds: frozenset[str], window: int) -> bool:
        return any(
            c.kind in kinds and (start - window <= c.end and c.start <= end + window)
            for c in self.cues
        )


_API_WORD = re.compile(
    r"(?<![A-Za-z])(?:api|apikey|hmac|binance|okx|okex|bybit|kraken|huobi|htx|kucoin|gate\.io|"
    r"bitget|mexc|coinbase pro|bitfinex|bitmex|deribit|ccxt|trading bot|bot|3commas|"
    r"pionex|quant)(?![A-Za-z])|量化|机器人|接口",
    re.IGNORECASE,
)


# "不是私钥", "not the private key", "isn't a txid": a negated cue says what the value is not.
_NEGATED = re.compile(
    r"(?:不是|并非|而非|(?<![A-Za-z])(?:not|isn'?t|wasn'?t|is not|was not))\s*"
    r"(?:(?:a|an|my|the|your|我的|的|一个)\s*)?$",
    re.IGNORECASE,
)
_NEGATABLE = frozenset({TX, PUBLIC, KEY, KEY_WEAK, SECRET_KEY})
# "I already sent them this: <value>": "sent" to a person is not a transfer of coins.
_SENT_TO_PERSON = re.compile(
    r"\s+(?:them|him|her|you|u|you guys|the scammer|that guy|someone)\s+"
    r"(?:this|these|that|it|the following|everything)(?![A-Za-z])",
    re.IGNORECASE,
)


def _error_near(error_at: list[int] | None, start: int, end: int) -> bool:
    """An error word within 80 characters of a bare "code" at [start, end)."""
    if not error_at:
        return False
    i = bisect_left(error_at, start - 80)
    return i < len(error_at) and error_at[i] <= end + 80


def find_cues(text: str) -> Context:
    """Label every cue word in ``text``."""
    cues: list[Cue] = []
    error_at: list[int] | None = None
    for match in _cue_matches(text):
        if match.lastgroup == OTP_WEAK and error_at is None:
            error_at = [m.start() for m in _ERROR_NEAR.finditer(text)]  # once per message
        kind = match.lastgroup
        assert kind is not None
        if kind == OTP_WEAK and (
            _NOT_OTP_BEFORE.search(text, max(0, match.start() - 24), match.start())
            or _ERROR_CODE_SHAPE.search(text, max(0, match.start() - 4), match.start())
            or _error_near(error_at, match.start(), match.end())
        ):
            continue
        if kind in _NEGATABLE and _NEGATED.search(text, max(0, match.start() - 16), match.start()):
            continue
        if kind == TX_WEAK and _SENT_TO_PERSON.match(text, match.end()):
            continue
        cues.append(Cue(kind, match.start(), match.end()))
    return Context(text, tuple(cues))
