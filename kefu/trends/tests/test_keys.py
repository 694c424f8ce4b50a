"""Salient terms and the keys a conversation is counted under."""

from __future__ import annotations

from kefu.trends import keys


def test_terms_are_found_inside_chinese_text_and_in_every_spelling():
    text = "我的usdt用trc-20提现没到账，以太坊的 ERC 20 也是"
    assert keys.extract_terms(text) == ["USDT", "TRC20", "ETH", "ERC20"]


def test_chinese_and_english_names_map_to_the_ticker():
    assert keys.extract_terms("比特币 and Tether") == ["BTC", "USDT"]
    assert keys.extract_terms("波场网络") == ["TRON"]


def test_everyday_words_are_not_terms():
    assert keys.extract_terms("I sent a DOT etc to the base of my account, op") == []
    assert keys.extract_terms("USDTX and BTCS are not tickers") == []


def test_at_most_four_terms_per_conversation():
    assert len(keys.extract_terms("BTC ETH SOL XRP DOGE LTC")) == keys.MAX_TERMS


def test_keys_of_a_conversation():
    found = keys.conversation_keys(
        intent="withdrawal_status", language="zh-hans", channel="chat", terms=["TRC20"]
    )
    assert found == [
        "i:withdrawal_status|l:zh|c:chat",
        "t:TRC20",
        "t:TRC20|i:withdrawal_status|l:zh",
    ]


def test_unknown_intents_count_as_other():
    assert keys.conversation_keys(intent="nonsense", language="en", channel="email", terms=[]) == [
        "i:other|l:en|c:email"
    ]


def test_a_key_in_words():
    assert keys.describe_key("t:TRC20|i:withdrawal_status|l:zh") == (
        "TRC20 · Withdrawal status · Chinese"
    )
