"""The guard's pre-filters (where a cue can start, the literals a pattern needs) change no
result: every labelled message of the project's guard data and generated strings give the same
cues, findings and redaction with them and without them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.guard import context, credentials, seeds
from kefu.guard.detect import scan
from kefu.guard.outbound import check_outbound
from kefu.guard.tests.helpers import seed

DATA = Path(__file__).resolve().parent.parent / "data"
# Development and test splits only: the blind hold-out set (data/holdout) stays unread.
FILES = sorted(p for p in DATA.glob("*.jsonl"))
_MARKUP = re.compile(r"\[\[[a-z_]+:(.*?)\]\]", re.DOTALL)


@contextmanager
def _without_prefilters() -> Iterator[None]:
    start, flag, seed_flag = context._CUE_START, credentials.PREFILTER, seeds.PREFILTER
    context._CUE_START, credentials.PREFILTER, seeds.PREFILTER = None, False, False
    try:
        yield
    finally:
        context._CUE_START, credentials.PREFILTER, seeds.PREFILTER = start, flag, seed_flag


def _results(text: str) -> tuple[object, ...]:
    ctx = context.find_cues(text)
    return (
        ctx.cues,
        seeds.find_seed_phrases(text, ctx),
        scan(text),
        credentials.find_credentials(ctx),
        check_outbound(text),
    )


def _assert_same(text: str) -> None:
    fast = _results(text)
    with _without_prefilters():
        full = _results(text)
    assert fast == full, text


def _corpus() -> list[str]:
    texts: list[str] = []
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                texts += [text, _MARKUP.sub(r"\1", text)]
    return list(dict.fromkeys(texts))


def test_the_prefilters_are_in_use():
    assert context._CUE_START is not None  # the pattern's first characters were worked out
    assert credentials.PREFILTER
    assert seeds.PREFILTER
    assert len(FILES) >= 10
    assert not any("holdout" in str(p) for p in FILES)


def test_every_labelled_message_gives_the_same_results():
    corpus = _corpus()
    assert len(corpus) > 2000
    for text in corpus:
        _assert_same(text)


def test_each_cue_of_the_corpus_starts_where_the_prefilter_looks():
    """The cue-start pattern matches at the first character of every cue of the corpus (and
    the comparison above is not vacuous: the corpus holds cues of every kind)."""
    assert context._CUE_START is not None
    kinds = set()
    for text in _corpus():
        for match in context._CUE_RE.finditer(text):
            kinds.add(match.lastgroup)
            assert context._CUE_START.match(text, match.start()), (text, match.group())
    assert kinds == set(context._CUES)


# Words that the cues, the detectors and the pre-filters look for, and characters that fold
# into ASCII letters under IGNORECASE (ſ→s, K→k, İ/ı→i).
_WORDS = [
    "password", "pass", "passw0rd", "p@ssw0rd", "pwd", "PIN", "code", "codes", "2fa", "GA",
    "ga", "api", "API", "secret", "secret key", "key", "private key", "seed", "txid", "hash",
    "sent", "withdraw", "deposit", "address", "error", "order", "one", "new one is", "or",
    "either", "maybe", "try", "use", "is what i use", "changed it to", "set", "reset",
    "updated", "switched", "wrong chat", "by mistake", "login", "user", "/", "|", ":", "=",
    " is ", "\"", "'", "(", "\n", ". ", ", ", "123456", "482 913", "12", "905531", "2024",
    "Hunter22!", "Qwerty!2024", "0x", "ab" * 32, "JBSWY3DPEHPK3PXP", "验证码", "密码", "私钥",
    "助记词", "钱包", "是", "为", "或", "还是", "改成", "改为", "发错了", "打错了", "提现",
    "可能是", "api密钥", "Hash值", "pin码", "GA码", "2FA码", "/tx/", '"mac":', "ſ", "K", "İ", "ı",
    "abandon", "ability", "able",
]  # fmt: skip


@settings(max_examples=4000, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_WORDS), st.text(max_size=4), st.sampled_from([" ", " "])),
        max_size=14,
    ).map("".join)
)
def test_generated_messages_give_the_same_results(text):
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "hello I cannot withdraw my USDT, order 12345",
        "my password is Hunter22",
        "验证码是 482913",
        "API secret: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        "its either mypassword1 or mypassword2",
        "login ben@qq.com / Q1w2e3r4!",
        "tried 460185 and then 840036 from authy",
        "不好意思发错了 fx_7788aa",
        "my paſsword is Hunter22",  # ſ matches s under IGNORECASE
    ],
)
def test_known_messages_give_the_same_results(text):
    _assert_same(text)


@pytest.mark.parametrize("salt", range(6))
def test_seed_phrases_without_a_cue_give_the_same_results(salt):
    words = seed("en", 16, salt)
    zh = seed("zh", 16, salt)
    for text in (
        " ".join(words),  # twelve list words, no cue: still found
        "hi " + " ".join(words[:11]) + " thanks",  # eleven: skipped by the pre-filter
        "check " + ", ".join(words) + " please",
        " ".join(zh),
        "".join(zh),
        " ".join(words[:6]) + " 我 的 " + " ".join(words[6:]),
    ):
        _assert_same(text)
