"""Who is in the demo: staff, teams, customers, tags and macros (the conversations' words are
in kefu/demo/scenarios.py). Data only; kefu/demo/seed.py turns it into rows through the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.accounts.models import Role

# --- staff and teams --------------------------------------------------------------------------

FUNDS = "Funds & Payments"
SECURITY = "Account Security"
KYC = "Verification (KYC)"
VIP = "VIP Desk"

TEAMS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (FUNDS, ("en", "zh-hans"), ("deposit", "withdrawal", "fees", "recovery")),
    (SECURITY, ("en", "zh-hans"), ("account", "2fa", "security", "fraud")),
    (KYC, ("zh-hans",), ("kyc", "documents")),
    (VIP, ("en", "zh-hans"), ("vip", "trading", "otc")),
)


@dataclass(frozen=True)
class StaffSeed:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]
    language: str


ADMIN = StaffSeed("admin@kefu.demo", "Grace Liu", Role.ADMIN, (), "en")
STAFF: tuple[StaffSeed, ...] = (
    StaffSeed("supervisor@kefu.demo", "Marcus Webb", Role.SUPERVISOR, (FUNDS, SECURITY, VIP), "en"),
    StaffSeed(
        "senior@kefu.demo", "Chen Jing 陈静", Role.AGENT_L2, (FUNDS, SECURITY, KYC), "zh-hans"
    ),
    StaffSeed("senior2@kefu.demo", "Priya Nair", Role.AGENT_L2, (FUNDS, SECURITY, VIP), "en"),
    StaffSeed("agent@kefu.demo", "Sam Carter", Role.AGENT_L1, (FUNDS, SECURITY), "en"),
    StaffSeed("agent2@kefu.demo", "Zhang Wei 张伟", Role.AGENT_L1, (FUNDS,), "zh-hans"),
    StaffSeed("agent3@kefu.demo", "Li Na 李娜", Role.AGENT_L1, (KYC, SECURITY), "zh-hans"),
    StaffSeed("agent4@kefu.demo", "Tom Becker", Role.AGENT_L1, (SECURITY,), "en"),
    StaffSeed("agent5@kefu.demo", "Wang Fang 王芳", Role.AGENT_L1, (VIP, FUNDS), "zh-hans"),
    StaffSeed("agent6@kefu.demo", "Emily Park", Role.AGENT_L1, (VIP, KYC), "en"),
)

# --- customers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSeed:
    email: str
    name: str
    language: str
    portal: bool = False  # gets a portal login with the demo password


PORTAL_CUSTOMERS: tuple[CustomerSeed, ...] = (
    CustomerSeed("customer@kefu.demo", "Alex Morgan", "en", portal=True),
    CustomerSeed("kehu@kefu.demo", "王小明", "zh-hans", portal=True),
    CustomerSeed("olivia.bennett@example.com", "Olivia Bennett", "en", portal=True),
    CustomerSeed("liu.yang@example.net", "刘洋", "zh-hans", portal=True),
)

_EN_NAMES = (
    "James Walker", "Sophia Turner", "Daniel Kim", "Emma Rossi", "Lucas Silva", "Mia Schneider",
    "Noah Patel", "Ava Johnson", "Ethan Brooks", "Isabella Garcia", "Liam O'Connor",
    "Charlotte Dubois", "Mateo Fernandez", "Amelia Novak", "Benjamin Lee", "Harper Nguyen",
    "Oliver Smith", "Zoe Anderson", "Jack Wilson", "Chloe Martin", "Ryan Ahmed", "Grace Taylor",
    "Leo Costa", "Nora Jensen", "Adam Kowalski", "Hannah Weber",
)  # fmt: skip
_ZH_NAMES = (
    ("张伟", "zhang.wei"), ("王芳", "wang.fang"), ("李娜", "li.na"), ("刘强", "liu.qiang"),
    ("陈杰", "chen.jie"), ("杨敏", "yang.min"), ("赵磊", "zhao.lei"), ("黄静", "huang.jing"),
    ("周涛", "zhou.tao"), ("吴婷", "wu.ting"), ("徐鹏", "xu.peng"), ("孙丽", "sun.li"),
    ("马超", "ma.chao"), ("朱琳", "zhu.lin"), ("胡斌", "hu.bin"), ("郭晨", "guo.chen"),
    ("何雪", "he.xue"), ("高翔", "gao.xiang"), ("林欣", "lin.xin"), ("罗毅", "luo.yi"),
    ("郑爽", "zheng.shuang"), ("梁宇", "liang.yu"), ("谢晴", "xie.qing"), ("宋佳", "song.jia"),
    ("唐浩", "tang.hao"), ("韩梅", "han.mei"),
)  # fmt: skip


def customers() -> list[CustomerSeed]:
    """Every demo customer (56): the portal users first, then the others (reserved domains)."""
    people = list(PORTAL_CUSTOMERS)
    for i, name in enumerate(_EN_NAMES):
        slug = name.lower().replace("'", "").replace(" ", ".")
        people.append(CustomerSeed(f"{slug}@example.{('com', 'org')[i % 2]}", name, "en"))
    for zh_name, slug in _ZH_NAMES:
        people.append(CustomerSeed(f"{slug}@example.net", zh_name, "zh-hans"))
    return people


# --- tags and macros --------------------------------------------------------------------------

TAGS: tuple[str, ...] = (
    "usdt", "trc20", "erc20", "vip", "memo-missing", "wrong-network", "network-congestion",
    "phishing", "recovery", "kyc-resubmit", "compensation",
)  # fmt: skip

MACROS: tuple[tuple[str, str, str], ...] = (
    (
        "Withdrawal delayed",
        "Hello {{ customer_name }},\n\nyour withdrawal in {{ reference }} is queued behind network "
        "congestion. It has been flagged for priority processing and I will update you here as "
        "soon as it is broadcast.\n\nBest regards,\n{{ agent_name }}",
        "{{ customer_name }}您好，\n\n您在 {{ reference }} 中的提现因网络拥堵正在排队，我们已为您"
        "加急处理，"
        "广播上链后会第一时间在这里通知您。\n\n{{ agent_name }}",
    ),
    (
        "Deposit waiting for confirmations",
        "Hello {{ customer_name }},\n\nthe deposit in {{ reference }} is waiting for the required "
        "network confirmations and will be credited automatically. No action is needed.\n\n"
        "{{ agent_name }}",
        "{{ customer_name }}您好，\n\n{{ reference }} 中的充值正在等待网络确认，达到确认数后会自"
        "动入账，"
        "您无需任何操作。\n\n{{ agent_name }}",
    ),
    (
        "Missing memo / tag recovery",
        "Hello {{ customer_name }},\n\ndeposits without a memo or tag cannot be matched "
        "automatically. Please reply to {{ reference }} with the TxID and a screenshot of the "
        "withdrawal from the sending platform; recovery takes 3-5 business days.\n\n"
        "{{ agent_name }}",
        "{{ customer_name }}您好，\n\n未填写 Memo/标签 的充值无法自动入账。请在 {{ reference }} "
        "中回复交易哈希"
        "和转出平台的提现截图，找回需要 3–5 个工作日。\n\n{{ agent_name }}",
    ),
    (
        "Wrong network recovery",
        "Hello {{ customer_name }},\n\nwe have opened a recovery case for {{ reference }}. A "
        "recovery fee may apply and it can take up to 14 days. We will let you know the "
        "outcome here.\n\n{{ agent_name }}",
        "{{ customer_name }}您好，\n\n我们已为 {{ reference }} 提交错链找回申请，可能收取一定手续"
        "费，"
        "处理时间最长 14 天，结果会在这里通知您。\n\n{{ agent_name }}",
    ),
    (
        "2FA reset steps",
        'Hello {{ customer_name }},\n\nto reset two-factor authentication please use "Lost 2FA" '
        "on the sign-in page and upload your ID and a selfie holding it. Mention {{ reference }} "
        "so we can link your request.\n\n{{ agent_name }}",
        "{{ customer_name }}您好，\n\n重置二次验证请在登录页点击“无法使用验证器”，上传证件和手持"
        "证件自拍，"
        "并注明工单号 {{ reference }} 以便我们关联处理。\n\n{{ agent_name }}",
    ),
    (
        "KYC photo tips",
        "Hello {{ customer_name }},\n\nplease photograph your document on a dark surface with all "
        "four corners visible, no glare and no filters, then resubmit. I will watch "
        "{{ reference }} and check it as soon as it arrives.\n\n{{ agent_name }}",
        "{{ customer_name }}您好，\n\n请把证件放在深色背景上拍摄，四角完整、无反光、不要使用滤镜"
        "，然后重新提交。"
        "我会跟进 {{ reference }}，收到后尽快审核。\n\n{{ agent_name }}",
    ),
    (
        "Account frozen for security",
        "Hello {{ customer_name }},\n\nwe have frozen your account to protect your funds while "
        "we investigate {{ reference }}. Please change your email password and do not share "
        "verification codes with anyone, including people claiming to be our staff.\n\n"
        "{{ agent_name }}",
        "{{ customer_name }}您好，\n\n为保护您的资产，我们在调查 {{ reference }} 期间已冻结您的账"
        "户。请立即修改"
        "邮箱密码，不要向任何人（包括自称客服的人）透露验证码。\n\n{{ agent_name }}",
    ),
    (
        "Closing follow-up",
        "Hello {{ customer_name }},\n\nI'm glad we could sort out {{ reference }}. If anything "
        "else comes up, just reply here and the conversation reopens.\n\n{{ agent_name }}",
        "{{ customer_name }}您好，\n\n很高兴 {{ reference }} 的问题已经解决。如有其他问题，直接回"
        "复即可重新打开。"
        "\n\n{{ agent_name }}",
    ),
)
