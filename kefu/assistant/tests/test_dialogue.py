"""The assistant's dialogue: every guided flow, clarifying questions, hand-offs and the safety
nets, against the demo knowledge base, the demo ledger and the demo official channels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.assistant import flows
from kefu.assistant import replies_text as t
from kefu.assistant.tests.test_dialogue_support import (
    Chat,
    load_demo_kb,
    main_demo_contact,
    payloads,
    register_official_channels,
)
from kefu.audit.models import AuditEntry


@pytest.fixture
def kb(db, system_actor, tmp_path):
    load_demo_kb(system_actor, tmp_path)


@pytest.fixture
def contact(kb):
    return main_demo_contact()


@pytest.fixture
def official(db, admin_user, actor_of):
    register_official_channels(actor_of(admin_user))


def lookups():
    return list(AuditEntry.objects.filter(action__startswith="exchange.").order_by("id"))


# --- deposits and withdrawals ---------------------------------------------------------------


def test_several_withdrawals_ask_which_then_the_pick_is_explained(contact):
    chat = Chat(contact, conversation_id=42)
    turn = chat.say("where is my withdrawal?")
    assert turn.intent == "withdrawal_status"
    assert turn.handoff is None
    offered = [p for p in payloads(turn) if p.startswith("tx:")]
    assert len(offered) == 5
    assert "tx:WD31000000003" in offered
    assert payloads(turn)[-1] == "handoff"
    assert "Which one do you mean?" in turn.text
    assert turn.state["pending"] == "tx"
    # The lookups were made as the assistant, with the conversation as the reason.
    entries = lookups()
    assert {e.action for e in entries} == {
        "exchange.account_viewed",
        "exchange.fund_records_viewed",
    }
    assert {e.actor_kind for e in entries} == {"assistant"}
    assert all("conversation 42" in e.data["reason"] for e in entries)

    turn = chat.press("tx:WD31000000003")
    assert turn.intent == "withdrawal_status"
    assert "1500 USDT" in turn.text
    assert "7 of 19" in turn.text
    assert turn.state["facts"]["diagnosis"] == "withdrawal.broadcast"
    assert payloads(turn) == ["resolved:yes", "resolved:no"]
    assert turn.text.endswith(t.resolved_question())
    assert [c.url for c in turn.citations] == ["/help/en/articles/withdrawal-pending/"]

    turn = chat.press("resolved:yes")
    assert turn.outcome == "resolved"
    assert turn.handoff is None


def test_typing_the_txid_instead_of_pressing_a_button_explains_that_record(contact):
    chat = Chat(contact)
    turn = chat.say("where is my withdrawal?")
    txid = turn.state["tx"]["WD31000000003"]["txid"]
    turn = chat.say(f"it is this one: {txid}")
    assert turn.state["facts"]["record"] == "WD31000000003"
    assert "1500 USDT" in turn.text


def test_thanks_while_asked_which_record_does_not_look_up_again(contact):
    chat = Chat(contact)
    chat.say("where is my withdrawal?")
    before = len(lookups())
    turn = chat.say("thanks")
    assert turn.text == t.thanks()
    assert len(lookups()) == before


def test_picking_a_record_without_txid_explains_that_record(contact):
    chat = Chat(contact)
    chat.say("where is my withdrawal?")
    turn = chat.press("tx:WD31000000007")  # 140 SOL held by risk control, no txid yet
    assert "140 SOL" in turn.text
    assert turn.state["facts"]["record"] == "WD31000000007"


def test_a_failed_withdrawal_with_details_is_explained_then_handed_off_when_unresolved(contact):
    chat = Chat(contact)
    turn = chat.say("my withdrawal of 500 USDT on TRC20 failed")
    assert turn.intent == "withdrawal_failed"
    assert "not a valid TRC20 address" in turn.text
    assert payloads(turn) == ["resolved:yes", "resolved:no"]

    turn = chat.press("resolved:no")
    assert turn.outcome == "handed_off"
    assert turn.handoff is not None
    assert turn.handoff.reason == "unresolved"
    assert turn.handoff.urgent is False
    assert turn.handoff.intent == "withdrawal_failed"
    summary = turn.handoff.summary
    for fact in ("withdrawal_failed", "amount=500", "asset=USDT", "network=TRC20"):
        assert fact in summary
    assert "diagnosis=withdrawal.invalid_address" in summary
    assert "Tried: diagnosis" in summary
    assert "A person will take over" in turn.text


def test_a_missing_deposit_in_chinese(contact):
    chat = Chat(contact, hint="en")
    turn = chat.say("我充值的 300 XRP 没到账")
    assert turn.intent == "deposit_missing"
    assert turn.language == "zh-hans"
    assert "300 XRP" in turn.text
    assert turn.state["facts"]["record"] == "DP31000000025"
    assert "标签" in turn.text or "备注" in turn.text  # the missing destination tag
    assert t.resolved_question() not in turn.text  # translated
    assert "这是否解答了您的问题？" in turn.text


def test_no_matching_record_asks_for_details_once_then_hands_off(contact):
    chat = Chat(contact)
    turn = chat.say("my withdrawal of 777 USDT did not arrive")
    assert turn.handoff is None
    assert "transaction ID" in turn.text
    assert turn.state["pending"] == "fund_details"
    turn = chat.say("it was 778 USDT")
    assert turn.handoff is not None
    assert turn.handoff.reason == "flow"
    assert turn.handoff.intent == "withdrawal_status"
    assert "amount=778" in turn.handoff.summary


def test_details_after_the_question_find_the_record(contact):
    chat = Chat(contact)
    chat.say("my withdrawal did not arrive, 777 USDT")
    turn = chat.say("sorry, it was 3200 USDT on TRC20")
    assert turn.handoff is None
    assert turn.state["facts"]["record"] == "WD31000000015"  # address not whitelisted


def test_anonymous_visitor_asking_about_a_withdrawal_gets_no_lookup(kb):
    chat = Chat(None)
    turn = chat.say("where is my withdrawal?")
    assert turn.intent == "withdrawal_status"
    assert turn.handoff is None
    assert turn.link == reverse("portal:login")
    assert "sign in" in turn.text
    assert payloads(turn) == ["handoff"]
    assert lookups() == []
    turn = chat.press("handoff")
    assert turn.handoff is not None
    assert turn.handoff.reason == "asked"
    assert turn.handoff.intent == "withdrawal_status"
    assert lookups() == []


def test_exchange_unreachable_hands_off(contact, monkeypatch):
    from kefu.exchange.connector import ConnectorError

    def down(**kwargs):
        raise ConnectorError("down", retryable=True)

    monkeypatch.setattr(flows.diag, "diagnosis_for", down)
    turn = Chat(contact).say("where is my withdrawal?")
    assert turn.handoff is not None
    assert turn.handoff.reason == "lookup_failed"


# --- sign-in, 2FA, security ----------------------------------------------------------------


def test_account_access_offers_password_change_and_unlock(kb):
    chat = Chat(None)
    turn = chat.say("I cannot log in to my account")
    assert turn.intent == "account_access"
    assert payloads(turn) == ["reset_password", "verify:unlock", "handoff"]
    assert [c.url for c in turn.citations] == ["/help/en/articles/cannot-log-in/"]
    turn = chat.press("verify:unlock")
    assert turn.link == "/help/verify/?lang=en"
    assert reverse("cases:submit") == "/help/verify/"
    assert payloads(turn) == ["resolved:yes", "resolved:no"]
    turn = chat.press("reset_password")
    assert turn.link == reverse("portal:account") + "#password"


def test_two_factor_offers_the_verification_case_in_chinese(kb):
    chat = Chat(None, hint="zh-hans")
    turn = chat.say("我的谷歌验证器丢了")
    assert turn.intent == "two_factor"
    assert turn.language == "zh-hans"
    assert payloads(turn) == ["verify:reset_2fa", "handoff"]
    assert [c.url for c in turn.citations] == ["/help/zh-hans/articles/lost-2fa/"]
    turn = chat.press("verify:reset_2fa")
    assert turn.link == "/help/verify/?lang=zh-hans"
    assert turn.language == "zh-hans"


@pytest.mark.parametrize(
    ("text", "language"), [("my account was hacked", "en"), ("我的账号被盗了", "zh-hans")]
)
def test_security_offers_the_freeze_and_hands_off_urgently(kb, text, language):
    turn = Chat(None).say(text)
    assert turn.intent == "security"
    assert turn.language == language
    assert payloads(turn) == ["freeze"]
    assert turn.link == reverse("portal:account_emergency_freeze")
    assert turn.handoff is not None
    assert turn.handoff.urgent is True
    assert turn.handoff.reason == "security"
    assert turn.handoff.language == language
    assert turn.outcome == "handed_off"
    if language == "zh-hans":
        assert "冻结" in turn.text


# --- official channels ----------------------------------------------------------------------


def test_official_check_flags_a_lookalike_domain_in_the_message(official):
    turn = Chat(None).say("is demo-exchangee.com your site?")
    assert turn.intent == "official_check"
    assert "Suspicious" in turn.text
    assert "demo-exchange.com" in turn.text
    assert "Do not sign in" in turn.text
    assert turn.state["facts"] == {"checked": "demo-exchangee.com", "verdict": "suspicious"}
    assert turn.link == reverse("trust:check")


def test_official_check_confirms_an_official_address(official):
    turn = Chat(None).say("is support@demo-exchange.com really your email?")
    assert turn.state["facts"]["verdict"] == "official"
    assert "Do not sign in" not in turn.text


def test_official_check_asks_for_the_value_then_checks_it(official):
    chat = Chat(None)
    turn = chat.say("how do I know if a website is official?")
    assert turn.intent == "official_check"
    assert turn.state["pending"] == "official_value"
    assert turn.text == t.official_ask()
    turn = chat.say("https://demo-exchange.com.secure-login.io/signin")
    assert turn.state["facts"]["verdict"] == "suspicious"


# --- people, unclear messages, other --------------------------------------------------------


def test_human_agent_hands_off_immediately(kb):
    turn = Chat(None).say("I want to talk to a human")
    assert turn.intent == "human_agent"
    assert turn.handoff is not None
    assert turn.handoff.reason == "asked"
    assert turn.outcome == "handed_off"
    assert t.handoff() in turn.text


def test_unclear_message_gets_a_clarifying_question_then_a_handoff(kb):
    chat = Chat(None)
    turn = chat.say("problem")
    assert turn.confidence < 0.6
    assert turn.handoff is None
    assert turn.text == t.clarify()
    choices = payloads(turn)
    assert len(choices) == 4
    assert all(p.startswith("intent:") for p in choices[:3])
    assert choices[3] == "handoff"
    turn = chat.say("hmm")
    assert turn.handoff is not None
    assert turn.handoff.reason == "low_confidence"
    assert "clarifying question" in turn.handoff.summary


def test_picking_an_intent_after_the_clarifying_question_runs_its_flow(kb):
    chat = Chat(None)
    chat.say("problem")
    turn = chat.press("intent:account_access")
    assert turn.intent == "account_access"
    assert payloads(turn) == ["reset_password", "verify:unlock", "handoff"]


@pytest.mark.parametrize(
    "text",
    [
        "should I buy bitcoin now?",
        "Which coin will go up next week?",
        "is ETH going to drop?",
        "我应该买什么币",
        "比特币会涨吗",
    ],
)
def test_investment_advice_is_refused(kb, text):
    turn = Chat(None).say(text)
    assert turn.intent == "other"
    assert turn.handoff is None
    assert turn.citations == ()
    with_language = "zh-hans" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    assert turn.language == with_language
    from django.utils import translation

    with translation.override(with_language):
        assert turn.text == t.investment_refusal()


def test_greeting_thanks_and_unrelated_questions(kb):
    assert Chat(None).say("hello").text == t.greeting()
    assert "您好" in Chat(None).say("你好").text
    assert Chat(None).say("thanks a lot!").text == t.thanks()
    turn = Chat(None).say("what is the capital of France")
    assert turn.intent == "other"
    assert turn.text == t.out_of_scope()
    assert turn.citations == ()
    assert turn.handoff is None


def test_help_center_answer_cites_its_article_in_both_languages(kb):
    turn = Chat(None).say("how much is the withdrawal fee")
    assert turn.intent == "fees_limits"
    assert [c.url for c in turn.citations] == ["/help/en/articles/deposit-withdrawal-fees/"]
    assert turn.citations[0].title in turn.text
    assert payloads(turn) == ["resolved:yes", "resolved:no"]
    turn = Chat(None).say("提现手续费是多少")
    assert turn.language == "zh-hans"
    assert [c.url for c in turn.citations] == ["/help/zh-hans/articles/deposit-withdrawal-fees/"]
    assert "手续费" in turn.text
    assert "帮助中心" in turn.text


def test_no_article_hands_off(db):
    turn = Chat(None).say("how much is the withdrawal fee")
    assert turn.handoff is not None
    assert turn.handoff.reason == "no_answer"


def test_a_short_yes_after_an_answer_resolves(kb):
    chat = Chat(None)
    chat.say("how much is the withdrawal fee")
    assert chat.say("yes").outcome == "resolved"


def test_language_follows_the_conversation_for_ids_and_short_words(contact):
    chat = Chat(contact, hint="en")
    assert chat.say("提现没到账").language == "zh-hans"
    assert chat.say("ok").language == "zh-hans"
    assert chat.press("handoff").language == "zh-hans"


# --- safety nets ----------------------------------------------------------------------------


def test_a_reply_blocked_by_the_outbound_guard_becomes_a_handoff(kb, monkeypatch):
    monkeypatch.setattr(t, "greeting", lambda: "Hello! Please send me your 2FA code.")
    turn = Chat(None).say("hello")
    assert turn.handoff is not None
    assert turn.handoff.reason == "guard_blocked"
    assert "2FA code" not in turn.text
    assert turn.text == t.handoff()


def test_an_internal_error_becomes_a_handoff(kb, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(flows, "kb_reply", broken)
    turn = Chat(None).say("how much is the withdrawal fee")
    assert turn.handoff is not None
    assert turn.handoff.reason == "error"
    assert turn.outcome == "handed_off"


@pytest.mark.parametrize(
    ("text", "payload", "state"),
    [
        ("", "", {}),
        ("\x00\u202e\ud800", "", {}),
        ("a" * 100_000, "", {}),
        ("hi", "tx:does-not-exist", {"tx": "nonsense", "pending": 5}),
        ("hi", "intent:not-an-intent", {"facts": [1, 2], "tried": "x"}),
        ("hi", "zzz", {"clarify": "many", "pending": "clarify"}),
        ("", "resolved:no", {}),
    ],
)
def test_odd_input_never_raises(contact, text, payload, state):
    chat = Chat(contact)
    chat.state = state
    turn = chat.say(text, payload)
    assert turn.language in ("en", "zh-hans")
    assert isinstance(turn.state, dict)


def test_an_intent_button_without_an_earlier_question_searches_for_the_topic(kb):
    turn = Chat(None).press("intent:fees_limits")
    assert turn.intent == "fees_limits"
    assert turn.handoff is None
    assert turn.citations
    assert payloads(turn) == ["resolved:yes", "resolved:no"]
