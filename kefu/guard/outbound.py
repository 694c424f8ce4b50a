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
reset, change, enable). A condition ("if …") is advice unless the secret is to come to us ("if you
give me the password I can …"). A request may also follow the secret ("… and send it to us",
"… into the chat") or come in a later sentence ("We sent you a code. Let us know what it is.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EN = r"(?<![A-Za-z])"
_EN_END = r"(?![A-Za-z])"

_NOUNS: dict[str, str] = {
    "seed_phrase": (
        # A bare "seed" is the secret only when it is somebody's ("your seed", "wallet seed"):
        # "seed round", "reply about the seed funding" and "Seed reply." are not requests.
        _EN + r"(?:seed[ -]?(?:phrase|words?|card|sheet|backup)|"
        r"(?<=\byour )seed|(?<=\bur )seed|(?<=\byr )seed|"
        r"(?<=\bwallet )seed|(?<=\bwallet's )seed|"
        r"(?<=the )seed(?= (?:of|for) (?:your|ur|the) wallet)|"
        r"mnemonic(?:[ -]?phrase)?|"
        r"(?:secret[ -]?)?recovery[ -]?(?:phrase|words|seed)|backup[ -]?(?:phrase|words)|"
        r"(?:12|24|twelve|twenty[ -]four)[ -]words?(?:[ -]phrase)?|wallet[ -]words)"
        + _EN_END
        + r"|助记词|助记|恢复短语|种子词|备份短语|(?:12|24|十二|二十四)个(?:单)?词"
        # "the words on the paper", "抄写的那张纸上的单词": the backup, by where it is written
        r"|" + _EN + r"phrase (?:that |which )?(?:[\w-]+ ){1,2}(?:showed|gave|displayed|generated)|"
        r"words? (?:you (?:wrote|noted|copied|backed up)|(?:written |printed )?"
        r"on (?:the|your|that) (?:paper|card|sheet|steel plate)|"
        r"(?:from|on|in) (?:the|your|that) (?:backup |recovery |seed )?(?:card|paper|sheet|plate))"
        + _EN_END
        + r"|(?:纸|卡片|卡)上的?(?:单词|词)|抄(?:写|下)的?(?:单词|词)|备份的?(?:单词|词)"
    ),
    "private_key": (
        _EN + r"(?:private[ -]?keys?|priv[ -]?key|secret[ -]?keys?|keystore(?: file)?|"
        r"wallet[ -]?key|wallet'?s (?:secret |private )?key|wif|[xyzt]prv|"
        r"keys? (?:for|to|of) (?:that|this|the|your) (?:wallet|address|account))"
        + _EN_END
        + r"|私钥|密钥|秘钥|钱包密钥"
    ),
    "otp_code": (
        _EN + r"(?:(?:2fa|2-fa|two[ -]factor|mfa|google authenticator|authenticator|"
        r"verification|verify|security|sms|text|email|otp|one[ -]time|login|confirmation|"
        r"6[ -]digit|six[ -]digit|ga)[ -]?(?:pass)?codes?|otp|totp|one[ -]time[ -]password|"
        r"code (?:you (?:just )?(?:got|received)|we (?:just )?sent|sent to (?:your|you))|"
        # The code named by where it is or where it came from: "the code that arrives by SMS",
        # "the current code showing in your authenticator", "the digits from the text".
        r"(?:current|latest|new) code|code (?:that |which )?(?:arrives?|arrived|came|comes|"
        r"showing|shown|displayed|popped up|pops up|appears|appeared|you see|is showing)|"
        r"(?:screenshot|photo|picture|snapshot) of (?:your |the )?(?:google |ga |2fa )?"
        r"authenticator(?: app)?|code (?:in|from) (?:the|your|that) (?:message|text|sms|"
        r"e-?mail|app|authenticator|phone)|sent (?:you )?a (?:new )?code|"
        r"digits (?:from|in|on|shown|showing|displayed)|"
        r"(?:6|six)[ -]digits(?= (?:you|we|that|sent|texted))|"
        r"numbers? (?:from|in|on|shown in|showing in) (?:the |your |that )?(?:google )?"
        r"(?:authenticator|app|sms|text|message|e-?mail)|"
        r"(?:text message|sms|e-?mail|message) (?:with|containing) (?:the|your|a) (?:code|digits)|"
        r"(?:confirmation|verification|security) (?:number|digits|pin))"
        + _EN_END
        + r"|验证码|动态码|谷歌码|谷歌验证码|短信码|安全码|校验码|2[fF][aA]码|授权码|"
        r"[gG][aA]码|6位数?码|六位数?码|(?:6|六)位数字|验证短信|短信验证|短信(?:原文|内容|全文)|"
        r"显示的(?:是)?(?:几位|哪几个|什么)?数字|"
        # "手机上收到的那串数字", "验证器现在显示的数字"
        r"(?:验证器|令牌|短信|手机|邮箱)[^，。？！,.?!]{0,8}?(?:收到|显示)的?(?:那串|那个|这串)?"
        r"(?:6位|六位)?数字"
    ),
    "password": (
        _EN + r"(?:(?:login|account|fund(?:s|ing)?|trading|withdrawal|email)[ -]?)?"
        r"(?:passwords?|passcode|passwd|passw0rd|pwd|pin(?:[ -]?code)?)"
        + _EN_END
        # "whatever you type in when you log in"
        + r"|"
        + _EN
        + r"what(?:ever)? you (?:type|enter|use|put)(?: in)? (?:when you|to) "
        r"(?:log ?in|sign ?in)"
        + _EN_END
        + r"|登录密码|资金密码|交易密码|支付密码|提现密码|密码|[pP][iI][nN]码"
    ),
}
_NOUN_RE = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _NOUNS.items()), re.IGNORECASE
)

_ASK_BEFORE = re.compile(
    _EN + r"(?:(?:reply|respond|answer|come back|replying|responding)"
    r"(?: here| back| to (?:me|us))? with|"
    r"by (?:submitting|sending|providing|sharing|giving|forwarding|pasting)|"
    r"(?:typ|read|spell|writ)(?:e|ing) out|"
    r"send|give(?! it | them | each |[^.]{0,30}\b(?:its|their) own)|provide|share|tell|forward|"
    r"paste|type|write|post|dm|pm|reply|"
    r"respond|read|spell|confirm|submit|what(?:'s| is| are| was)?|which|"
    r"(?:i|we)(?:'ll| will| would| do| still| just)? (?:need|require|want|must have)|"
    r"can (?:i|we) (?:get|have|see)|may (?:i|we) (?:have|get|know|see)|"
    r"let (?:me|us) (?:know|have|see)|enter (?:it |them )?(?:here|below|in (?:this|the) chat)|"
    r"(?:message|text|e-?mail|whatsapp|telegram|ping) (?:me|us)|fill (?:in|out)|"
    r"read (?:me|us|out))"
    + _EN_END
    # "发送到新邮箱的验证码" is the code sent there, not a request to send it.
    + r"|提供|发送(?![到至])|发给|发来|发过来|发一下|发我|告诉|告知|报一下|报给|说一下|说出|"
    r"回复|私信|"
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
    r"[^，,。.!?！？]{0,10}?(?:发给我|发我|发一下|发过来|告诉我|给我|报一下|说一下|发送给我|"
    r"(?:发|发送|提供|告诉|转发|复制|念|读|报)给(?:客服|我们|官方|工作人员|专员|技术|他|她)|"
    r"告诉(?:他|她|专员|客服|工作人员))|"
    r"\s*(?:here\b|in (?:this|the) chat|to (?:me|us)\b))",
    re.IGNORECASE,
)
# (Patterns used with .match(text, pos) carry no ^: it would not match at pos.)
# A noun that follows the secret's name makes it a setting, not the secret: "2FA method",
# "password reset", "密码规则".
_QUALIFIED = re.compile(
    r"[ -]?(?:method|settings?|page|reset|change|status|setup|set-up|device|app|requirements?|"
    r"policy|rules?|field|manager|strength|link|e-?mail|options?|recovery|length|feature|"
    r"screen|form|history|expir\w*|attempts?|issue|problem|flow)(?![A-Za-z])|"
    r"(?:的?(?:规则|要求|长度|强度|设置|修改|重置|页面|功能|问题)|是什么时候|什么时候)",
    re.IGNORECASE,
)

_SAFE = re.compile(
    _EN + r"(?:never|not|no|don't|dont|do not|doesn't|won't|wont|shouldn't|nobody|no one|"
    r"anyone|anybody|someone|avoid|beware|scam\w*|phishing|fraud\w*|impersonat\w*|"
    r"warn\w*|only you|yourself|reset|forgot|forgotten|didn't|isn't|hide|cover|mask|blur|redact\w*)"
    + _EN_END
    + r"|n't|请勿|不要|不需要|无需|不必|没必要|不用(?!担心|着急|急|怕)|"
    r"切勿|绝不|绝对不|不会|永远不|千万别|别|任何人|谨防|小心|诈骗|骗子|官方不会|"
    r"不得|不能|勿|保管|保密|重置|忘记|收不到|没收到|未收到|自己|遮挡|遮住|打码|隐藏|涂掉|马赛克",
    re.IGNORECASE,
)
_SAFE_AFTER = re.compile(
    r"[^,，;；]{0,30}?(?:(?:should|must|will|is|are)\s+(?:never|not)|never|"
    r"(?:is|are)\s+(?:for|only)|yourself|stays? (?:with|on) you|"
    r"不要|不会|不应|请勿|切勿|只有您|仅限|自己)",
    re.IGNORECASE,
)
# "." inside a URL or a domain ("forms.gle/…") does not end a sentence.
_SENTENCE = re.compile(r"(?:[^.!?。！？\n]|[.!?](?=[^\s.!?]))+[.!?。！？]*")
_ASK_WINDOW = 48


@dataclass(frozen=True, slots=True)
class OutboundFinding:
    kind: str
    start: int
    end: int


# "If you forgot your password ...": a condition is advice, unless the secret is to come to us
# ("if you give me the password I can ...", "if you paste the WIF here our engineers ...").
_CONDITIONAL = re.compile(_EN + r"if" + _EN_END + r"|如果|假如|若", re.IGNORECASE)
_TO_US = re.compile(
    _EN + r"(?:me|us|here|our (?:[\w-]+ )?(?:team|engineers?|agents?|staff|support|specialists?)|"
    r"this (?:secure )?chat)" + _EN_END + r"|给我|给我们|给客服|发我",
    re.IGNORECASE,
)
# "confirm whether you received the code", "let me know if you got it": a yes/no question.
_YES_NO = re.compile(r"\s+(?:whether|if)" + _EN_END, re.IGNORECASE)
# "write your 12 words on paper": kept by the customer, not sent.
_KEPT = re.compile(
    r"[^,，.。]{0,12}?(?:on|onto) (?:a |the )?(?:paper|card|sheet)|\s*down" + _EN_END + r"|"
    r"[^,，.。]{0,12}?(?:offline|in a safe place|somewhere safe)",
    re.IGNORECASE,
)
# After the secret: it is to be moved into the chat ("… and send it to us", "… into the chat",
# "— just type it here", "然后send给客服").
_MOVE = (
    _EN + r"(?:send|give|forward|paste|share|copy|drop|post|put|type|write|submit|enter|attach|"
    r"read (?:it |them )?out)" + _EN_END
)
_DESTINATION = (
    r"(?:" + _EN + r"(?:to (?:me|us|our (?:[\w-]+ )?(?:team|engineers?|agents?|support))|"
    r"(?:in|into) (?:this|the|our) (?:secure )?(?:chat|conversation|thread|ticket)|"
    r"with (?:me|us|our (?:[\w-]+ )?team)|here|in (?:the|your|a) (?:reply|response)|"
    r"to (?:him|her|them|the (?:agent|caller|specialist|officer))|to this number)"
    + _EN_END
    + r"|给我|给我们|给客服|给官方|发我|"
    r"(?:到|在)(?:这里|对话框|聊天框|聊天窗口|会话|聊天)里?)"
)
_MOVE_LATER = re.compile(
    r"[^.!?。！？;；]{0,50}?(?:" + _MOVE + r"|发送?|复制|转发|提供|粘贴|贴)\s*"
    r"(?:(?:it|them|that|this|over|back|一下|过来)\s*)?" + _DESTINATION + r"|"
    r"[^.!?。！？;；]{0,50}?" + _EN + r"(?:send|pass|forward) (?:it|them) (?:over|along)" + _EN_END,
    re.IGNORECASE,
)
_DESTINATION_LATER = re.compile(r"[^.!?。！？,;，；]{0,50}?" + _DESTINATION, re.IGNORECASE)
_MOVE_BEFORE = re.compile(_MOVE + r"[^.!?。！？]{0,40}$", re.IGNORECASE)
# "Our recovery tool needs your xprv": a key or a seed is never needed by any tool of ours.
_NEEDS = re.compile(
    _EN + r"(?:needs?|requires?) (?:your|the)" + _EN_END + r"|需要您的|需要你的", re.IGNORECASE
)
# Bare "2FA" or "the code", only right after a request: "send me the 2fa", "read out the code".
_WEAK_NOUN = re.compile(
    _EN + r"(?:2fa|mfa|ga|(?:the|your|that|this) code)" + _EN_END, re.IGNORECASE
)
_WEAK_ASK = re.compile(
    _EN + r"(?:send|give|tell|share|forward|paste|read|dm|reply with|drop)(?: (?:me|us|out))?"
    r"(?: (?:the|your|ur))?\s*$",
    re.IGNORECASE,
)
_NOT_OTP_CODE = re.compile(
    _EN + r"(?:error|status|promo\w*|referral|invite|invitation|coupon|voucher|discount|qr|"
    r"source|anti[ -]?phishing|reward|gift|bonus|tracking|reference|postal|zip|api|bot|script|"
    r"sample|example|snippet)" + _EN_END,
    re.IGNORECASE,
)
_OTP_CONTEXT = re.compile(
    _EN + r"(?:sms|text(?:ed)?|phone|call|authenticator|verif\w*|2fa|log ?in|sign ?in|"
    r"withdraw\w*|e-?mail|identity|unlock|unfreeze|security|expir\w*|codes? by)"
    + _EN_END
    + r"|短信|验证|手机|邮箱|登录|提现|提币|解冻",
    re.IGNORECASE,
)
# A later sentence asking for "it": "We've just sent a code to you. Let us know what it is."
_ASK_IT = re.compile(
    _EN
    + r"(?:(?:let (?:me|us) know|tell (?:me|us)) what (?:it|the code|the number) (?:is|was|says)|"
    r"(?:send|give|forward|paste|share|read|type|pass) (?:it|that|them) "
    r"(?:(?:back )?to (?:me|us)|here|in (?:this|the) chat|over|along))"
    + _EN_END
    + r"|念给我|读给我|报给我|说给我听",
    re.IGNORECASE,
)
_SCREENSHOT = re.compile(_EN + r"(?:screenshot|photo|picture)" + _EN_END + r"|截图|拍照", re.I)
_AUTHENTICATOR = re.compile(r"google|authenticator|谷歌|ga|2fa", re.IGNORECASE)
_KEEP_SECRET = frozenset({"seed_phrase", "private_key"})
# For a seed phrase or a key, only the customer's own wallet app is "somewhere else": a form,
# a website or a field is where phishing collects them.
_ELSEWHERE_WALLET = re.compile(
    _EN + r"(?:in the app|app|import|restore|wallet app)" + _EN_END + r"|[aA][pP][pP]|导入|恢复",
    re.IGNORECASE,
)


# "Kindly reply with: 1) your UID 2) your email 3) your current password": a list of things to
# send, introduced by a request and a colon, reaches to the end of the sentence.
_LIST_ASK = re.compile(
    _EN + r"(?:reply|respond|send|provide|give|share|submit|include|tell|dm|message)"
    r"(?: (?:to )?(?:me|us))?(?: (?:back )?with)?(?: (?:the following|these|this info\w*|below))?"
    r"\s*[:：]"
    r"|(?:提供|发送|回复|发给我|告诉我)(?:以下|如下|下列)?(?:信息|资料|内容)?[:：]",
    re.IGNORECASE,
)
# "DM our verification officer @X on Telegram with your seed words": a secret sent to a person.
_SEND_TO_PERSON_WITH = re.compile(
    _EN
    + r"(?:dm|pm|message|text|e-?mail|whatsapp|telegram|send|ping|write to)"
    + _EN_END
    + r"[^.!?。！？]{0,80}?"
    + _EN
    + r"with (?:your|the|all (?:of )?your)\s*$",
    re.IGNORECASE,
)
# "fill in the form at <url> with your recovery phrase": for a seed or a key a form is phishing.
_FILL_WITH = re.compile(
    _EN
    + r"(?:fill (?:in|out)|complete|submit)"
    + _EN_END
    + r"[^.!?。！？]{0,80}?"
    + _EN
    + r"with (?:your|the|all (?:of )?your)\s*$",
    re.IGNORECASE,
)
# "forward that message to this number", "把短信转发给我": the SMS holding a code, moved to us.
_FORWARD_SMS = re.compile(
    _EN + r"(?:forward|send|copy|paste|screenshot)(?: (?:me|us))? (?:that|the|this|your) "
    r"(?:sms|text(?: message)?|message|e-?mail)(?: you (?:get|got|receive|received))?"
    r" (?:to (?:me|us|this number|our)|here|in (?:this|the) chat)"
    + _EN_END
    + r"|(?:转发|复制|截图发)给?(?:我|我们|客服)?[^，。？！]{0,6}短信|"
    r"短信[^，。？！]{0,8}(?:转发|复制|截图)给(?:我|我们|客服)",
    re.IGNORECASE,
)
_MENTIONS_CODE = re.compile(r"codes?|digits|otp|验证码|动态码|数字", re.IGNORECASE)
# A form that lists a key or seed among its fields ("(fields: wallet address, private key)").
_FORM_FIELDS = re.compile(
    _EN + r"(?:fields?|form|inputs?)\s*[:：]|表单[:：]|字段[:：]", re.IGNORECASE
)
_WITH_END = re.compile(_EN + r"with (?:your|the|all (?:of )?your)\s*$", re.IGNORECASE)
_URL = re.compile(r"\S+://\S+|www\.\S+")


def _asks_wider(body: str, noun_start: int, kind: str) -> bool:
    """Requests further from the noun than the ask window: lists, "DM … with your", forms."""
    head = body[max(0, noun_start - 240) : noun_start]
    # Cheap gates first: a sentence made of thousands of nouns must stay linear.
    if ":" in head or "：" in head:
        listed = _LIST_ASK.search(head)
        elsewhere = _ELSEWHERE_WALLET if kind in _KEEP_SECRET else _ELSEWHERE
        if listed and not elsewhere.search(_URL.sub(" ", head[listed.end() :])):
            return True
    if _WITH_END.search(head[-24:]):
        near = _URL.sub(" ", head[-160:])
        if _SEND_TO_PERSON_WITH.search(near):
            return True
        if kind in _KEEP_SECRET and _FILL_WITH.search(near):
            return True
    return kind in _KEEP_SECRET and bool(_FORM_FIELDS.search(head[-120:]))


def _asks(before: str, kind: str = "") -> bool:
    """Whether the text before a secret holds a request, with nothing that sends it elsewhere."""
    matches = [m for m in _ASK_BEFORE.finditer(before) if not _YES_NO.match(before, m.end())]
    if not matches:
        return kind in _KEEP_SECRET and bool(_NEEDS.search(before))
    elsewhere = _ELSEWHERE_WALLET if kind in _KEEP_SECRET else _ELSEWHERE
    # "fill in the form at https://…/restore with your recovery phrase": a URL is no app.
    return not elsewhere.search(_URL.sub(lambda m: " " * len(m.group()), before), matches[-1].end())


_COERCION = re.compile(
    _EN + r"(?:(?:can'?t|cannot|can not|won'?t be able to|unable to|are not able to)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:unless|until|without)|"
    r"if (?:you )?(?:don'?t|do not|fail to|refuse to)(?= (?:provide|send|submit|share|give|"
    r"verify|confirm|reply|complete)))"
    + _EN_END
    + r"|除非|如果(?:您|你)?(?:不|未|没有)(?=提供|发送|回复|告诉|验证)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One sentence and what holds for all of it, found once (a sentence may hold many nouns)."""

    body: str
    first_safe_end: int  # where the first warning or negation ends (len + 1 when none)
    first_condition_end: int
    to_us: bool

    @classmethod
    def of(cls, body: str) -> _Sentence:
        never = len(body) + 1
        # "we can't proceed unless you send …", "if you don't provide … your account will be
        # frozen": a negation that pressures the customer into sending is no warning.
        masked = _COERCION.sub(lambda m: " " * len(m.group()), body)
        safe = _SAFE.search(masked)
        condition = _CONDITIONAL.search(masked)
        return cls(
            body,
            safe.end() if safe else never,
            condition.end() if condition else never,
            bool(_TO_US.search(body)),
        )

    def safe(self, start: int, end: int) -> bool:
        """A warning or a negation around the secret's noun at [start, end)."""
        if self.first_safe_end <= start or _SAFE_AFTER.match(self.body, end):
            return True
        return self.first_condition_end <= start and not self.to_us


# The request is for something else that the secret only describes: "provide the email address
# where the verification code was sent", "why the SMS code is delayed", "接收验证码的手机号码".
_ABOUT_BEFORE = re.compile(
    _EN + r"(?:where|why|which (?:phone|number|e-?mail|address|wallet|app|device)|"
    r"look into|(?:we|i)(?:'ll| will| just| can| have)? (?:re)?(?:send|sent|text|texted|e-?mail)\w*"
    r"(?: you)?(?: a| an| the| another)?(?: new| fresh)?)"
    + _EN_END
    + r"|为什么|哪个|查询|我们(?:会|将)?(?:重新)?发送",
    re.IGNORECASE,
)
_ABOUT_AFTER = re.compile(
    r"\s*(?:的(?:手机号码?|号码|邮箱|地址|账号|设备|时间)|为什么|"
    r"(?:was|were|will be|is being) (?:sent|delivered)(?![A-Za-z])|(?:is|was) delayed)",
    re.IGNORECASE,
)
_ENTER_VERB = re.compile(_EN + r"(?:enter|type|input|key in)" + _EN_END, re.IGNORECASE)
# "请发送钱包的公开地址，不是私钥": the noun names what is not wanted.
_NEGATED_NOUN = re.compile(
    r"(?:不是|而非|并非|" + _EN + r"not (?:the |your |a )?|" + _EN + r"isn't (?:the |your )?)$",
    re.IGNORECASE,
)


def _check_sentence(sentence: _Sentence, otp_message: bool) -> tuple[str, int, int] | None:
    body = sentence.body
    for noun in _NOUN_RE.finditer(body):
        kind = noun.lastgroup
        assert kind is not None
        if sentence.safe(noun.start(), noun.end()) or _NEGATED_NOUN.search(
            body, max(0, noun.start() - 12), noun.start()
        ):
            continue
        before = body[max(0, noun.start() - _ASK_WINDOW) : noun.start()]
        if noun.group().lower().startswith("code") and _NOT_OTP_CODE.search(before[-16:]):
            continue  # "the error code shown on the page"
        if _QUALIFIED.match(body, noun.end()) and not (
            # "请截图发送您的谷歌验证码页面": a picture of the authenticator shows the code.
            _SCREENSHOT.search(before) and _AUTHENTICATOR.search(noun.group())
        ):
            continue
        if (
            kind in ("otp_code", "password")
            and _ENTER_VERB.search(before)
            and _USED_THERE.search(body, noun.end(), noun.end() + 60)
        ):
            continue  # "type the 6-digit code … on the confirmation page"
        if _ABOUT_BEFORE.search(before) or _ABOUT_AFTER.match(body, noun.end()):
            continue  # "the email where the code was sent", "接收验证码的手机号码"
        after = body[noun.end() : noun.end() + 24]
        asked = _asks(before, kind) or bool(_ASK_AFTER.search(after))
        if asked and _KEPT.match(body, noun.end()) and re.search(r"write|note|copy", before, re.I):
            continue
        if not asked:
            later = _MOVE_LATER.match(body, noun.end())
            moved = (
                later is not None
                and not _ELSEWHERE.search(body, noun.end(), later.end())
                and not _SAFE.search(body, noun.end(), later.end())
            )
            dest = (
                _DESTINATION_LATER.match(body, noun.end()) if _MOVE_BEFORE.search(before) else None
            )
            asked = moved or (
                dest is not None
                and not _ELSEWHERE.search(body, noun.end(), dest.end())
                and not _SAFE.search(body, noun.end(), dest.end())
            )
        if not asked:
            asked = _asks_wider(body, noun.start(), kind)
        if asked:
            return kind, noun.start(), noun.end()
    forward = _FORWARD_SMS.search(body)
    if (
        forward
        and otp_message
        and _MENTIONS_CODE.search(body)
        and not sentence.safe(forward.start(), forward.end())
    ):
        return "otp_code", forward.start(), forward.end()
    code_ok: bool | None = None
    for noun in _WEAK_NOUN.finditer(body):
        text = noun.group().lower()
        if not _WEAK_ASK.search(body, max(0, noun.start() - 24), noun.start()):
            continue
        if sentence.safe(noun.start(), noun.end()) or _QUALIFIED.match(body, noun.end()):
            continue
        if text.endswith("code"):
            if code_ok is None:
                code_ok = otp_message and not _NOT_OTP_CODE.search(body)
            if not code_ok:
                continue
        return "otp_code", noun.start(), noun.end()
    return None


# ---------------------------------------------------------------------------------------------
# A second, message-level check built from three general concepts (after the third challenge
# set): a SECRET noun (the nouns above plus synonyms and artefacts that hold the secret), a
# TRANSFER intent anywhere in the message (a verb that moves something to someone, or a
# destination other than the customer's own app: a link, an e-mail address, a handle) and no
# SAFE frame anywhere in the message (negation, warning, "yourself"). It catches requests
# phrased far from the noun ("验证码收到了吗？收到了直接发我") and through other channels
# ("把邮箱验证码发过去", "DM … on Telegram with your recovery phrase").
_CONCEPT_NOUNS: dict[str, str] = {
    "seed_phrase": (
        _EN + r"(?:secret words|recovery (?:card|sheet)|backup mnemonic|mnemonic|"
        r"(?:12|24) (?:secret )?words)" + _EN_END + r"|(?:12|24|十二|二十四) ?个(?:单)?词"
    ),
    "private_key": (
        _EN + r"(?:key ?pair|id\.json|solana-keygen|show private key|export the key)" + _EN_END
    ),
    "otp_code": (
        _EN + r"(?:code (?:on|in|from) (?:your|the) (?:authenticator|google authenticator|ga)|"
        r"code (?:that )?we (?:texted|sent|emailed)|sms code|full sms|(?:6|six)[ -]digit code|"
        r"(?:google )?authenticator (?:is )?(?:showing|shows|displaying|displays|says))"
        + _EN_END
        + r"|[gG][aA] ?码|(?:6|六) ?位 ?(?:code|码|数字)"
    ),
}
_CONCEPT_NOUN_RE = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _CONCEPT_NOUNS.items()), re.IGNORECASE
)
_TRANSFER = re.compile(
    _EN + r"(?:send|give|provide|paste|upload|forward|attach|share|submit|tell|dm|pm|"
    r"read (?:it |them )?out|fill (?:in|out)|reply|bring|drop|"
    r"(?:we|i) (?:need|require)|what(?:'s| is) the|what (?:number|digits|code))"
    + _EN_END
    + r"|[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.|\b[\w-]+\.(?:com|io|app|cc|top|net|org|me)"
    r"(?:/\S*)?|@\w+|telegram|whatsapp|wechat|微信|私聊|发(?:给|我|过来|过去|来|一下)|发送给|"
    r"给我|提供|填写|上传|念|告诉|复制|提交|回复|带上|是多少|link",
    re.IGNORECASE,
)
_CONCEPT_SAFE = re.compile(
    _EN + r"(?:never|not|no(?! worries)|don'?t(?! worry| hesitate)|do not|won'?t|shouldn'?t|"
    r"nobody|no one|anyone|anybody|scam\w*|phishing|fraud\w*|impersonat\w*|yourself|"
    r"only you|beware|hide|cover|mask|blur|redact\w*|forgot\w*|reset|other than|stolen|steal|"
    r"in the app|official (?:app|website|site)|someone|somebody|cannot|can't|"
    # the secret stays with the customer: "stays on your device", "its own strong password"
    r"stays?|keep\w*|its own|their own|strong|"
    # a question about the secret, not for it: "which wallet app you used to create the seed
    # phrase", "the time you last changed your password", "why the SMS code is delayed"
    r"which (?:wallet|app|phone|e-?mail|device|number)|"
    r"when you (?:set|created?|changed|last|first)|"
    r"why|used to create|(?:last|you) changed|set up|"
    # where a code goes, described: "the email where the code was sent", "we will send a new one"
    r"(?:was|were|will be|is being|gets?) (?:sent|delivered)|we(?:'ll| will) send)"
    + _EN_END
    + r"|不是|不要|请勿|切勿|勿|无需|不需要|不必|不用(?!担心|怕)|绝不|绝对不|不会|永远不|千万别|"
    r"别(?:发|给|告诉|提供|泄露|透露)|任何人|谨防|小心|诈骗|骗|自己|遮|打码|隐藏|保管|保密|忘记|"
    r"没收到|收不到|未收到|重置|输入|官网|官方(?:应用|网站|App)|是否|有没有收到|哪个|什么时候|"
    r"为什么|延迟|接收|" + _EN + r"whether" + _EN_END,
    re.IGNORECASE,
)

# "the code we send you", "验证码会发送到新号码": the secret travels to the customer, not to us.
_SENT_TO_THEM = re.compile(
    _EN
    + r"(?:we|i)(?:'ll| will| just)? (?:send|sent|text|texted|e-?mail|e-?mailed) you"
    + _EN_END
    + r"|发送到|发到(?:您|你)",
    re.IGNORECASE,
)

_USED_THERE = re.compile(
    _EN + r"(?:on|in) (?:the|our|your) [\w -]{0,20}?(?:page|app|screen|device)" + _EN_END,
    re.IGNORECASE,
)

_PICTURE_OF = re.compile(_EN + r"(?:screenshot|photo|picture|snapshot|image) of" + _EN_END, re.I)


def _concept_request(text: str) -> OutboundFinding | None:
    """A secret noun, a transfer intent and no safe frame anywhere in the message."""
    masked = _COERCION.sub(lambda m: " " * len(m.group()), text)
    masked = _SENT_TO_THEM.sub(lambda m: " " * len(m.group()), masked)
    if _CONCEPT_SAFE.search(masked) or not _TRANSFER.search(masked):
        return None
    # "enter the code on the withdrawal page" uses the secret there - unless a picture of that
    # page is to be sent ("a screenshot of the 'Backup mnemonic' screen in the wallet app").
    if _USED_THERE.search(masked) and not _PICTURE_OF.search(masked):
        return None
    for pattern in (_NOUN_RE, _CONCEPT_NOUN_RE):
        for noun in pattern.finditer(text):
            if not noun.lastgroup or _QUALIFIED.match(text, noun.end()):
                continue
            if _NOT_OTP_CODE.search(text, max(0, noun.start() - 16), noun.start()):
                continue  # "the error code shown on the page"
            if not _NEGATED_NOUN.search(text, max(0, noun.start() - 12), noun.start()):
                return OutboundFinding(noun.lastgroup, noun.start(), noun.end())
    return None


def check_outbound(text: str) -> OutboundFinding | None:
    """The first request for a secret in a staff message, or None when it asks for none."""
    if not isinstance(text, str) or not text:
        return None
    text = text[:20_000]
    otp_message = bool(_OTP_CONTEXT.search(text))  # once: is the message about codes at all?
    previous: tuple[str, int, int] | None = None
    since = 0  # sentences since ``previous`` (an e-mail address or "e.g." splits one in two)
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group()
        offset = sentence.start()
        checked = _Sentence.of(body)
        found = _check_sentence(checked, otp_message)
        if found is not None:
            kind, start, end = found
            return OutboundFinding(kind, offset + start, offset + end)
        ask_it = _ASK_IT.search(body)
        if previous is not None and ask_it and not checked.safe(ask_it.start(), ask_it.end()):
            return OutboundFinding(*previous)
        since += 1
        if since > 2:
            previous = None
        for noun in _NOUN_RE.finditer(body):
            if noun.lastgroup and not checked.safe(noun.start(), noun.end()):
                previous = (noun.lastgroup, offset + noun.start(), offset + noun.end())
                since = 0
    return _concept_request(text)
