from __future__ import annotations

import pytest

from kefu.guard.detect import REDACTION, scan
from kefu.guard.seeds import EN_INDEX, checksum_ok
from kefu.guard.tests.helpers import bad_checksum_words, kinds, seed


def test_checksum_matches_mnemonic_check():
    words = seed("en")
    assert checksum_ok([EN_INDEX[w] for w in words])
    swapped = [*words[:-1], words[0] if words[-1] != words[0] else words[1]]
    assert checksum_ok([EN_INDEX[w] for w in swapped]) is False or swapped == words


@pytest.mark.parametrize("strength", [16, 20, 24, 28, 32])
def test_english_seed_of_every_length_is_found_without_a_cue(strength):
    words = seed("en", strength)
    text = "hi, " + " ".join(words) + " thanks"
    assert kinds(text) == [("seed_phrase", " ".join(words))]


def test_seed_after_a_cue_is_found():
    words = seed("en", salt=1)
    text = f"my seed phrase is {' '.join(words)}"
    assert kinds(text) == [("seed_phrase", " ".join(words))]


def test_checksum_failing_list_words_are_not_flagged_without_a_cue():
    text = " ".join(bad_checksum_words())
    assert scan(text).findings == ()


def test_checksum_failing_list_words_are_flagged_after_a_seed_cue():
    words = bad_checksum_words(1)
    text = "my recovery phrase: " + " ".join(words)
    assert kinds(text) == [("seed_phrase", " ".join(words))]


def test_ordinary_sentence_of_list_words_is_not_flagged():
    text = (
        "you can check the order history because the first one was cancel and the second "
        "one was fine but now the balance is wrong"
    )
    assert scan(text).findings == ()


@pytest.mark.parametrize("sep", [" ", "", "，", "、", "\u3000", "\n"])
def test_chinese_seed_with_any_separator(sep):
    words = seed("zh", salt=2)
    phrase = sep.join(words)
    assert kinds(f"助记词：{phrase}") == [("seed_phrase", phrase)]
    assert kinds(phrase) == [("seed_phrase", phrase)]


def test_chinese_prose_of_list_characters_is_not_flagged():
    text = "你好，我想问一下我的账户为什么不能提现，已经等了三天了，能不能帮我查一下是什么原因"
    assert scan(text).findings == ()


@pytest.mark.parametrize("fmt", ["{i}. {w}", "{i}) {w}", "{i}-{w}", "{i}.{w}", "({i}) {w}"])
def test_numbered_lists(fmt):
    words = seed("en", salt=3)
    body = " ".join(fmt.format(i=i, w=w) for i, w in enumerate(words, 1))
    result = scan("1. abandon 2. ability are not mine, this is: " + body)
    assert [f.kind for f in result.findings] == ["seed_phrase"]
    for word in words:
        assert f" {word}" not in result.redacted


@pytest.mark.parametrize("sep", [", ", " - ", "  ", "\n", "；", "，", " / "])
def test_odd_separators_and_full_width_punctuation(sep):
    words = seed("en", salt=4)
    text = sep.join(words)
    assert kinds(text) == [("seed_phrase", text)]


def test_upper_case_seed_is_found():
    words = [w.upper() for w in seed("en", salt=5)]
    assert [k for k, _ in kinds(" ".join(words))] == ["seed_phrase"]


def test_two_seeds_in_one_message_are_both_redacted():
    a, b = seed("en", salt=6), seed("zh", salt=7)
    text = f"old wallet: {' '.join(a)}\nnew wallet 助记词 {' '.join(b)}"
    result = scan(text)
    assert [f.kind for f in result.findings] == ["seed_phrase", "seed_phrase"]
    assert result.redacted == f"old wallet: {REDACTION}\nnew wallet 助记词 {REDACTION}"
