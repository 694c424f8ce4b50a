"""``kefu bench`` (assistant replies): the latency of one complete assistant turn, without an LLM.

A turn is ``kefu.assistant.dialogue.respond``: classification, the help-center search and
passage extraction, the guided flow (with the audited diagnosis lookups against the configured
exchange connector for the demo customer) and the outbound guard. The messages are a few
hundred varied customer messages in English, Chinese and both, built from templates (fund
questions with different assets, amounts and networks, sign-in, 2FA, security, official-channel
checks, help-center questions, greetings, unclear and investment questions), plus the "which
transaction?" button presses that follow a fund question.

Everything runs in one transaction that is rolled back: the audit rows of the lookups (and the
demo knowledge base, imported when the database has no live article) are not kept. Run
``kefu demo`` first to measure the fund flows with the demo customer's ledger; without it, fund
questions are asked as an anonymous visitor (no lookup) and the report says so.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from kefu.assistant import dialogue
from kefu.contacts.models import Contact
from kefu.core.actor import Actor, ActorKind
from kefu.exchange.demo_data import MAIN_EMAIL
from kefu.helpcenter import searching
from kefu.helpcenter.models import ArticleTranslation
from kefu.helpcenter.transfer import kb_import

DEMO_KB = Path(__file__).resolve().parent.parent / "helpcenter" / "demo_kb"
ACTOR = Actor(kind=ActorKind.ASSISTANT, label="assistant (bench)")

_ASSETS = [("USDT", "TRC20"), ("USDT", "ERC20"), ("BTC", ""), ("ETH", ""), ("XRP", ""), ("SOL", "")]
_FUND_EN = [
    "where is my withdrawal?",
    "my withdrawal of {amount} {asset} {network} has not arrived",
    "withdrawal failed, {amount} {asset}",
    "my {asset} deposit is missing",
    "I deposited {amount} {asset} on {network} but it is not credited",
    "why is my {asset} withdrawal still pending",
]
_FUND_ZH = [
    "提现没到账",
    "我提了 {amount} {asset} {network} 还没到账",
    "{asset} 提现失败了",
    "充值 {amount} {asset} 没到账",
    "我的{asset}充值一直没有到账",
    "提币一直在审核中怎么办",
]
_OTHERS = [
    "I cannot log in", "忘记密码了怎么办", "my account is locked", "I lost my 2fa phone",
    "谷歌验证器丢了", "my account was hacked", "账号被盗了", "is demo-exchangee.com your site?",
    "is support@demo-exchange.com your email?", "这个电话 +86 400 000 0001 是你们的吗",
    "I want to talk to a human", "转人工", "how much is the withdrawal fee", "提现手续费是多少",
    "how do I deposit USDT", "怎么充值", "how long does identity verification take",
    "实名认证被拒绝了", "my card was declined", "how do I place a limit order", "限价单怎么下",
    "which countries are supported", "how do I change my email", "hello", "你好", "thanks",
    "谢谢", "should I buy bitcoin now?", "比特币会涨吗", "problem", "what is the weather",
    "I was charged twice, I want a refund", "deposit sent on the wrong network",
    "充值忘记填写标签", "XRP memo 充值", "withdrawl pendng",
]  # fmt: skip


@dataclass
class ReplyBench:
    messages: int
    presses: int
    with_ledger: bool
    warmup_ms: float
    samples_ms: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    # CPU time of this thread per turn: less sensitive than wall time to a busy machine.
    cpu_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.samples_ms if values is None else values)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def build_messages(count: int, *, seed: int = 3) -> list[tuple[str, str, str]]:
    """``count`` (kind, language hint, text) messages, deterministic."""
    rng = random.Random(seed)  # noqa: S311 - synthetic messages
    out: list[tuple[str, str, str]] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.45:
            zh = rng.random() < 0.5
            template = rng.choice(_FUND_ZH if zh else _FUND_EN)
            asset, network = rng.choice(_ASSETS)
            amount = rng.choice(["100", "500", "1500", "0.5", "2400", "300", "777"])
            text = template.format(asset=asset, network=network, amount=amount)
            out.append(("fund", "zh-hans" if zh else "en", " ".join(text.split())))
        else:
            text = rng.choice(_OTHERS)
            zh = any("\u4e00" <= ch <= "\u9fff" for ch in text)
            out.append(("other", "zh-hans" if zh else "en", text))
    return out


def _ensure_kb(log: Callable[[str], None]) -> None:
    if not ArticleTranslation.objects.filter(published_revision__isnull=False).exists():
        log("  no live help-center article: importing the demo knowledge base (rolled back)")
        kb_import(root=DEMO_KB, actor=Actor.system("bench"))
        searching.reset()


def _measure(
    report: ReplyBench,
    kind: str,
    *,
    text: str,
    state: dict[str, Any],
    context: dialogue.CustomerContext,
    payload: str = "",
) -> dialogue.Turn:
    """One timed ``respond`` call."""
    began, began_cpu = time.perf_counter(), time.thread_time()
    turn = dialogue.respond(text=text, payload=payload, state=state, context=context, actor=ACTOR)
    elapsed = (time.perf_counter() - began) * 1000
    report.cpu_ms.append((time.thread_time() - began_cpu) * 1000)
    report.samples_ms.append(elapsed)
    report.by_kind.setdefault(kind, []).append(elapsed)
    return turn


def run(*, messages: int = 400, log: Callable[[str], None] = print) -> ReplyBench:
    """Measure ``messages`` assistant turns (plus the button presses that follow); print and
    return p50/p95/p99 in milliseconds."""
    messages = max(10, min(int(messages), 5000))
    with transaction.atomic():
        try:
            report = _run(messages, log)
        finally:
            transaction.set_rollback(True)
            searching.reset()  # the index may hold rolled-back articles
    lines = [
        f"Assistant replies (no LLM): {report.messages} messages + {report.presses} button "
        f"presses; demo ledger: {'yes' if report.with_ledger else 'no (run `kefu demo`)'}; "
        f"first turn (loading) {report.warmup_ms:.0f} ms",
        "",
        "| turns | n | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, values in [("all", report.samples_ms), *sorted(report.by_kind.items())]:
        lines.append(
            f"| {kind} | {len(values)} | {report.percentile(50, values):.2f} | "
            f"{report.percentile(95, values):.2f} | {report.percentile(99, values):.2f} | "
            f"{statistics.fmean(values) if values else 0.0:.2f} |"
        )
    lines.append(
        f"| all, CPU time of the thread | {len(report.cpu_ms)} | "
        f"{report.percentile(50, report.cpu_ms):.2f} | {report.percentile(95, report.cpu_ms):.2f} "
        f"| {report.percentile(99, report.cpu_ms):.2f} | "
        f"{statistics.fmean(report.cpu_ms) if report.cpu_ms else 0.0:.2f} |"
    )
    log("\n".join(lines))
    return report


def _run(count: int, log: Callable[[str], None]) -> ReplyBench:
    _ensure_kb(log)
    contact = Contact.objects.filter(email=MAIN_EMAIL).exclude(uid="").first()
    plan = build_messages(count)

    def context(hint: str) -> dialogue.CustomerContext:
        return dialogue.CustomerContext(contact=contact, conversation_id=None, language_hint=hint)

    started = time.perf_counter()
    for warm in ("提现没到账 withdrawal", "how much is the withdrawal fee"):
        dialogue.respond(text=warm, state={}, context=context("en"), actor=ACTOR)
    report = ReplyBench(
        messages=len(plan),
        presses=0,
        with_ledger=contact is not None,
        warmup_ms=(time.perf_counter() - started) * 1000,
    )
    for kind, hint, text in plan:
        turn = _measure(report, kind, text=text, state={}, context=context(hint))
        picks = [b.payload for b in turn.buttons if b.payload.startswith("tx:")]
        if picks:
            state: dict[str, Any] = turn.state
            payload = picks[len(report.samples_ms) % len(picks)]
            _measure(
                report, "tx pick", text="", payload=payload, state=state, context=context(hint)
            )
            report.presses += 1
    return report
