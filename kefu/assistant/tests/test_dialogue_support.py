"""Helpers the dialogue, answer and LLM tests share (the demo knowledge base, the demo ledger,
the official-channel registry, a turn runner), and the tests of reading facts in messages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from kefu.assistant import dialogue
from kefu.assistant.flows import extract_channel_values, extract_facts
from kefu.core.actor import Actor, ActorKind
from kefu.exchange.demo_data import MAIN_EMAIL, seed_demo_ledger
from kefu.exchange.tests.conftest import CUSTOMERS, MAIN_UID
from kefu.helpcenter.transfer import kb_import
from kefu.testing import factories
from kefu.trust import services as trust_services
from kefu.trust.demo import CHANNELS

DEMO_KB = Path(__file__).resolve().parents[2] / "helpcenter" / "demo_kb"
ASSISTANT = Actor(kind=ActorKind.ASSISTANT, label="assistant")


# The demo articles most tests need: importing all of them takes seconds per test.
ARTICLES = (
    "withdrawal-pending",
    "withdrawal-failed-reasons",
    "withdrawal-not-received",
    "deposit-not-credited",
    "deposit-crypto",
    "deposit-withdrawal-fees",
    "cannot-log-in",
    "reset-password",
    "lost-2fa",
    "account-hacked",
    "official-channels",
    "trading-fees",
    "kyc-how",
)


def load_demo_kb(actor: Actor, tmp_path: Path | None = None) -> None:
    """The knowledge base ``kefu demo`` loads, published: all of it, or (with ``tmp_path``)
    only ``ARTICLES``, copied there first."""
    root = DEMO_KB
    if tmp_path is not None:
        root = tmp_path / "kb"
        (root / "articles").mkdir(parents=True)
        shutil.copy(DEMO_KB / "categories.yaml", root / "categories.yaml")
        for slug in ARTICLES:
            folder = root / "articles" / slug
            folder.mkdir()
            for path in (DEMO_KB / "articles" / slug).glob("*.md"):
                # Related articles may be outside the subset: drop the links.
                text = re.sub(r"(?m)^related:.*\n", "", path.read_text(encoding="utf-8"))
                (folder / path.name).write_text(text, encoding="utf-8")
    kb_import(root=root, actor=actor)


def main_demo_contact(language: str = "en") -> Any:
    """The main demo customer (one fund record of every case) with their ledger seeded."""
    contact = factories.ContactFactory(
        email=MAIN_EMAIL, uid=MAIN_UID, name=CUSTOMERS[0].name, language=language
    )
    seed_demo_ledger([contact])
    return contact


def register_official_channels(actor: Actor) -> None:
    for kind, value, platform, label_en, label_zh in CHANNELS:
        trust_services.official_channel_save(
            kind=kind,
            value=value,
            platform=platform,
            label_en=label_en,
            label_zh=label_zh,
            is_active="retired" not in label_en,
            actor=actor,
        )


class Chat:
    """A conversation with the assistant: keeps the state between turns like the chat
    integration does, and records every turn."""

    def __init__(self, contact: Any = None, *, hint: str = "en", conversation_id: int = 0):
        self.context = dialogue.CustomerContext(
            contact=contact, conversation_id=conversation_id or None, language_hint=hint
        )
        self.state: Mapping[str, Any] = {}
        self.turns: list[dialogue.Turn] = []

    def say(self, text: str = "", payload: str = "") -> dialogue.Turn:
        turn = dialogue.respond(
            text=text, payload=payload, state=self.state, context=self.context, actor=ASSISTANT
        )
        self.state = turn.state
        self.turns.append(turn)
        return turn

    def press(self, payload: str) -> dialogue.Turn:
        return self.say(payload=payload)


def payloads(turn: dialogue.Turn) -> list[str]:
    return [b.payload for b in turn.buttons]


# --- facts in messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I sent 500 USDT on TRC-20 yesterday",
            {"amount": "500", "asset": "USDT", "network": "TRC20"},
        ),
        ("提现 USDT 1500 TRC20 没到账", {"amount": "1500", "asset": "USDT", "network": "TRC20"}),
        ("my btc withdrawal of 0.5 btc", {"amount": "0.5", "asset": "BTC"}),
        ("比特币提现失败", {"asset": "BTC"}),
        (
            "txid 0x" + "ab" * 32 + " please check",
            {"txid": "0x" + "ab" * 32},
        ),
        ("where is my withdrawal", {}),
        ("on 2026-11-20 at 10:00", {}),
    ],
)
def test_extract_facts(text, expected):
    assert extract_facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "is https://demo-exchange.com.login-verify.io/account real?",
            ["https://demo-exchange.com.login-verify.io/account"],
        ),
        ("I got a mail from support@demo-exchange.co, is it you?", ["support@demo-exchange.co"]),
        ("这个网站 demo-exchangee.com 是官方的吗", ["demo-exchangee.com"]),
        ("someone called me from +86 400 000 0001", ["+86 400 000 0001"]),
        ("telegram @DemoExchangeSupport_help said they are staff", ["@DemoExchangeSupport_help"]),
        ("is this really your site?", []),
    ],
)
def test_extract_channel_values(text, expected):
    assert extract_channel_values(text) == expected


def test_the_reply_benchmark_runs_and_keeps_nothing(db, system_actor, tmp_path):
    from kefu.audit.models import AuditEntry
    from kefu.bench.assistant_reply import build_messages, run

    load_demo_kb(system_actor, tmp_path)
    main_demo_contact()
    before = AuditEntry.objects.count()
    lines: list[str] = []
    report = run(messages=30, log=lines.append)
    assert report.messages == 30
    assert report.with_ledger is True
    assert report.presses > 0
    assert len(report.samples_ms) == 30 + report.presses
    assert "| all | " in lines[0]
    assert AuditEntry.objects.count() == before  # the lookups' audit rows were rolled back
    assert build_messages(30) == build_messages(30)
