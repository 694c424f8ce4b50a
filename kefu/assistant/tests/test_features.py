"""Normalisation and feature extraction."""

from __future__ import annotations

from kefu.assistant.features import MAX_CHARS, features, normalize


def test_normalize_folds_width_case_space_and_quotes():
    assert (
        normalize("  ＵＳＤＴ   Withdrawal\tDOESN’T\n arrive ") == "usdt withdrawal doesn't arrive"
    )


def test_normalize_replaces_numbers_but_keeps_network_names():
    assert normalize("sent 1,250.50 USDT on TRC20 at 10:30") == "sent 0 usdt on trc20 at 0:0"
    assert normalize("2FA code") == "2fa code"


def test_normalize_replaces_ids_links_and_emails():
    text = (
        "tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 to "
        "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE, see https://tronscan.org/#/tx/abc or mail a@b.com"
    )
    assert normalize(text) == "tx idx to idx , see urlx or mail emailx"


def test_normalize_only_reads_the_start_of_a_huge_message():
    assert len(normalize("a" * (MAX_CHARS * 5))) == MAX_CHARS


def test_features_cover_english_words_stems_bigrams_and_char_ngrams():
    found = features("Withdrawals pending")
    assert {"w:withdrawals", "s:withdraw", "b:withdrawals pending", "b:^ withdrawals"} <= found
    assert {"g:<wi", "g:draw", "g:als>", "b:pending $"} <= found


def test_a_typo_still_shares_character_ngrams():
    right, typo = features("withdrawal"), features("withdrawl")
    shared = {f for f in right & typo if f.startswith("g:")}
    assert len(shared) >= 6


def test_features_cover_chinese_words_characters_and_bigrams():
    found = features("提现没到账")
    assert {"c:提", "c:提现", "c:到账", "w:提现"} <= found
    assert not any(f.startswith("g:") for f in found)


def test_mixed_message_gets_both_kinds():
    found = features("USDT TRC20 提现没到账")
    assert {"w:usdt", "w:trc20", "b:usdt trc20", "c:提现"} <= found


def test_empty_message_has_no_features():
    assert features("") == set()
    assert features(" \n ") == set()


def test_traditional_chinese_is_folded_to_simplified():
    assert normalize("請問提款要多久才會到帳") == "请问提款要多久才会到账"
    assert features("帳戶被凍結") == features("账户被冻结")


def test_chat_shorthand_shares_features_with_the_written_words():
    assert features("pls check my acct txn") == features("please check my account transaction")
