"""The help-center search engine on a small bilingual knowledge base: relevance on labelled
queries, language order, incremental updates, odd input. Pure Python: no database."""

from __future__ import annotations

import math
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.helpcenter.search import engine as engine_module
from kefu.helpcenter.search.engine import Hit, IndexDoc, SearchIndex

EN, ZH = "en", "zh-hans"

# article id → ((title, tags, section, body) in English, the same in Chinese)
ARTICLES: dict[int, tuple[tuple[str, tuple[str, ...], str, str], ...]] = {
    1: (
        ("How to deposit crypto", ("deposit", "address", "network"), "Deposits / How to deposit",
         "Open Wallet, choose Deposit and pick the coin. Copy your deposit address or scan the "
         "QR code, then choose the same network on the sending platform. Sending on the wrong "
         "network can lose your funds. Your balance is credited after the required block "
         "confirmations."),
        ("如何充值数字资产", ("充值", "地址", "网络"), "充值 / 如何充值",
         "打开钱包，选择充值并选择币种。复制充值地址或扫描二维码，然后在转出平台选择相同的网络。"
         "选择错误的网络可能导致资产丢失。达到所需的区块确认数后，资产将记入您的账户。"),
    ),
    2: (
        ("Deposit not credited: what to check", ("deposit", "missing"),
         "Deposits / Deposit not credited",
         "If your deposit has not arrived, find the transaction hash (TxID) in the sending "
         "wallet and look it up in a block explorer. A deposit is credited only after enough "
         "confirmations. If the transaction is confirmed on-chain but your balance has not "
         "changed after two hours, contact support with the TxID."),
        ("充值未到账怎么办", ("充值", "未到账"), "充值 / 充值未到账",
         "如果充值未到账，请在转出钱包中找到交易哈希（TxID），并在区块浏览器中查询。充值需要足够的"
         "区块确认才会到账。如果链上已确认但两小时后余额仍未变化，请携带交易哈希联系客服。"),
    ),
    3: (
        ("Deposit without a memo or destination tag", ("memo", "tag", "xrp"),
         "Deposits / Deposit not credited",
         "Some coins such as XRP, XLM and EOS need a memo or destination tag as well as the "
         "address. If you forgot the memo, your deposit reaches our wallet but cannot be "
         "matched to your account. Submit a recovery request with the TxID and a screenshot."),
        ("充值时忘记填写备注或标签", ("备注", "标签", "xrp"), "充值 / 充值未到账",
         "XRP、XLM、EOS 等币种充值时除了地址还需要填写备注（标签）。"
         "如果忘记填写备注，资产会到达我们的钱包但无法匹配到您的账户。请提交找回申请，并附上交易哈希和截图。"),
    ),
    4: (
        ("How to withdraw crypto", ("withdraw", "address", "network"),
         "Withdrawals / How to withdraw",
         "Go to Wallet, choose Withdraw, select the coin, paste the recipient address and "
         "choose the network, for example USDT on TRC20 or ERC20. The recipient platform must "
         "support that network. Confirm with your 2FA code and the email code."),
        ("如何提币", ("提现", "提币", "地址"), "提现 / 如何提现",
         "进入钱包，选择提现，选择币种，粘贴收款地址并选择网络，例如 USDT 的 TRC20 或 ERC20 网络。"
         "收款平台必须支持该网络。最后输入谷歌验证器的动态码和邮箱验证码确认。"),
    ),
    5: (
        ("Why is my withdrawal pending?", ("withdrawal", "pending"),
         "Withdrawals / Pending and failed withdrawals",
         "Most withdrawals are processed within 30 minutes. A withdrawal stays pending while it "
         "is under security review, when the network is congested, or when the wallet is under "
         "maintenance. Once it is broadcast you can follow it on a block explorer with the "
         "TxID. If it has not arrived after 24 hours, contact support."),
        ("提现一直处理中或未到账", ("提现", "处理中"), "提现 / 提现处理中与提现失败",
         "大多数提现会在 30 分钟内处理完成。"
         "提现处于安全审核、网络拥堵或钱包维护时，会一直显示处理中。"
         "广播后可以用交易哈希在区块浏览器中查询。如果 24 小时后仍未到账，请联系客服。"),
    ),
    6: (
        ("Withdrawal fees and limits", ("fees", "limits", "withdrawal"),
         "Withdrawals / How to withdraw",
         "Each withdrawal has a network fee that pays the miners; it depends on the coin and "
         "the network and is shown before you confirm, so you know what it costs. Daily "
         "withdrawal limits depend on your verification level. Deposits are free."),
        ("提现手续费与限额", ("手续费", "限额", "提现"), "提现 / 如何提现",
         "每笔提现都会收取网络手续费，用于支付矿工费用，金额取决于币种和网络，确认前会显示。每日提现"
         "限额取决于您的实名认证等级。充值免费。"),
    ),
    7: (
        ("Set up two-factor authentication (2FA) with Google Authenticator",
         ("2fa", "security", "authenticator"), "Account / Security",
         "Two-factor authentication protects your login and withdrawals. Install Google "
         "Authenticator, open Security settings, scan the QR code and enter the six-digit code. "
         "Write down the backup key and keep it offline."),
        ("如何绑定谷歌验证器（双重验证）", ("谷歌验证", "双重验证", "安全"), "账户 / 账户安全",
         "双重验证可以保护您的登录和提现。安装谷歌验证器，打开安全设置，扫描二维码并输入六位动态码。"
         "请抄写备份密钥并离线保存。"),
    ),
    8: (
        ("Lost your 2FA device? Reset two-factor authentication", ("2fa", "reset", "lost phone"),
         "Account / Security",
         "If you lost your phone or deleted the authenticator app, restore it with your backup "
         "key. Without the backup key, request a 2FA reset: we verify your identity with a "
         "selfie and your ID document. Withdrawals are disabled for 24 hours after a reset."),
        ("谷歌验证器丢失怎么重置", ("谷歌验证", "重置", "换手机"), "账户 / 账户安全",
         "如果手机丢失、换手机或删除了谷歌验证器，可以用备份密钥恢复。没有备份密钥时，请申请重置双重"
         "验证：我们会通过自拍和身份证件核实身份。重置后 24 小时内无法提现。"),
    ),
    9: (
        ("Identity verification (KYC): documents you need", ("kyc", "verification", "documents"),
         "Account / Identity verification",
         "To verify your identity, upload a government-issued ID such as a passport, national ID "
         "card or driving licence, then take a selfie. Verification usually takes a few "
         "minutes and raises your withdrawal limits."),
        ("实名认证需要哪些证件", ("实名认证", "身份认证", "证件"), "账户 / 实名认证",
         "进行实名认证时，请上传政府签发的证件，例如护照、身份证或驾照，然后进行人脸识别自拍。"
         "认证通常几分钟内完成，完成后可提高提现限额。"),
    ),
    10: (
        ("Why was my identity verification rejected?", ("kyc", "rejected", "verification"),
         "Account / Identity verification",
         "Verification is rejected when the photo is blurry, the document has expired, the name "
         "does not match your account, or the selfie does not show your face clearly. Fix the "
         "reason shown in the email and submit again."),
        ("实名认证被拒绝的原因", ("实名认证", "被拒", "驳回"), "账户 / 实名认证",
         "照片模糊、证件过期、姓名与账户不一致，或自拍未清楚显示面部时，实名认证会被驳回。请根据邮件"
         "中的原因修改后重新提交。"),
    ),
    11: (
        ("Buy crypto with a credit or debit card", ("buy", "card", "visa"),
         "Buy crypto / Card payments",
         "Choose Buy Crypto, enter the amount and pay with a Visa or Mastercard credit or debit "
         "card. If the card payment failed, check that 3-D Secure is enabled and that your bank "
         "allows payments to crypto platforms."),
        ("使用银行卡或信用卡买币", ("买币", "银行卡", "信用卡"), "买币 / 银行卡支付",
         "选择买币，输入金额并使用 Visa 或 Mastercard 信用卡、借记卡支付。"
         "如果付款失败，请确认已开通 3-D 安全验证，并且您的银行允许向数字资产平台付款。"),
    ),
    12: (
        ("My account was hacked: secure it now", ("hacked", "security", "stolen"),
         "Account / Security",
         "If you see logins or withdrawals you did not make, your account may be compromised. "
         "Freeze your account from the security page immediately, change your password and "
         "email password, and contact support. We investigate unauthorized withdrawals and "
         "stolen funds."),
        ("账号被盗怎么办", ("被盗", "盗号", "安全"), "账户 / 账户安全",
         "如果发现不是您本人的登录或提现，账户可能已被盗。请立即在安全页面冻结账户，修改登录密码和"
         "邮箱密码，并联系客服。我们会调查未经授权的提现。"),
    ),
    13: (
        ("Reset your login password", ("password", "login"), "Account / Login",
         "Forgot your password? On the login page choose Forgot password, enter your email and "
         "follow the link. For your safety, withdrawals are paused for 24 hours after a password "
         "reset."),
        ("如何重置登录密码", ("密码", "登录"), "账户 / 登录",
         "忘记密码时，在登录页面选择忘记密码，输入邮箱并点击链接。"
         "为了您的安全，重置密码后 24 小时内暂停提现。"),
    ),
    14: (
        ("Account locked after failed login attempts", ("locked", "frozen", "login"),
         "Account / Login",
         "After too many failed login attempts your account is locked for two hours. An account "
         "can also be frozen by risk control. To unlock a frozen account, contact support and "
         "complete the verification we ask for."),
        ("账户被锁定或冻结", ("锁定", "冻结", "登录"), "账户 / 登录",
         "多次登录失败后，账户会被锁定两小时。风控也可能冻结账户。如需解冻，请联系客服并完成要求的验证。"),
    ),
    15: (
        ("USDT networks: TRC20, ERC20 and BEP20 compared", ("usdt", "trc20", "erc20"),
         "Deposits / How to deposit",
         "USDT exists on several networks. TRC20 (Tron) has low fees, ERC20 (Ethereum) is widely "
         "supported, BEP20 uses BNB Smart Chain. Always use the same network on both sides."),
        ("USDT 网络对比：TRC20、ERC20 与 BEP20", ("usdt", "trc20", "网络"), "充值 / 如何充值",
         "USDT 支持多个网络。TRC20（波场）手续费低，ERC20（以太坊）支持广泛，"
         "BEP20 使用 BNB 智能链。转出和转入必须使用相同的网络。"),
    ),
}  # fmt: skip


def _docs() -> list[IndexDoc]:
    docs = []
    for article_id, versions in ARTICLES.items():
        for offset, (language, (title, tags, extra, body)) in enumerate(
            zip((EN, ZH), versions, strict=True)
        ):
            docs.append(
                IndexDoc(
                    doc_id=article_id * 10 + offset,
                    article_id=article_id,
                    language=language,
                    title=title,
                    tags=tags,
                    body=body,
                    extra=extra,
                )
            )
    return docs


# (query, user language, prefix?, article ids any of which must be in the top 3)
LABELLED: list[tuple[str, str, bool, set[int]]] = [
    ("how to deposit", EN, False, {1}),
    ("deposit not credited", EN, False, {2}),
    ("my deposit hasn't arrived", EN, False, {2}),
    ("forgot memo XRP deposit", EN, False, {3}),
    ("destination tag missing", EN, False, {3}),
    ("withdraw USDT", EN, False, {4, 15}),
    ("withdrawl pending", EN, False, {5}),
    ("withdrawal stuck", EN, False, {5}),
    ("withdrawals", EN, False, {4, 5, 6}),
    ("withdrawing", EN, False, {4, 5, 6}),
    ("withdrawal fee", EN, False, {6}),
    ("how much does it cost to withdraw", EN, False, {6}),
    ("cash out limit", EN, False, {6}),
    ("set up google authenticator", EN, False, {7}),
    ("lost phone 2fa", EN, False, {8}),
    ("reset two-factor", EN, False, {8}),
    ("verifcation rejected", EN, False, {10}),
    ("KYC documents", EN, False, {9}),
    ("identity verification", EN, False, {9, 10}),
    ("buy bitcoin with credit card", EN, False, {11}),
    ("visa payment failed", EN, False, {11}),
    ("account hacked", EN, False, {12}),
    ("someone stole my funds", EN, False, {12}),
    ("forgot password", EN, False, {13}),
    ("account frozen", EN, False, {14}),
    ("too many login attempts", EN, False, {14}),
    ("trc20 vs erc20", EN, False, {15}),
    ("如何充值", ZH, False, {1}),
    ("充值没到账", ZH, False, {2}),
    ("提现没到账", ZH, False, {5}),
    ("忘记填写备注", ZH, False, {3}),
    ("怎么提币", ZH, False, {4}),
    ("提现一直处理中", ZH, False, {5}),
    ("提现手续费", ZH, False, {6}),
    ("谷歌验证器丢了", ZH, False, {8}),
    ("设置谷歌验证", ZH, False, {7}),
    ("实名认证被拒", ZH, False, {10}),
    ("实名认证需要什么证件", ZH, False, {9}),
    ("信用卡买币", ZH, False, {11}),
    ("账号被盗", ZH, False, {12}),
    ("重置登录密码", ZH, False, {13}),
    ("账户被冻结", ZH, False, {14}),
    ("USDT TRC20 提现", ZH, False, {4, 15}),
    ("2FA 丢失", ZH, False, {8}),
    ("KYC 被拒", ZH, False, {10}),
    ("ＵＳＤＴ 充值", ZH, False, {1, 15}),
    ("can't log in", EN, False, {13, 14}),
    ("goggle authenticator", EN, False, {7, 8}),
    ("recieve deposit", EN, False, {1, 2}),
    ("passwrod", EN, False, {13}),
    ("lost backup key", EN, False, {8}),
    ("unlock account", EN, False, {14}),
    ("tron network fee", EN, False, {6, 15}),
    ("换手机谷歌验证", ZH, False, {8}),
    ("被盗了怎么办", ZH, False, {12}),
    ("充错网络", ZH, False, {1, 15}),
    ("解冻账户", ZH, False, {14}),
    # Known misses of a lexical engine, kept so the measure stays honest: the articles answer
    # these in other words ("rejected", "processed within 30 minutes", "balance").
    ("selfie failed", EN, False, {10}),
    ("how long does a withdrawal take", EN, False, {5}),
    ("where is my money", EN, False, {2, 5}),
    ("withdr", EN, True, {4, 5, 6}),
    ("google auth", EN, True, {7}),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    built = SearchIndex()
    for doc in _docs():
        built.upsert(doc)
    return built


def _articles(hits: list[Hit]) -> list[int]:
    return [hit.article_id for hit in hits]


def test_labelled_queries_accuracy(index):
    """Measured: top-3 59/62 (0.95), top-1 59/62; the three misses are the known ones above.
    The thresholds leave room for a few misses as ranking evolves (0.9 = six misses) while
    still catching a broken engine. They do not catch one broken feature: on a corpus this
    small, switching off synonyms, typo tolerance or stemming costs only one query each
    (measured), so each feature has its own test below."""
    misses, first = [], 0
    for query, language, prefix, expected in LABELLED:
        articles = _articles(index.search(query, language=language, limit=3, prefix=prefix))
        if not expected & set(articles):
            misses.append((query, articles))
        first += bool(articles) and articles[0] in expected
    assert 1 - len(misses) / len(LABELLED) >= 0.9, misses
    assert first / len(LABELLED) >= 0.85


@pytest.mark.parametrize(
    ("query", "language", "article_id"),
    [
        ("withdrawl pending", EN, 5),
        ("verifcation rejected", EN, 10),
        ("提现没到账", ZH, 5),
        ("谷歌验证器丢了", ZH, 8),
        ("实名认证被拒", ZH, 10),
        ("2FA 丢失", ZH, 8),
        ("ＵＳＤＴ TRC20 ERC20", EN, 15),
    ],
)
def test_top1_for_key_queries(index, query, language, article_id):
    assert _articles(index.search(query, language=language, limit=1)) == [article_id]


def test_stemming_matches_other_forms(index):
    for query in ("withdrawals", "withdrawing", "withdrawed"):
        articles = _articles(index.search(query, language=EN, limit=3))
        assert articles, query
        assert set(articles) <= {4, 5, 6}, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [("withdrawl", {4, 5, 6}), ("passwrod", {13}), ("verifcation", {9, 10}), ("goggle", {7, 8}),
     ("recipeint", {4}), ("withdrawalls", {4, 5, 6})],
)  # fmt: skip
def test_typos_find_the_intended_word(index, query, expected):
    """One edit for 4-7 letters, two for longer words, a transposition counting as one."""
    articles = _articles(index.search(query, language=EN, limit=3))
    assert articles, query
    assert articles[0] in expected


def test_short_words_and_codes_are_not_typo_corrected(index):
    assert index.search("fea", language=EN) == []  # not "fee": too many neighbours at 3 letters
    assert index.search("trc21", language=EN) == []  # codes are exact: not trc20 or erc20


def test_chinese_matches_words_not_scattered_characters():
    index = SearchIndex()
    index.upsert(IndexDoc(1, 1, ZH, "登录提示", (), "提示：现在可以登录。"))
    index.upsert(IndexDoc(2, 2, ZH, "提现说明", (), "提现需要完成实名认证。"))
    assert _articles(index.search("提现", language=ZH)) == [2]
    assert _articles(index.search("实名", language=ZH)) == [2]  # part of 实名认证


def test_full_width_input_equals_half_width(index):
    assert index.search("ＵＳＤＴ", language=ZH) == index.search("usdt", language=ZH)


def test_prefix_completes_the_last_word_only_when_asked(index):
    assert index.search("withdr", language=EN) == []
    articles = _articles(index.search("withdr", language=EN, limit=3, prefix=True))
    assert articles
    assert set(articles) <= {4, 5, 6}
    # The stem of "verification" is "verif": completion works on the words as written.
    articles = _articles(index.search("verificat", language=EN, limit=2, prefix=True))
    assert set(articles) == {9, 10}
    # A finished word (trailing space) is not completed.
    assert index.search("withdr ", language=EN, prefix=True) == []


def test_user_language_first_then_the_other(index):
    hits = index.search("USDT TRC20 提现", language=ZH, limit=30)
    languages = [hit.language for hit in hits]
    assert languages[0] == ZH
    assert languages == sorted(languages, key=lambda lang: lang != ZH)
    # English speakers asking in Chinese get English articles first (through synonyms).
    hits = index.search("提现", language=EN, limit=5)
    assert hits[0].language == EN
    assert hits[0].article_id in {4, 5, 6}


def test_one_hit_per_article_preferring_the_user_language(index):
    hits = index.search("USDT TRC20", language=EN, limit=30)
    articles = _articles(hits)
    assert len(articles) == len(set(articles))
    assert {hit.language for hit in hits if hit.article_id == 15} == {EN}


def test_languages_filter(index):
    hits = index.search("USDT", language=EN, limit=30, languages=(ZH,))
    assert hits
    assert {hit.language for hit in hits} == {ZH}


def test_title_outranks_body():
    """A title word counts like four body words: it beats a shorter document that has the
    word once in its body, which plain BM25 (one field) would rank first."""
    index = SearchIndex()
    filler = "Words about accounts, balances, settings and the help center. "
    index.upsert(IndexDoc(1, 1, EN, "Staking rewards", (), filler * 5))
    index.upsert(IndexDoc(2, 2, EN, "Account overview", (), filler + "Staking is mentioned."))
    assert _articles(index.search("staking", language=EN)) == [1, 2]


def test_rare_terms_weigh_more_than_common_ones():
    index = SearchIndex()
    for i in range(1, 11):
        index.upsert(IndexDoc(i, i, EN, f"Article {i}", (), "wallet balance " * 3))
    index.upsert(IndexDoc(11, 11, EN, "Article 11", (), "wallet balance wallet solana"))
    index.upsert(IndexDoc(12, 12, EN, "Article 12", (), "wallet balance wallet wallet"))
    hits = index.search("wallet solana", language=EN)
    assert hits[0].article_id == 11
    assert hits[0].score > 2 * hits[1].score


def test_upsert_replaces_and_remove_drops():
    index = SearchIndex()
    index.upsert(IndexDoc(1, 100, EN, "Staking rewards", (), "Earn rewards by staking."))
    index.upsert(IndexDoc(2, 200, EN, "Futures", (), "Trade futures contracts."))
    assert _articles(index.search("staking", language=EN)) == [100]
    index.upsert(IndexDoc(1, 100, EN, "Savings", (), "Flexible savings products."))
    assert index.search("staking", language=EN) == []
    assert _articles(index.search("savings", language=EN)) == [100]
    index.upsert(IndexDoc(1, 100, EN, "Savings", (), "Flexible savings products."))
    assert len(index) == 2
    assert len(index.search("savings", language=EN)) == 1
    index.remove(1)
    index.remove(1)  # idempotent
    assert index.search("savings", language=EN) == []
    assert len(index) == 1
    assert _articles(index.search("futures", language=EN)) == [200]


def test_idf_counts_live_documents_only():
    index = SearchIndex()
    index.upsert(IndexDoc(1, 1, EN, "Staking", (), "staking rewards"))
    for i in range(2, 12):
        index.upsert(IndexDoc(i, i, EN, f"Other {i}", (), "rewards"))
    before = index.search("staking", language=EN)[0].score
    for i in range(2, 12):
        index.remove(i)
    after = index.search("staking", language=EN)[0].score
    assert after < before  # "staking" is in every live document now: low idf


def test_compaction_keeps_results(monkeypatch):
    monkeypatch.setattr(engine_module, "COMPACT_MIN_DEAD", 4)
    index = SearchIndex()
    for round_ in range(5):
        for i in range(20):
            index.upsert(IndexDoc(i, i, EN, f"Topic {i} v{round_}", (), f"alpha beta word{i}"))
    stats = index.stats()
    assert stats["slots"] < 100  # compacted at least once
    assert stats["documents"] == 20
    assert _articles(index.search("word7", language=EN)) == [7]
    assert len(index.search("alpha", language=EN, limit=50)) == 20
    index.compact()
    assert index.stats()["dead"] == 0
    assert _articles(index.search("word7", language=EN)) == [7]


def test_removed_words_are_not_completed_or_corrected_after_compaction():
    index = SearchIndex()
    index.upsert(IndexDoc(1, 1, EN, "Staking rewards", (), "Earn by staking."))
    index.upsert(IndexDoc(2, 2, EN, "Futures", (), "Trade futures."))
    index.remove(1)
    assert index.search("stak", language=EN, prefix=True) == []
    index.compact()
    assert index.stats()["surfaces"] == 2  # "trade", "futures"
    assert index.search("stak", language=EN, prefix=True) == []
    assert index.search("stakng", language=EN) == []
    assert _articles(index.search("futurs", language=EN)) == [2]


def test_searches_and_updates_from_several_threads(monkeypatch):
    """The index is process-global: concurrent upserts, removals, compactions and searches
    must neither raise nor return a removed document."""
    monkeypatch.setattr(engine_module, "COMPACT_MIN_DEAD", 8)
    index = SearchIndex()
    for doc in _docs():
        index.upsert(doc)
    errors: list[BaseException] = []
    stop = threading.Event()

    def churn() -> None:
        try:
            for round_ in range(40):
                for doc in _docs()[:10]:
                    index.upsert(IndexDoc(1000 + doc.doc_id, 1000 + doc.article_id, doc.language,
                                          f"{doc.title} {round_}", doc.tags, doc.body))  # fmt: skip
                for doc in _docs()[:10]:
                    index.remove(1000 + doc.doc_id)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            stop.set()

    def search() -> None:
        try:
            while not stop.is_set():
                for query, language, prefix, _expected in LABELLED[::7]:
                    index.search(query, language=language, prefix=prefix, limit=5)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=churn), *(threading.Thread(target=search) for _ in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(index) == len(_docs())
    assert all(hit.article_id < 1000 for hit in index.search("deposit", language=EN, limit=50))


def test_synonyms_alone_can_find_a_document_but_rank_below_own_words():
    index = SearchIndex()
    index.upsert(IndexDoc(1, 1, EN, "How to withdraw", (), "Send coins out."))
    index.upsert(IndexDoc(2, 2, EN, "Cash out to a bank", (), "Cash out to your bank."))
    hits = index.search("cash out", language=EN)
    assert _articles(hits) == [2, 1]


@pytest.mark.parametrize(
    "query",
    ["", "   \n\t", "a" * 10_000, "x y " * 5_000, "!!!???...，。、", "\x00\x07\x1b[31m", "\ud800",
     "withdraw\ud800al", "🙂🚀💸", "👨‍👩‍👧", "\u200b\u200b", "(((", "提现" * 5_000],
)  # fmt: skip
def test_bad_queries_are_answered_quickly_without_error(index, query):
    started = time.perf_counter()
    hits = index.search(query, language=EN, prefix=True)
    assert time.perf_counter() - started < 1.0  # generous: these take ~1 ms; a hang fails
    assert isinstance(hits, list)
    assert all(math.isfinite(hit.score) for hit in hits)


def test_odd_arguments(index):
    assert index.search("deposit", language=EN, limit=0) == []
    assert index.search(None, language=EN) == []  # type: ignore[arg-type]
    assert index.search("deposit", language="fr", limit=3)  # unknown language: all "other"
    assert SearchIndex().search("deposit", language=EN) == []


_WORDS = ["withdraw", "提现", "usdt", "trc20", "2fa", "谷歌验证器", "the", "fee", "kyc", "被拒"]
_ODD = ["\ud800", "\udfff", "\x00", "\u200b", "🙂", "ＵＳＤＴ", "，", " ", "-", "withdr", "TRC-20"]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=200),
        st.lists(st.sampled_from(_WORDS), max_size=8).map(" ".join),
        st.lists(st.sampled_from(_WORDS + _ODD), max_size=12).map("".join),
    ),
    limit=st.integers(min_value=1, max_value=20),
    prefix=st.booleans(),
)
def test_any_text_gives_at_most_limit_finite_hits(index, query, limit, prefix):
    hits = index.search(query, language=ZH, limit=limit, prefix=prefix)
    assert len(hits) <= limit
    assert len({hit.article_id for hit in hits}) == len(hits)
    assert all(math.isfinite(hit.score) and hit.score > 0 for hit in hits)
