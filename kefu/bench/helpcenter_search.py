"""Help-center search, in process: a synthetic bilingual knowledge base and a latency benchmark.

``synthetic_corpus`` writes article-like documents in English and Chinese from exchange
vocabulary: ~8-word titles, ~250-word bodies, tags, section names; each article exists in both
languages (same ``article_id``), like translated help articles. A Zipf-distributed pool of
made-up words (Latin and two-character Chinese) is mixed into the bodies so the vocabulary is
tens of thousands of terms, like a real knowledge base, not the few hundred words of the
templates: that is what typo correction and prefix completion have to scan.

``run_search_bench`` builds a ``SearchIndex`` from it (time and memory), runs a mixed query set
(English, Chinese, mixed script, typos, prefixes, long deflection texts) several times, and
times upserts of changed articles. Latencies are per call, in milliseconds, nearest-rank
percentiles (as ``kefu bench chat``). Run it with
``python -m kefu.bench.helpcenter_search [n_per_language]``; it prints JSON.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from kefu.bench.chat import percentile
from kefu.helpcenter.search.analysis import analyze
from kefu.helpcenter.search.engine import IndexDoc, SearchIndex

COINS = ("BTC", "ETH", "USDT", "USDC", "XRP", "SOL", "TRX", "BNB", "DOGE", "ADA", "LTC", "TON")
NETWORKS = ("TRC20", "ERC20", "BEP20", "Solana", "Arbitrum", "Polygon", "Optimism", "Tron")


class Topic(NamedTuple):
    key: str
    titles_en: tuple[str, ...]
    titles_zh: tuple[str, ...]  # the same titles, translated
    tags_en: tuple[str, ...]
    tags_zh: tuple[str, ...]
    section_en: str
    section_zh: str


TOPICS = (
    Topic(
        "deposit",
        (
            "How to deposit {coin} on the {network} network",
            "Deposit of {coin} not credited to your account yet",
        ),
        ("如何通过 {network} 网络充值 {coin}", "{coin} 充值未到账的常见原因与处理方法"),
        ("deposit", "address", "network", "confirmations"),
        ("充值", "地址", "网络", "到账"),
        "Deposits",
        "充值",
    ),
    Topic(
        "withdraw",
        (
            "How to withdraw {coin} to an external wallet address",
            "Why is my {coin} withdrawal still pending or delayed",
        ),
        ("如何将 {coin} 提现到外部钱包地址", "{coin} 提现一直处理中或者未到账怎么办"),
        ("withdrawal", "pending", "network fee"),
        ("提现", "提币", "处理中"),
        "Withdrawals",
        "提现",
    ),
    Topic(
        "security",
        (
            "Set up two-factor authentication with Google Authenticator today",
            "Lost your 2FA device: how to reset Google Authenticator",
        ),
        ("如何绑定谷歌验证器开启双重验证", "谷歌验证器丢失或换手机后如何重置"),
        ("2fa", "security", "authenticator"),
        ("谷歌验证", "双重验证", "账户安全"),
        "Account security",
        "账户安全",
    ),
    Topic(
        "kyc",
        (
            "Identity verification (KYC): documents and selfie requirements",
            "Why was my identity verification rejected and what to do",
        ),
        ("实名认证需要准备哪些证件和人脸识别", "实名认证被拒绝的常见原因和解决办法"),
        ("kyc", "verification", "passport"),
        ("实名认证", "身份认证", "证件"),
        "Identity verification",
        "实名认证",
    ),
    Topic(
        "fees",
        (
            "Trading fees, withdrawal fees and VIP fee levels explained",
            "How {coin} network fees are calculated for withdrawals",
        ),
        ("交易手续费、提现手续费与 VIP 等级说明", "{coin} 提现网络手续费是如何计算的"),
        ("fees", "vip", "trading"),
        ("手续费", "费率", "交易"),
        "Fees",
        "费用",
    ),
    Topic(
        "card",
        (
            "Buy {coin} with a credit or debit card in minutes",
            "Card payment failed when buying crypto: common reasons",
        ),
        ("使用信用卡或借记卡快速购买 {coin}", "银行卡买币付款失败的常见原因"),
        ("buy crypto", "card", "visa"),
        ("买币", "银行卡", "信用卡"),
        "Buy crypto",
        "买币",
    ),
    Topic(
        "account",
        (
            "My account was hacked or funds stolen: what to do now",
            "Account locked or frozen after failed login attempts",
        ),
        ("账号被盗或资产被转走后应该怎么办", "多次登录失败后账户被锁定或冻结"),
        ("hacked", "locked", "login"),
        ("被盗", "冻结", "登录"),
        "Account and login",
        "账户与登录",
    ),
    Topic(
        "futures",
        (
            "How {coin} perpetual futures funding rates and liquidation work",
            "Understanding margin, leverage and liquidation price",
        ),
        ("{coin} 永续合约资金费率与强平机制说明", "保证金、杠杆倍数与强平价格详解"),
        ("futures", "leverage", "liquidation"),
        ("合约", "杠杆", "强平"),
        "Futures",
        "合约交易",
    ),
    Topic(
        "earn",
        (
            "Stake {coin} and earn daily rewards with flexible savings",
            "Redeem staked {coin} before the lock period ends",
        ),
        ("质押 {coin} 获取每日收益的活期理财", "锁定期结束前如何赎回质押的 {coin}"),
        ("staking", "earn", "savings"),
        ("质押", "理财", "收益"),
        "Earn",
        "理财",
    ),
)

# English sentences and their Chinese translations, in the same order.
SENTENCES_EN = (
    "Open the Wallet page and choose the {coin} balance you want to use.",
    "Always select the same network, for example {network}, on both platforms.",
    "If you choose the wrong network your funds may be lost and recovery can take weeks.",
    "A deposit is credited after the required number of block confirmations on {network}.",
    "Withdrawals are usually processed within 30 minutes unless held for a security review.",
    "You can follow the transaction on a block explorer with its transaction hash (TxID).",
    "Coins such as XRP and XLM also need a memo or destination tag in addition to the address.",
    "For your safety, withdrawals are disabled for 24 hours after a password or 2FA reset.",
    "Enter the six-digit code from Google Authenticator and the code sent to your email.",
    "Keep your backup key offline; it is the only way to restore 2FA without support.",
    "Identity verification usually takes a few minutes and raises your daily withdrawal limit.",
    "Upload a clear photo of your passport, national ID card or driving licence and a selfie.",
    "The network fee is paid to miners and depends on congestion; it is shown before you confirm.",
    "VIP levels are based on your 30-day trading volume and lower your maker and taker fees.",
    "If your card payment failed, check that 3-D Secure is enabled and your bank allows it.",
    "If you notice logins or withdrawals you did not make, freeze your account immediately.",
    "After five failed login attempts the account is locked for two hours to protect you.",
    "Liquidation happens when your margin falls below the maintenance margin of the position.",
    "Funding is exchanged between long and short positions every eight hours.",
    "Staking rewards are paid daily and can be redeemed at any time for flexible products.",
    "Contact support from the help center if the problem continues after these steps.",
    "We never ask for your password or 2FA codes by phone, email or chat.",
    "The minimum withdrawal amount for {coin} on {network} is shown on the withdrawal page.",
    "Pending transactions may take longer when the {network} network is congested.",
)
SENTENCES_ZH = (
    "打开钱包页面，选择您要使用的 {coin} 余额。",
    "转出和转入平台必须选择相同的网络，例如 {network}。",
    "如果选择了错误的网络，资产可能丢失，找回需要数周时间。",
    "充值在 {network} 网络达到所需的区块确认数后到账。",
    "提现通常在 30 分钟内处理完成，安全审核期间会显示处理中。",
    "您可以使用交易哈希（TxID）在区块浏览器中查询交易状态。",
    "XRP、XLM 等币种除了地址之外还需要填写备注或标签。",
    "为了您的资产安全，重置密码或谷歌验证器后 24 小时内无法提现。",
    "请输入谷歌验证器中的六位动态码以及邮箱收到的验证码。",
    "请离线保存备份密钥，这是无需联系客服即可恢复双重验证的唯一方式。",
    "实名认证通常在几分钟内完成，完成后可以提高每日提现限额。",
    "请上传清晰的护照、身份证或驾照照片，并完成人脸识别自拍。",
    "网络手续费支付给矿工，金额取决于网络拥堵情况，确认前会显示。",
    "VIP 等级根据 30 天交易量计算，可以降低挂单和吃单手续费。",
    "如果银行卡付款失败，请确认已开通 3-D 安全验证并且银行允许付款。",
    "如果发现不是您本人的登录或提现，请立即冻结账户。",
    "连续五次登录失败后，账户会被锁定两小时以保护您的资产。",
    "当保证金低于维持保证金时，仓位会被强制平仓。",
    "资金费用每八小时在多头和空头之间交换一次。",
    "质押收益每日发放，活期产品可以随时赎回。",
    "如果按照以上步骤操作后问题仍然存在，请通过帮助中心联系客服。",
    "我们绝不会通过电话、邮件或聊天索取您的密码或谷歌验证码。",
    "{coin} 在 {network} 网络的最低提现数量显示在提现页面。",
    "{network} 网络拥堵时，处理中的交易可能需要更长时间。",
)

_SYLLABLES = ("ka", "zo", "ri", "vex", "lun", "tar", "mi", "qua", "sel", "dor", "pex", "ny")
_HAN_POOL = "安保币仓储存单到额法费付服港号核户换汇货级价检交接金卡开客款类链量路密模盘票频期" \
    "签权认融入商设审时实市收授数税说送算台态提通投退网维问息现限项效信型续验业易银用优邮余约" \
    "运账折证支值指质中资子总租"  # fmt: skip

EN, ZH = "en", "zh-hans"
LONG_EN = (
    "Hello, I sent 500 USDT from another exchange to my deposit address on TRC20 three hours "
    "ago. The transaction shows as confirmed on Tronscan but my balance has not changed. Can "
    "you check what happened and when it will arrive?"
)
LONG_ZH = (
    "您好，我昨天从钱包提现了 0.5 个 ETH 到另一个平台，选择的是 ERC20 网络，"
    "到现在还显示处理中，交易哈希也查不到，请问是什么原因，什么时候能到账？"
)
Query = tuple[str, str, bool]  # text, user language, prefix
QUERIES: dict[str, tuple[Query, ...]] = {
    "en": tuple(
        (q, EN, False)
        for q in (
            "how to withdraw usdt", "deposit not credited", "withdrawal fee",
            "reset google authenticator", "identity verification rejected",
            "buy bitcoin with credit card", "account locked after login attempts",
            "liquidation price leverage", "staking rewards redeem", "memo destination tag xrp",
        )
    ),
    "zh": tuple(
        (q, ZH, False)
        for q in (
            "提现没到账", "充值未到账怎么办", "谷歌验证器丢了", "实名认证被拒", "提现手续费",
            "账户被冻结", "合约强平", "质押收益赎回", "银行卡买币失败", "忘记填写备注",
        )
    ),
    "mixed": (
        ("USDT TRC20 提现", ZH, False), ("2FA 丢失", ZH, False), ("BTC 充值 未到账", ZH, False),
        ("ETH ERC20 手续费", ZH, False), ("KYC 被拒", ZH, False), ("ＵＳＤＴ 充值", ZH, False),
        ("提现 pending", EN, False), ("VIP 费率", ZH, False),
    ),
    "typo": tuple(
        (q, EN, False)
        for q in (
            "withdrawl pending", "verifcation rejected", "depost not arived",
            "authenticatr lost", "liquidaton price", "stakng rewards", "pasword reset",
            "conformations deposit",
        )
    ),
    "prefix": (
        ("withdr", EN, True), ("how to depo", EN, True), ("google auth", EN, True),
        ("staki", EN, True), ("usdt trc", EN, True), ("li", EN, True), ("verif", EN, True),
        ("提现 us", ZH, True),
    ),
    "long": ((LONG_EN, EN, False), (LONG_ZH, ZH, False)),
}  # fmt: skip


def _made_up_words(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    latin = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(count)})
    han = sorted({"".join(rng.choices(_HAN_POOL, k=2)) for _ in range(count)})
    return latin, han


def synthetic_corpus(n_per_language: int, seed: int = 7) -> Iterator[IndexDoc]:
    """``2 * n_per_language`` documents: article ``i`` in English (doc id ``2i``) and Chinese
    (``2i + 1``). Deterministic for a given seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic text, not secrets
    latin_pool, han_pool = _made_up_words(rng, 30_000)
    weights = 1.0 / np.arange(1, max(len(latin_pool), len(han_pool)) + 1)  # Zipf, s = 1
    latin_cdf = np.cumsum(weights[: len(latin_pool)])
    han_cdf = np.cumsum(weights[: len(han_pool)])
    for article in range(n_per_language):
        topic = TOPICS[article % len(TOPICS)]
        which = rng.randrange(len(topic.titles_en))
        fill = {"coin": rng.choice(COINS), "network": rng.choice(NETWORKS)}
        picks = [rng.randrange(len(SENTENCES_EN)) for _ in range(rng.randint(11, 15))]
        rare = rng.randint(25, 45)
        rare_latin = np.searchsorted(latin_cdf, [rng.random() * latin_cdf[-1] for _ in range(rare)])
        rare_han = np.searchsorted(han_cdf, [rng.random() * han_cdf[-1] for _ in range(rare)])
        body_en = " ".join(SENTENCES_EN[i].format(**fill) for i in picks)
        body_en += " " + " ".join(latin_pool[i] for i in rare_latin.tolist()) + "."
        body_zh = "".join(SENTENCES_ZH[i].format(**fill) for i in picks)
        body_zh += "".join(han_pool[i] for i in rare_han.tolist()) + "。"
        coin_tag = fill["coin"].lower()
        yield IndexDoc(
            2 * article, article, EN, topic.titles_en[which].format(**fill),
            (*topic.tags_en, coin_tag), body_en, topic.section_en,
        )  # fmt: skip
        yield IndexDoc(
            2 * article + 1, article, ZH, topic.titles_zh[which].format(**fill),
            (*topic.tags_zh, coin_tag), body_zh, topic.section_zh,
        )  # fmt: skip


def _rss_bytes() -> int:
    """Resident memory now (Linux), else the peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource  # POSIX only

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms, default=None),
    }


def _machine() -> dict[str, str]:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(nproc), "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__}  # fmt: skip


def run_search_bench(
    n_per_language: int = 10_000,
    queries: dict[str, tuple[Query, ...]] | None = None,
    repeats: int = 20,
    *,
    updates: int = 200,
    seed: int = 7,
    trace_memory: bool = False,
) -> dict[str, Any]:
    """Build, query and update an index of ``2 * n_per_language`` synthetic documents.

    Memory is the growth of resident memory over the build (the corpus is generated lazily and
    rjieba's dictionary is loaded before, so this is the index plus allocator slack). With
    ``trace_memory`` the index is built a second time under ``tracemalloc`` for the Python-
    and numpy-allocated bytes alone (slower)."""
    queries = QUERIES if queries is None else queries
    analyze("预热 warm up")  # load rjieba's dictionary outside the measurement
    gc.collect()
    rss_before = _rss_bytes()
    started = time.perf_counter()
    index = SearchIndex()
    for doc in synthetic_corpus(n_per_language, seed):
        index.upsert(doc)
    build_seconds = time.perf_counter() - started
    gc.collect()
    memory: dict[str, Any] = {"rss_delta_mb": round((_rss_bytes() - rss_before) / 2**20, 1)}
    started = time.perf_counter()
    gc.collect()  # what the index adds to every full collection of the process
    memory["full_gc_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if trace_memory:
        tracemalloc.start()
        traced = SearchIndex()
        for doc in synthetic_corpus(n_per_language, seed):
            traced.upsert(doc)
        memory["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
        tracemalloc.stop()
        del traced
    memory["index"] = index.stats()

    for warm_up in queries.values():  # caches, lazy imports, first-touch allocations
        for query, language, prefix in warm_up:
            index.search(query, language=language, prefix=prefix)
    timings: dict[str, list[float]] = {kind: [] for kind in queries}
    hits: dict[str, float] = {}
    for _round in range(repeats):
        for kind, kind_queries in queries.items():
            for query, language, prefix in kind_queries:
                t0 = time.perf_counter()
                found = index.search(query, language=language, limit=10, prefix=prefix)
                timings[kind].append(time.perf_counter() - t0)
                hits[f"{kind}:{query}"] = len(found)
    every = [t for kind in timings.values() for t in kind]

    rng = random.Random(seed + 1)  # noqa: S311 - synthetic text, not secrets
    changed = list(synthetic_corpus(max(1, updates // 2), seed + 1))
    update_times = []
    for doc in changed[:updates]:
        target = rng.randrange(n_per_language)
        replacement = IndexDoc(
            2 * target + (doc.language != EN), target, doc.language,
            doc.title, doc.tags, doc.body, doc.extra,
        )  # fmt: skip
        t0 = time.perf_counter()
        index.upsert(replacement)
        update_times.append(time.perf_counter() - t0)
    started = time.perf_counter()
    index.compact()  # what a quarter of the slots going dead triggers
    compact_seconds = time.perf_counter() - started
    return {
        "documents": len(index),
        "n_per_language": n_per_language,
        "build_seconds": round(build_seconds, 2),
        "memory": memory,
        "queries": {
            "all": _summary(every),
            "by_kind": {kind: _summary(values) for kind, values in timings.items()},
        },
        "queries_without_hits": sorted(q for q, n in hits.items() if n == 0),
        "upserts": _summary(update_times),
        "compact_seconds": round(compact_seconds, 3),
        "machine": _machine(),
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    trace = "--trace-memory" in sys.argv
    print(json.dumps(run_search_bench(size, trace_memory=trace), indent=2))
