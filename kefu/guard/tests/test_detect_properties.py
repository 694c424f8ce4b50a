"""Properties of ``scan`` on any input: it never raises, spans are valid and sorted, and the
redacted text never holds the secret."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.guard.detect import KINDS, REDACTION, ScanResult, scan
from kefu.guard.tests.helpers import seed

_ALPHABET = st.sampled_from(
    [
        *"abcdefxyz0123456789 ,.:：，、\n\u3000-#的是我验证码密钥助记词",
        *("seed phrase ", "password is ", "验证码是", "private key ", "txid ", "0x", "abandon "),
    ]
)


def _check(text: str, result: ScanResult) -> None:
    previous_end = 0
    for finding in result.findings:
        assert finding.kind in KINDS
        assert previous_end <= finding.start < finding.end <= len(text)
        previous_end = finding.end
    expected = []
    pos = 0
    for finding in result.findings:
        expected.append(text[pos : finding.start] + REDACTION)
        pos = finding.end
    assert result.redacted == "".join(expected) + text[pos:]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_scan_never_raises_on_any_text(text):
    _check(text, scan(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_scan_never_raises_on_cue_soup(text):
    _check(text, scan(text))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["en", "zh"]), st.sampled_from([16, 20, 32]))
def test_redacted_text_never_holds_the_secret(salt, lang, strength):
    words = seed(lang, strength, salt)
    rng = random.Random(salt)
    key = rng.randbytes(32).hex()
    sep = " " if lang == "en" else rng.choice([" ", "", "，"])
    text = f"助记词 {sep.join(words)} and my private key is {key}; password: Pw{salt}xyz!"
    result = scan(text)
    _check(text, result)
    assert sep.join(words) not in result.redacted
    assert key not in result.redacted
    assert f"Pw{salt}xyz" not in result.redacted


def test_empty_and_non_string_input():
    assert scan("") == ScanResult((), "")
    assert scan(None) == ScanResult((), "")  # type: ignore[arg-type]


def test_huge_input_is_scanned_in_chunks_to_the_end():
    words = " ".join(seed("en", salt=9))
    filler = "hello there, nothing to see. " * 5000  # ~145k chars
    text = filler + "my seed phrase: " + words + " " + filler
    result = scan(text)
    assert [f.kind for f in result.findings] == ["seed_phrase"]
    assert words not in result.redacted
    _check(text, result)


def test_lone_surrogates_and_control_characters():
    text = "\ud800\x00password is \udfffAbc12345\x07"
    _check(text, scan(text))
