"""``check_outbound(text)``: does a staff or assistant message ask the customer for a secret?

No exchange ever needs a customer's password, 2FA code, private key or seed phrase, and asking for
one is the signature of an impersonation scam or a compromised agent account. A message is blocked
when one of its sentences pairs a request ("please send", "tell me", "what is your", "请提供",
"发给我", "是多少") with a secret ("password", "2FA code", "助记词", ...).

The safe opposite is common in real support replies and must pass: warnings ("we will never ask
for your password", "请勿向任何人提供验证码"), instructions to use the secret somewhere else
("enter the code on the withdrawal page", "请在页面输入验证码") and links ("reset your password
here"). A sentence holding a negation or a warning word is never blocked; a request only counts
when it is addressed to the agent (send / tell / provide / reply ...), not to the app (enter,
reset, change, enable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EN = r"(?<![A-Za-z])"
_EN_END = r"(?![A-Za-z])"

_NOUNS: dict[str, str] = {
    "seed_phrase": (
        _EN + r"(?:seed(?:[ -]?(?:phrase|words?))?|mnemonic(?:[ -]?phrase)?|"
        r"(?:secret[ -]?)?recovery[ -]?(?:phrase|words|seed)|backup[ -]?(?:phrase|words)|"
        r"(?:12|24|twelve|twenty[ -]four)[ -]words?(?:[ -]phrase)?|wallet[ -]words)"
        + _EN_END
        + r"|助记词|助记|恢复短语|种子词|备份短语|(?:12|24|十二|二十四)个(?:单)?词"
    ),
    "private_key": (
        _EN + r"(?:private[ -]?keys?|priv[ -]?key|secret[ -]?keys?|keystore(?: file)?|"
        r"wallet[ -]?key)" + _EN_END + r"|私钥|密钥|秘钥|钱包密钥"
    ),
    "otp_code": (
        _EN + r"(?:(?:2fa|2-fa|two[ -]factor|mfa|google authenticator|authenticator|"
        r"verification|verify|security|sms|text|email|otp|one[ -]time|login|confirmation|"
        r"6[ -]digit|six[ -]digit|ga)[ -]?(?:pass)?codes?|otp|totp|one[ -]time[ -]password|"
        r"code (?:you (?:just )?(?:got|received)|we (?:just )?sent|sent to (?:your|you)))"
        + _EN_END
        + r"|验证码|动态码|谷歌码|谷歌验证码|短信码|安全码|校验码|2[fF][aA]码|"
        r"[gG][aA]码|6位数?码|六位数?码"
    ),
    "password": (
        _EN + r"(?:(?:login|account|fund(?:s|ing)?|trading|withdrawal|email)[ -]?)?"
        r"(?:passwords?|passcode|passwd|pin(?:[ -]?code)?)"
        + _EN_END
        + r"|登录密码|资金密码|交易密码|支付密码|提现密码|密码|[pP][iI][nN]码"
    ),
}
_NOUN_RE = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _NOUNS.items()), re.IGNORECASE
)

_ASK_BEFORE = re.compile(
    _EN + r"(?:(?:reply|respond|answer|come back)(?: here| back| to (?:me|us))? with|"
    r"send|give|provide|share|tell|forward|paste|type|write|post|dm|pm|reply|"
    r"respond|read|spell|confirm|submit|what(?:'s| is| are| was)?|which|"
    r"(?:i|we)(?:'ll| will| would| do| still| just)? (?:need|require|want|must have)|"
    r"can (?:i|we) (?:get|have|see)|may (?:i|we) (?:have|get|know|see)|"
    r"let (?:me|us) (?:know|have|see)|enter (?:it |them )?(?:here|below|in (?:this|the) chat))"
    + _EN_END
    + r"|提供|发送|发给|发来|发过来|发一下|发我|告诉|告知|报一下|报给|说一下|说出|回复|私信|"
    r"给我|给我们|贴出|贴一下|贴上来|截图|拍照|念一下|填写在这里|输入到(?:这里|聊天)|需要您的|需要你的",
    re.IGNORECASE,
)
# Between the request and the secret: the secret is used somewhere else, not sent to us.
_ELSEWHERE = re.compile(
    _EN + r"(?:with|using|via|enter|input|use|reset|change[ds]?|update[ds]?|enabled?|disabled?|"
    r"set|bind|link(?:ed)?|"
    r"on the|in the app|app|page|website|screen|form|field|box)"
    + _EN_END
    + r"|输入|使用|用|重置|修改|开启|关闭|绑定|页面|网页|[aA][pP][pP]|界面|输入框",
    re.IGNORECASE,
)
_ASK_AFTER = re.compile(
    r"^(?:\s*,?\s*please|\s*，?\s*谢谢|\s*(?:is|are)\s*\?|\s*(?:是多少|是什么|是啥|多少)\s*(?:[？?。]|$)|"
    r"[^，,。.!?！？]{0,10}?(?:发给我|发我|发一下|发过来|告诉我|给我|报一下|说一下|发送给我)|"
    r"\s*(?:here\b|in (?:this|the) chat|to (?:me|us)\b))",
    re.IGNORECASE,
)
# (Patterns used with .match(text, pos) carry no ^: it would not match at pos.)
# A noun that follows the secret's name makes it a setting, not the secret: "2FA method",
# "password reset", "密码规则".
_QUALIFIED = re.compile(
    r"[ -]?(?:method|settings?|page|reset|change|status|setup|set-up|device|app|requirements?|"
    r"policy|rules?|field|manager|strength|link|e-?mail|options?|recovery|length|feature|"
    r"screen|form|history|expir\w*|attempts?|issue|problem)(?![A-Za-z])|"
    r"(?:的?(?:规则|要求|长度|强度|设置|修改|重置|页面|功能|问题)|是什么时候|什么时候)",
    re.IGNORECASE,
)

_SAFE = re.compile(
    _EN + r"(?:never|not|no|don't|dont|do not|doesn't|won't|wont|shouldn't|nobody|no one|"
    r"anyone|anybody|someone|avoid|beware|scam\w*|phishing|fraud\w*|impersonat\w*|"
    r"warn\w*|only you|yourself|reset|forgot|forgotten|didn't|isn't|if)"
    + _EN_END
    + r"|n't|请勿|不要|切勿|绝不|绝对不|不会|永远不|千万别|别|任何人|谨防|小心|诈骗|骗子|官方不会|"
    r"不得|不能|勿|保管|保密|重置|忘记|收不到|没收到|未收到|如果|自己",
    re.IGNORECASE,
)
_SAFE_AFTER = re.compile(
    r"[^,，;；]{0,30}?(?:(?:should|must|will|is|are)\s+(?:never|not)|never|"
    r"(?:is|are)\s+(?:for|only)|不要|不会|不应|请勿|切勿|只有您|仅限)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
_ASK_WINDOW = 48


@dataclass(frozen=True, slots=True)
class OutboundFinding:
    kind: str
    start: int
    end: int


def _asks(before: str) -> bool:
    """Whether the text before a secret holds a request, with nothing that sends it elsewhere."""
    matches = list(_ASK_BEFORE.finditer(before))
    return bool(matches) and not _ELSEWHERE.search(before, matches[-1].end())


def check_outbound(text: str) -> OutboundFinding | None:
    """The first request for a secret in a staff message, or None when it asks for none."""
    if not isinstance(text, str) or not text:
        return None
    text = text[:20_000]
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group()
        for noun in _NOUN_RE.finditer(body):
            kind = noun.lastgroup
            assert kind is not None
            if _SAFE.search(body, 0, noun.start()) or _SAFE_AFTER.match(body, noun.end()):
                continue
            if _QUALIFIED.match(body, noun.end()):
                continue
            before = body[max(0, noun.start() - _ASK_WINDOW) : noun.start()]
            after = body[noun.end() : noun.end() + 24]
            if _asks(before) or _ASK_AFTER.search(after):
                offset = sentence.start()
                return OutboundFinding(kind, offset + noun.start(), offset + noun.end())
    return None
