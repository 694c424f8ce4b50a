"""Tokenisation and synonyms of the help-center search: what the index and queries are made of."""

from __future__ import annotations

import pytest

from kefu.helpcenter.search import synonyms
from kefu.helpcenter.search.analysis import (
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    analyze,
    analyze_query,
    normalize,
    stem,
)


def test_normalize_folds_width_and_case():
    assert normalize("ＵＳＤＴ　ＴＲＣ２０，提现") == "usdt trc20,提现"


def test_normalize_replaces_junk_with_spaces():
    assert normalize("with\x00draw\u200b\ufeffal\x1b\ud800x") == "with draw  al  x"


def test_normalize_caps_length_and_tolerates_non_text():
    assert len(normalize("a" * 10_000, 50)) == 50
    assert normalize("") == ""
    assert normalize(None) == ""  # type: ignore[arg-type]


def test_latin_words_are_stemmed_codes_kept_whole():
    assert analyze("Withdrawals withdrawing WITHDRAW") == ["withdraw"] * 3
    assert analyze("USDT on TRC20, ERC-20 or bep-20; 2FA") == [
        "usdt", "on", "trc20", "erc20", "or", "bep20", "2fa"
    ]  # fmt: skip


def test_single_letters_and_over_long_tokens_are_dropped():
    assert analyze("user's key " + "f" * 64) == ["user", "key"]


def test_surfaces_are_reported_unstemmed():
    surfaces: set[str] = set()
    analyze("Withdrawals of USDT 提现", surfaces=surfaces)
    assert surfaces == {"withdrawals", "of", "usdt"}


def test_chinese_uses_the_domain_dictionary_and_search_mode():
    terms = analyze("谷歌验证器丢了，提现没到账")
    assert {"谷歌验证器", "谷歌", "验证", "提现", "没到账", "到账"} <= set(terms)
    assert "实名认证" in analyze("实名认证被拒")
    assert analyze("谷歌验证器", precise=True) == ["谷歌验证器"]


def test_mixed_script_runs_split_cleanly():
    assert analyze("提现USDT到TRC20地址") == ["提现", "usdt", "到", "trc20", "地址"]


def test_stem_leaves_codes_and_short_words():
    assert stem("withdrawals") == "withdraw"
    assert stem("trc20") == "trc20"
    assert stem("on") == "on"
    assert stem("café") == "café"


def test_query_drops_stopwords_and_duplicates():
    parsed = analyze_query("How do I withdraw my withdrawal?")
    assert parsed.words == ("withdraw",)
    assert parsed.terms[0].surface == "withdraw"


def test_query_of_only_stopwords_falls_back_to_them():
    assert analyze_query("how do I").words == ("how", "do")
    assert analyze_query("怎么办").words == ("怎么", "怎么办")


def test_query_prefix_is_the_unfinished_last_latin_word():
    assert analyze_query("usdt withdr").prefix == "withdr"
    assert analyze_query("usdt withdr ").prefix is None
    assert analyze_query("usdt withdr?").prefix is None
    assert analyze_query("withdr 提现").prefix is None
    assert analyze_query("提现usdt").prefix == "usdt"
    assert analyze_query("how to w").prefix == "w"  # too short to be a term, still a prefix


@pytest.mark.parametrize(
    "query", ["", "   ", "!!!，。", "\x00\x01", "\ud800", "🙂🚀", "\u200b", "a" * 100_000]
)
def test_odd_queries_give_no_terms(query):
    parsed = analyze_query(query)
    assert parsed.terms == ()
    assert parsed.prefix is None


def test_query_is_capped_in_length_and_terms():
    long_query = " ".join(f"word{i}" for i in range(1_000))
    parsed = analyze_query(long_query)
    assert len(parsed.terms) == MAX_QUERY_TERMS
    assert all(len(t.surface) <= MAX_QUERY_CHARS for t in parsed.terms)


def test_synonyms_expand_across_languages():
    [added] = synonyms.expand(analyze_query("提现").words)
    assert {"withdraw", "提币"} <= set(added)
    assert "提现" not in added
    [added] = synonyms.expand(analyze_query("withdrawal").words)
    assert "提现" in added


def test_synonym_phrases_match_whole_and_are_not_added_word_by_word():
    assert synonyms.expand(analyze_query("cash").words) == []
    [added] = synonyms.expand(analyze_query("out of cash").words)  # order does not matter
    assert "withdraw" in added
    assert "cash" not in added
    assert "out" not in added


def test_several_groups_can_match():
    groups = synonyms.expand(analyze_query("2FA 丢失").words)
    assert len(groups) == 2
    assert any("谷歌验证器" in group for group in groups)
    assert any("lost" in group for group in groups)
