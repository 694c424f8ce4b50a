"""Language detection: zh when the message holds meaningful Chinese, en otherwise, other for
messages mostly in another script."""

from __future__ import annotations

import pytest

from kefu.assistant.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my withdrawal is stuck", "en"),
        ("提现一直没到账", "zh"),
        ("USDT TRC20 提现没到账", "zh"),  # mixed: the Chinese decides
        ("我的 card 被 declined 了", "zh"),
        ("好", "zh"),  # one Han character alone is still Chinese
        ("ok 好", "en"),  # ... but not next to a Latin word
        ("ＵＳＤＴ ｗｉｔｈｄｒａｗａｌ", "en"),  # full-width Latin
        ("提現還沒到賬", "zh"),  # traditional characters
        ("Мой вывод не пришёл", "other"),
        ("출금이 안 돼요", "other"),
        ("出金がまだ届きません", "other"),  # Japanese: more kana than kanji
        ("¿dónde está mi depósito?", "en"),  # Latin script defaults to en
        ("USDT 没到 😡😡", "zh"),
        ("😡😡👍", "en"),  # no letters: the desk's default
        ("", "en"),
        ("   ", "en"),
        ("12345 0x3f5c", "en"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected
