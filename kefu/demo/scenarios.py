"""What the demo's customers write about, in English and Simplified Chinese.

Each scenario is a real exchange support problem with the same shape in both languages, so both
inboxes look alive. Placeholders in ``{braces}`` are filled per conversation (``{name}``,
``{amount}``, ``{asset}``, ``{network}``, ``{txid}``, ``{hours}``, ``{uid}``, ``{email}``). Used by
the demo seeder and, for realistic text, by the benchmark seeder.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kefu.conversations.models import Category
from kefu.demo.content import FUNDS, KYC, SECURITY, VIP

# --- scenarios --------------------------------------------------------------------------------

CHAIN_ASSETS: tuple[tuple[str, str], ...] = (
    ("USDT", "TRC20"), ("USDT", "TRC20"), ("USDT", "ERC20"), ("USDT", "BEP20"),
    ("BTC", "Bitcoin"), ("ETH", "ERC20"), ("ETH", "Arbitrum One"), ("SOL", "Solana"),
    ("USDC", "Polygon"), ("TRX", "TRC20"),
)  # fmt: skip
MEMO_ASSETS: tuple[tuple[str, str], ...] = (
    ("XRP", "XRP Ledger"),
    ("XLM", "Stellar"),
    ("ATOM", "Cosmos"),
    ("TON", "TON"),
    ("EOS", "EOS"),
)
TRADE_ASSETS: tuple[tuple[str, str], ...] = (("BTC", ""), ("ETH", ""), ("SOL", ""), ("DOGE", ""))


@dataclass(frozen=True)
class Texts:
    """One language's words for a scenario; each tuple holds variants picked at random."""

    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...]
    escalations: tuple[str, ...] = ()
    escalations_l3: tuple[str, ...] = ()
    hold_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    key: str
    category: str
    team: str | None
    weight: int
    priority: int  # usual priority (0 low .. 3 urgent)
    tags: tuple[str, ...]
    assets: tuple[tuple[str, str], ...]  # (asset, network) pairs, or () for no transaction
    has_txid: bool
    escalate_rate: float
    en: Texts
    zh: Texts
    channels: tuple[str, ...] = field(default=())

    def texts(self, language: str) -> Texts:
        return self.zh if language.startswith("zh") else self.en


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="withdrawal_pending",
        category=Category.WITHDRAWAL,
        team=FUNDS,
        weight=14,
        priority=1,
        tags=("network-congestion",),
        assets=CHAIN_ASSETS,
        has_txid=False,
        escalate_rate=0.15,
        en=Texts(
            subjects=(
                "Withdrawal of {amount} {asset} stuck in pending",
                "{asset} withdrawal pending for {hours} hours",
                "Withdrawal still processing after {hours}h",
            ),
            bodies=(
                "Hi, I requested a withdrawal of {amount} {asset} on the {network} network {hours} "
                'hours ago and it still shows "Pending". My UID is {uid}. Can you check what is '
                "going on? I need the funds today.",
                "My withdrawal ({amount} {asset}, {network}) has been processing since yesterday. "
                "Other withdrawals were instant. Is something wrong with my account? UID {uid}.",
            ),
            replies=(
                "Hello {name}, thanks for your patience. Withdrawals on {network} are delayed by "
                "network congestion and your request is in the queue. I have flagged it for "
                "priority processing and will update you here.",
                "Hi {name}, I checked your withdrawal of {amount} {asset}: it passed the risk "
                "review and is waiting to be broadcast on {network}. It should arrive within two "
                "hours.",
            ),
            notes=(
                "Checked the hot wallet: the {network} queue has ~240 pending. Finance says ETA 2"
                "h.",
                "Risk engine held it for a manual review (new withdrawal address). Cleared now.",
            ),
            escalations=(
                "Pending over 12h, needs finance approval to release.",
                "Large amount held by risk review, L2 must approve.",
            ),
            hold_notes=("Waiting for finance to top up the {network} hot wallet.",),
        ),
        zh=Texts(
            subjects=(
                "{amount} {asset} 提现一直在审核中",
                "{asset} 提现已经 {hours} 小时还是待处理",
                "提现处理中，迟迟没有到账",
            ),
            bodies=(
                "你好，我在 {hours} 小时前提交了 {amount} {asset}（{network} 网络）的提现，到现在"
                "还显示"
                "“待处理”。我的 UID 是 {uid}，麻烦帮我查一下是什么原因，今天急用。",
                "我的提现（{amount} {asset}，{network}）从昨天开始一直处理中，以前都是秒到。"
                "是不是我的账户有问题？UID {uid}。",
            ),
            replies=(
                "{name}您好，感谢耐心等待。目前 {network} 网络拥堵导致提现延迟，您的申请正在排队"
                "处理。"
                "我已为您加急，有进展会第一时间在这里通知您。",
                "{name}您好，已查到您 {amount} {asset} 的提现已通过风控审核，正在等待 {network} "
                "链上广播，"
                "预计两小时内到账。",
            ),
            notes=(
                "已查热钱包：{network} 队列积压约 240 笔，财务预计 2 小时内处理。",
                "新提现地址触发风控人工审核，现已放行。",
            ),
            escalations=(
                "超过 12 小时未处理，需要财务审批放行。",
                "大额提现被风控拦截，需要二线审批。",
            ),
            hold_notes=("等待财务给 {network} 热钱包补充余额。",),
        ),
    ),
    Scenario(
        key="withdrawal_not_received",
        category=Category.WITHDRAWAL,
        team=FUNDS,
        weight=12,
        priority=2,
        tags=(),
        assets=CHAIN_ASSETS,
        has_txid=True,
        escalate_rate=0.15,
        en=Texts(
            subjects=(
                "Withdrawal completed but {asset} not received",
                "Withdrawal marked complete, nothing in my wallet",
                "{amount} {asset} withdrawal never arrived",
            ),
            bodies=(
                "The withdrawal of {amount} {asset} shows Completed, TxID {txid}, network "
                "{network}, but my wallet still shows nothing after {hours} hours.",
                "I withdrew {amount} {asset} to my Ledger over {network}. Your site says it was "
                "sent (TxID {txid}) but the balance in my wallet did not change. Please help.",
            ),
            replies=(
                "Hello {name}, the transaction {txid} is confirmed on {network} with the full "
                "amount to the address you gave. Please check that your wallet is set to the "
                "{network} network, or contact the receiving platform with this TxID.",
                "Hi {name}, I can see the transfer on the {network} explorer with enough "
                "confirmations. If the receiving side is another exchange, they may need the TxID "
                "to credit it manually.",
            ),
            notes=(
                "On-chain confirmed, 64 confirmations. Receiving side is another exchange.",
                "Address belongs to a custodial wallet that batches deposits every few hours.",
            ),
            escalations=("Customer insists funds missing; needs on-chain trace by L2.",),
            hold_notes=("Waiting for the receiving exchange to answer our email.",),
        ),
        zh=Texts(
            subjects=(
                "提现显示成功但钱包未到账",
                "{asset} 提现已完成，钱包没收到",
                "{amount} {asset} 提现一直没到",
            ),
            bodies=(
                "提现 {amount} {asset} 显示已完成，交易哈希 {txid}，网络 {network}，但是过了 "
                "{hours} "
                "小时钱包还是没有到账。",
                "我把 {amount} {asset} 通过 {network} 提到自己的冷钱包，网站显示已发出（交易哈希 "
                "{txid}），"
                "可是钱包余额没有变化，请帮忙查一下。",
            ),
            replies=(
                "{name}您好，交易 {txid} 已在 {network} 链上确认，金额已全部发送至您填写的地址。"
                "请确认您的钱包已切换到 {network} 网络，或者拿这个交易哈希联系收款平台。",
                "{name}您好，区块浏览器上可以看到这笔转账且确认数已足够。如果收款方是其他交易所，"
                "可能需要您提供交易哈希让对方手动入账。",
            ),
            notes=(
                "链上已确认 64 个区块，收款方为其他交易所。",
                "收款地址是托管钱包，每隔几小时批量入账。",
            ),
            escalations=("客户坚称未到账，需要二线做链上追踪。",),
            hold_notes=("等待收款交易所回复邮件。",),
        ),
    ),
    Scenario(
        key="deposit_not_credited",
        category=Category.DEPOSIT,
        team=FUNDS,
        weight=14,
        priority=1,
        tags=(),
        assets=CHAIN_ASSETS,
        has_txid=True,
        escalate_rate=0.1,
        en=Texts(
            subjects=(
                "Deposit of {amount} {asset} not credited",
                "{asset} deposit not showing in my account",
                "Deposit confirmed on chain but balance is 0",
            ),
            bodies=(
                "I deposited {amount} {asset} via {network} {hours} hours ago. TxID: {txid}. The "
                "explorer shows it confirmed but my balance has not changed.",
                "Sent {amount} {asset} from another exchange over {network}, TxID {txid}. Still "
                "not in my spot wallet. UID {uid}.",
            ),
            replies=(
                "Hello {name}, thanks for the TxID. Your deposit is waiting for the required "
                "network confirmations and will be credited automatically once they are reached. "
                "I will keep an eye on it.",
                "Hi {name}, the deposit of {amount} {asset} has now been credited to your spot "
                "wallet. Sorry for the wait: our {network} node was briefly behind.",
            ),
            notes=(
                "Node for {network} was behind by ~300 blocks; ops restarted it.",
                "Deposit sits in the unmatched queue, amount below the minimum deposit?",
            ),
            escalations=("Deposit stuck in unmatched queue, needs manual crediting.",),
            hold_notes=("Waiting for ops to resync the {network} node.",),
        ),
        zh=Texts(
            subjects=(
                "{asset} 充值未到账",
                "充值 {amount} {asset} 一直没有入账",
                "链上已确认但余额为 0",
            ),
            bodies=(
                "我 {hours} 小时前通过 {network} 充值了 {amount} {asset}，交易哈希：{txid}。"
                "区块浏览器显示已确认，但是账户余额没有变化。",
                "从别的交易所转了 {amount} {asset} 过来（{network}），交易哈希 {txid}，现货账户还"
                "是没有。"
                "UID {uid}。",
            ),
            replies=(
                "{name}您好，感谢提供交易哈希。您的充值正在等待网络确认，达到所需确认数后会自动入"
                "账，"
                "我会持续跟进。",
                "{name}您好，您充值的 {amount} {asset} 已经入账到现货账户。抱歉久等，之前 "
                "{network} "
                "节点短暂延迟。",
            ),
            notes=(
                "{network} 节点落后约 300 个区块，运维已重启。",
                "充值进入未匹配队列，金额是否低于最小充值额？",
            ),
            escalations=("充值卡在未匹配队列，需要手动入账。",),
            hold_notes=("等待运维重新同步 {network} 节点。",),
        ),
    ),
    Scenario(
        key="deposit_missing_memo",
        category=Category.DEPOSIT,
        team=FUNDS,
        weight=8,
        priority=1,
        tags=("memo-missing", "recovery"),
        assets=MEMO_ASSETS,
        has_txid=True,
        escalate_rate=0.35,
        en=Texts(
            subjects=(
                "Forgot the memo tag on my {asset} deposit",
                "{asset} deposit without destination tag",
                "Deposit missing memo - how do I recover it?",
            ),
            bodies=(
                "I sent {amount} {asset} to my deposit address but forgot to include the "
                "memo/tag. TxID {txid}. How can I get it credited?",
                "My {asset} deposit from another exchange did not include the destination tag. "
                "TxID {txid}, amount {amount}. Is it lost?",
            ),
            replies=(
                "Hello {name}, deposits without a memo cannot be matched automatically. Please "
                "send the TxID and a screenshot of the withdrawal from the sending platform; "
                "recovery usually takes 3-5 business days.",
                "Hi {name}, your {asset} is safe in our wallet. We have started the recovery and "
                "will credit it once the ownership check is complete.",
            ),
            notes=("Found the transfer in the {asset} wallet without a tag; ownership to verify.",),
            escalations=("Memo recovery needs L2 wallet access.",),
            hold_notes=("Waiting for the wallet team's weekly recovery batch.",),
        ),
        zh=Texts(
            subjects=(
                "{asset} 充值忘记填写 Memo 标签",
                "充币没填标签（Memo），怎么找回",
                "{asset} 充值漏填 Memo",
            ),
            bodies=(
                "我往充值地址转了 {amount} {asset}，但是忘记填写 Memo 标签了。交易哈希 {txid}，"
                "请问怎么才能找回入账？",
                "从其他平台提 {asset} 过来没有填标签，交易哈希 {txid}，数量 {amount}，还能找回吗？",
            ),
            replies=(
                "{name}您好，未填写 Memo 的充值无法自动匹配入账。请提供交易哈希和转出平台的提现截"
                "图，"
                "找回一般需要 3–5 个工作日。",
                "{name}您好，您的 {asset} 在我们的钱包里，资产是安全的。找回流程已启动，核实归属"
                "后会为您入账。",
            ),
            notes=("已在 {asset} 钱包找到这笔无标签转账，需核实归属。",),
            escalations=("找回 Memo 需要二线钱包权限。",),
            hold_notes=("等待钱包团队每周一次的批量找回。",),
        ),
    ),
    Scenario(
        key="deposit_wrong_network",
        category=Category.DEPOSIT,
        team=FUNDS,
        weight=7,
        priority=2,
        tags=("wrong-network", "recovery"),
        assets=CHAIN_ASSETS,
        has_txid=True,
        escalate_rate=0.4,
        en=Texts(
            subjects=(
                "Sent {asset} on the wrong network",
                "Deposited {asset} via {network} to an address on another chain",
                "Wrong network deposit - can you recover it?",
            ),
            bodies=(
                "I sent {amount} {asset} using {network}, but I think the address was for a "
                "different network. TxID {txid}. Is my money lost?",
                "Help! I chose {network} when withdrawing from my other exchange but my deposit "
                "address here is on another network. {amount} {asset}, TxID {txid}.",
            ),
            replies=(
                "Hello {name}, because the address exists on both networks we may be able to "
                "recover it. I have opened a recovery case; a recovery fee may apply and it can "
                "take up to 14 days.",
                "Hi {name}, wrong-network deposits need our wallet team to move the funds "
                "manually. I have passed your case on and will keep you updated.",
            ),
            notes=("Funds visible on {network} at our address; recovery is possible.",),
            escalations=("Wrong-network recovery requires L2 approval.",),
            hold_notes=("Recovery scheduled with the wallet team, up to 14 days.",),
        ),
        zh=Texts(
            subjects=(
                "{asset} 充错网络了",
                "充值选错链，资产能找回吗",
                "通过 {network} 充到了其他链的地址",
            ),
            bodies=(
                "我用 {network} 转了 {amount} {asset}，但好像充值地址是另一条链的。交易哈希 "
                "{txid}，"
                "我的钱还能找回吗？",
                "从别的交易所提币时选了 {network}，但这里的充值地址是别的网络。{amount} {asset}，"
                "交易哈希 {txid}，急！",
            ),
            replies=(
                "{name}您好，由于该地址在两条链上相同，资产有可能找回。我已为您提交找回申请，"
                "可能会收取一定手续费，处理时间最长 14 天。",
                "{name}您好，错链充值需要钱包团队手动处理，我已提交您的申请，有进展会通知您。",
            ),
            notes=("资产在我们地址的 {network} 链上可见，可以找回。",),
            escalations=("错链找回需要二线审批。",),
            hold_notes=("已与钱包团队排期找回，最长 14 天。",),
        ),
    ),
    Scenario(
        key="account_locked",
        category=Category.ACCOUNT,
        team=SECURITY,
        weight=8,
        priority=2,
        tags=("phishing",),
        assets=(),
        has_txid=False,
        escalate_rate=0.1,
        en=Texts(
            subjects=(
                "My account is locked",
                "Account locked after too many login attempts",
                "Cannot log in - account frozen",
            ),
            bodies=(
                "I can't log in, it says my account is locked. UID {uid}. I didn't do anything "
                "unusual.",
                "After entering a wrong password a few times my account got locked. How long do "
                "I have to wait? I have open orders.",
            ),
            replies=(
                "Hello {name}, for your security the account was locked after several failed "
                "sign-in attempts. Please complete the unlock verification from the link we "
                "emailed you; it needs a selfie and your ID.",
                "Hi {name}, I have verified your identity and unlocked the account. Please change "
                "your password and turn on 2FA if you have not already.",
            ),
            notes=("Login attempts came from 3 countries in 1h, likely credential stuffing.",),
            escalations=("Unlock requested after fraud flag, L2 must review.",),
            hold_notes=("Waiting for the customer's unlock verification to be reviewed.",),
        ),
        zh=Texts(
            subjects=("账户被锁定无法登录", "多次输错密码后账号被冻结", "登录提示账户已锁定"),
            bodies=(
                "我无法登录，提示账户已被锁定。UID {uid}，我没有做过任何异常操作。",
                "输错几次密码之后账户就被锁了，要等多久才能解锁？我还有挂单没处理。",
            ),
            replies=(
                "{name}您好，出于安全考虑，多次登录失败后账户已被锁定。请通过我们发送到您邮箱的链接"
                "完成解锁验证，需要自拍和证件照片。",
                "{name}您好，身份已核实，账户已为您解锁。请尽快修改密码并开启二次验证。",
            ),
            notes=("1 小时内有来自 3 个国家的登录尝试，疑似撞库。",),
            escalations=("账户有风控标记，解锁需要二线审核。",),
            hold_notes=("等待客户提交的解锁验证审核。",),
        ),
    ),
    Scenario(
        key="forgot_password",
        category=Category.ACCOUNT,
        team=SECURITY,
        weight=6,
        priority=0,
        tags=(),
        assets=(),
        has_txid=False,
        escalate_rate=0.0,
        en=Texts(
            subjects=(
                "Forgot my password",
                "Password reset email never arrives",
                "Can't reset password",
            ),
            bodies=(
                "I forgot my password and the reset email never arrives. I checked spam too. "
                "Email is {email}.",
                "The password reset link says it has expired every time I click it.",
            ),
            replies=(
                "Hello {name}, I've re-sent the reset link. It is valid for 30 minutes; please "
                "also add our address to your contacts. Note that withdrawals are paused for 24 "
                "hours after a password change.",
                "Hi {name}, reset links expire after 30 minutes and only the newest one works. "
                "Please request a new one and open it right away.",
            ),
            notes=("Mail log shows the reset mail was rejected by the recipient's server.",),
        ),
        zh=Texts(
            subjects=("忘记登录密码", "收不到重置密码的邮件", "重置密码链接失效"),
            bodies=(
                "我忘记了登录密码，重置密码的邮件一直收不到，垃圾箱也看过了。邮箱是 {email}。",
                "每次点重置密码的链接都提示已过期，怎么办？",
            ),
            replies=(
                "{name}您好，已为您重新发送重置链接，30 分钟内有效，请把我们的邮箱加入通讯录。"
                "注意：修改密码后 24 小时内无法提现。",
                "{name}您好，重置链接 30 分钟后失效，并且只有最新的一封有效。请重新申请后立即打开"
                "。",
            ),
            notes=("邮件日志显示重置邮件被对方服务器拒收。",),
        ),
    ),
    Scenario(
        key="lost_2fa",
        category=Category.TWO_FA,
        team=SECURITY,
        weight=8,
        priority=1,
        tags=(),
        assets=(),
        has_txid=False,
        escalate_rate=0.25,
        en=Texts(
            subjects=(
                "Lost my phone with Google Authenticator",
                "Need to reset 2FA",
                "2FA codes not accepted",
            ),
            bodies=(
                "My phone was stolen and I lost my authenticator app. I can't log in to my "
                "account (UID {uid}). How do I reset 2FA?",
                "I got a new phone and my 2FA codes are always rejected. I can't withdraw "
                "anything.",
            ),
            replies=(
                "Hello {name}, I'm sorry to hear that. To reset 2FA we need to verify your "
                "identity: please use the 'Lost 2FA' option on the login page and upload your ID "
                "and a selfie holding it. A reviewer checks it within 24 hours.",
                "Hi {name}, codes are rejected when the phone's clock is off. Please turn on "
                "automatic time on the phone and try again; if that fails we can reset 2FA.",
            ),
            notes=("Selfie matches ID; device change 3 days ago. OK to reset after L2 check.",),
            escalations=("Identity check needed before 2FA reset.",),
            hold_notes=("Waiting 48h security hold before 2FA reset takes effect.",),
        ),
        zh=Texts(
            subjects=(
                "手机丢了，谷歌验证器无法使用",
                "申请重置二次验证（2FA）",
                "二次验证码一直提示错误",
            ),
            bodies=(
                "我的手机被偷了，谷歌验证器没了，现在登录不了账户（UID {uid}）。请问怎么重置二次"
                "验证？",
                "换了新手机以后验证码一直提示错误，现在没法提现。",
            ),
            replies=(
                "{name}您好，很抱歉听到这个消息。重置二次验证需要核实您的身份：请在登录页点击“无"
                "法使用验证器”，"
                "上传证件和手持证件自拍，审核会在 24 小时内完成。",
                "{name}您好，手机时间不准会导致验证码错误。请打开手机的自动设置时间后再试，仍不行"
                "的话我们可以为您重置。",
            ),
            notes=("自拍与证件一致，3 天前更换设备。二线复核后可重置。",),
            escalations=("重置 2FA 前需要身份核验。",),
            hold_notes=("重置 2FA 需等待 48 小时安全期。",),
        ),
    ),
    Scenario(
        key="kyc_rejected",
        category=Category.KYC,
        team=KYC,
        weight=9,
        priority=1,
        tags=("kyc-resubmit",),
        assets=(),
        has_txid=False,
        escalate_rate=0.2,
        en=Texts(
            subjects=(
                "KYC verification rejected",
                "Why was my identity verification rejected?",
                "Verification failed again",
            ),
            bodies=(
                'My KYC was rejected with the reason "document unclear". I uploaded my passport '
                "twice. What is wrong?",
                "I can't finish identity verification, the face check fails every time. I need "
                "it to raise my withdrawal limit.",
            ),
            replies=(
                "Hello {name}, the photo of the passport page was cut off at the bottom, so the "
                "MRZ lines could not be read. Please take the photo on a dark surface with all "
                "four corners visible and resubmit.",
                "Hi {name}, the face check needs good light and no glasses. Please try again in a "
                "bright room; I will review the new attempt myself.",
            ),
            notes=("Second rejection; OCR confidence 0.41. Manual review if third fails.",),
            escalations=("Repeated rejection, needs manual review.",),
            hold_notes=("Waiting for the verification provider's manual review.",),
        ),
        zh=Texts(
            subjects=("实名认证（KYC）被拒绝", "身份认证审核不通过是什么原因", "人脸识别一直失败"),
            bodies=(
                "我的实名认证被拒了，原因是“证件不清晰”。护照已经上传两次了，到底是哪里有问题？",
                "身份认证的人脸识别每次都失败，我需要完成认证才能提高提现额度。",
            ),
            replies=(
                "{name}您好，护照照片底部被截掉了，机读码无法识别。请把证件放在深色背景上，四个角"
                "完整入镜后重新提交。",
                "{name}您好，人脸识别需要光线充足并摘下眼镜。请在明亮的地方重试，我会亲自审核您的"
                "新提交。",
            ),
            notes=("第二次被拒，OCR 置信度 0.41，第三次失败转人工审核。",),
            escalations=("多次被拒，需要人工复核。",),
            hold_notes=("等待认证服务商人工审核。",),
        ),
    ),
    Scenario(
        key="fees",
        category=Category.FEES,
        team=FUNDS,
        weight=6,
        priority=0,
        tags=(),
        assets=CHAIN_ASSETS,
        has_txid=False,
        escalate_rate=0.0,
        en=Texts(
            subjects=(
                "Why is the withdrawal fee so high?",
                "Question about trading fees and VIP levels",
                "Fee charged twice?",
            ),
            bodies=(
                "I withdrew {amount} {asset} and was charged a much higher fee than last week. Is "
                "the fee fixed or does it change?",
                "How do I get lower trading fees? I trade about 500k USDT a month.",
            ),
            replies=(
                "Hello {name}, withdrawal fees follow the network's gas price, so they change "
                "during busy periods. You can pick a cheaper network such as TRC20 for USDT. "
                "Trading fees depend on your VIP level.",
                "Hi {name}, with that volume you qualify for VIP 1 fees from next month. Holding "
                "our platform token gives a further 20% discount.",
            ),
            notes=("Fee table was updated on Monday; the customer saw the old one.",),
        ),
        zh=Texts(
            subjects=(
                "提现手续费为什么这么高",
                "关于交易手续费和 VIP 等级的问题",
                "手续费是不是扣了两次",
            ),
            bodies=(
                "我提现 {amount} {asset}，手续费比上周高了很多。手续费是固定的还是会变？",
                "怎样才能降低交易手续费？我每个月大概交易 50 万 USDT。",
            ),
            replies=(
                "{name}您好，提现手续费根据链上 Gas 价格浮动，网络繁忙时会升高。USDT 可以选择 TRC"
                "20 等"
                "费用更低的网络。交易手续费则与您的 VIP 等级有关。",
                "{name}您好，按您的交易量下个月即可享受 VIP 1 费率，持有平台币还可再享 8 折。",
            ),
            notes=("周一更新了费率表，客户看到的是旧版本。",),
        ),
    ),
    Scenario(
        key="how_to_trade",
        category=Category.TRADING,
        team=VIP,
        weight=6,
        priority=0,
        tags=(),
        assets=TRADE_ASSETS,
        has_txid=False,
        escalate_rate=0.0,
        en=Texts(
            subjects=(
                "How do I place a limit order?",
                "How does a stop-limit order work?",
                "Question about futures margin",
            ),
            bodies=(
                "I'm new here. How do I buy {asset} with a limit order so it only fills at my "
                "price?",
                "My stop-limit order on {asset} did not fill even though the price went past my "
                "stop. Why?",
            ),
            replies=(
                "Hello {name}, open Spot trading, pick the {asset}/USDT pair, choose 'Limit', "
                "enter your price and amount, then Buy. The order stays open until the market "
                "reaches your price; you can cancel it under Open Orders.",
                "Hi {name}, a stop-limit places a limit order when the stop is hit; if the price "
                "moves past your limit too fast the order stays open unfilled. A stop-market "
                "order would have filled.",
            ),
            notes=("Customer is new; sent the beginner's guide link as well.",),
        ),
        zh=Texts(
            subjects=("如何下限价单", "止盈止损单怎么设置", "合约保证金的问题"),
            bodies=(
                "我是新手，请问怎么用限价单买 {asset}，只在我设定的价格成交？",
                "我的 {asset} 止损限价单价格已经触发了，为什么没有成交？",
            ),
            replies=(
                "{name}您好，进入现货交易，选择 {asset}/USDT 交易对，点“限价”，输入价格和数量后点"
                "击买入。"
                "订单会挂在盘口直到价格达到您的设定，可以在“当前委托”中撤单。",
                "{name}您好，止损限价单在触发后会挂出限价单，如果价格瞬间越过您的限价，订单就会挂"
                "着不成交。"
                "使用止损市价单则会立即成交。",
            ),
            notes=("新手用户，已同时发送新手指南链接。",),
        ),
    ),
    Scenario(
        key="hacked",
        category=Category.SECURITY,
        team=SECURITY,
        weight=7,
        priority=3,
        tags=("phishing", "compensation"),
        assets=CHAIN_ASSETS,
        has_txid=True,
        escalate_rate=0.6,
        en=Texts(
            subjects=(
                "My account was hacked - unauthorised withdrawal",
                "Unauthorised transaction on my account",
                "Someone logged in from another country and withdrew my {asset}",
            ),
            bodies=(
                "Someone logged into my account and withdrew {amount} {asset} to an address I "
                "don't know! TxID {txid}. I did not do this. Please freeze my account now!",
                "I got an email about a new device login and then a withdrawal of {amount} "
                "{asset} on {network}. It wasn't me. UID {uid}.",
            ),
            replies=(
                "Hello {name}, I've frozen your account to stop any further activity. Please "
                "change your email password and check your devices for malware. Our security "
                "team is tracing the transaction {txid}.",
                "Hi {name}, your account is frozen and all API keys are revoked. We have asked "
                "the receiving exchange to freeze the funds from {txid}.",
            ),
            notes=(
                "Session from new device 2h before the withdrawal, API key created. Possible "
                "phishing.",
                "Receiving address belongs to a known mixer; filed a freeze request.",
            ),
            escalations=("Possible account takeover, funds left the platform.",),
            escalations_l3=("Loss above threshold, needs management decision on compensation.",),
            hold_notes=("Waiting for law enforcement report from the customer.",),
        ),
        zh=Texts(
            subjects=(
                "账户被盗，有一笔不是我操作的提现",
                "发现未经授权的交易",
                "异地登录后 {asset} 被转走",
            ),
            bodies=(
                "有人登录了我的账户，把 {amount} {asset} 提到了一个陌生地址！交易哈希 {txid}，不"
                "是我本人"
                "操作的，请马上冻结我的账户！",
                "我收到新设备登录的邮件，接着就有一笔 {amount} {asset}（{network}）的提现，不是我"
                "操作的。UID {uid}。",
            ),
            replies=(
                "{name}您好，已为您冻结账户，防止进一步损失。请立即修改邮箱密码并检查设备是否有恶"
                "意软件。"
                "安全团队正在追踪交易 {txid}。",
                "{name}您好，账户已冻结，所有 API Key 已撤销。我们已联系收款交易所冻结交易 {txid}"
                " 的资金。",
            ),
            notes=(
                "提现前 2 小时有新设备登录并创建了 API Key，疑似钓鱼。",
                "收款地址属于已知混币器，已提交冻结请求。",
            ),
            escalations=("疑似账户被盗，资产已转出。",),
            escalations_l3=("损失超过阈值，需要管理层决定是否赔付。",),
            hold_notes=("等待客户提供报案回执。",),
        ),
    ),
)

# Generic turns that fit every scenario.
FOLLOW_UPS = {
    "en": (
        "Any update? It has been a while.",
        "Hi, I'm still waiting on this. Can you check again?",
        "I did what you said but it's still the same.",
        "Here is the screenshot you asked for. Please take a look.",
    ),
    "zh": (
        "请问有进展吗？已经等了很久了。",
        "你好，还是没有解决，能再帮我看一下吗？",
        "按你说的做了，还是一样。",
        "截图已经发了，麻烦看一下。",
    ),
}
THANKS = {
    "en": ("Thanks, it's there now!", "Got it, thank you for the help.", "Perfect, all sorted."),
    "zh": ("谢谢，已经到账了！", "收到了，谢谢你们的帮助。", "好的，问题解决了，谢谢。"),
}
CLOSING_REPLIES = {
    "en": (
        "Glad to hear it, {name}! I'll mark this as solved. Reply here if anything else comes up.",
        "You're welcome, {name}. Closing this one now; have a good day.",
    ),
    "zh": (
        "{name}您好，很高兴问题已经解决，我先将工单标记为已解决，有问题随时回复。",
        "不客气，{name}！祝您生活愉快，本工单先关闭。",
    ),
}
SENIOR_NOTES = {
    "en": ("Took over from L1. Reviewed the history, proceeding.", "Approved. Finance informed."),
    "zh": ("已从一线接手，看过记录，继续处理。", "已审批，并通知财务。"),
}


# --- values -----------------------------------------------------------------------------------

_DECIMALS = {"BTC": 4, "ETH": 3, "SOL": 2, "ATOM": 2, "TON": 1}


def sample_amount(rng: random.Random, asset: str) -> str:
    """A plausible amount of ``asset`` as customers write it."""
    if asset == "BTC":
        return f"{rng.uniform(0.005, 2.5):.4f}"
    if asset in _DECIMALS:
        return f"{rng.uniform(0.5, 80):.{_DECIMALS[asset]}f}"
    return f"{rng.choice((50, 120, 300, 500, 800, 1250, 2000, 5000, 12000, 48000)):,}"


def sample_txid(rng: random.Random, network: str) -> str:
    """A transaction id shaped like the ones on ``network``."""
    digest = f"{rng.getrandbits(256):064x}"
    if network in ("ERC20", "BEP20", "Arbitrum One", "Polygon"):
        return "0x" + digest
    if network == "XRP Ledger":
        return digest.upper()
    if network == "Solana":
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        return "".join(rng.choice(alphabet) for _ in range(87))
    return digest
