"""Text normalisation and the features the intent model sees.

``normalize`` folds the surface forms that carry no meaning for the intent: NFKC (full-width to
half-width), case, curly quotes, common Traditional Chinese characters to Simplified, whitespace,
and placeholders for things that vary per customer (URLs, emails, transaction ids and
addresses, amounts). ``features`` turns the normalised text into a set of string features:

- Latin words (``w:``; chat shorthand such as "pls", "acct", "txn" spelled out), their Snowball
  stems (``s:``), word bigrams (``b:``) and character 3-5-grams inside each padded word (``g:``;
  robust to typos such as "withdrawl");
- Chinese: rjieba words (``w:``), single characters (``c:``) and character bigrams (``c:``),
  so a phrase the segmenter splits differently still shares most features with the training
  data. Mixed messages get both kinds.

Bumping ``FEATURE_VERSION`` invalidates the shipped model (the artifact records it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

import rjieba
import snowballstemmer

FEATURE_VERSION: Final = 2
MAX_CHARS: Final = 1000  # only the start of a very long message is looked at

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|io|org|net|app|me)\b\S*")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_HEX_ID = re.compile(r"\b0x[0-9a-f]{8,}\b")
# Long mixed letter-digit runs: transaction hashes, wallet addresses, order or reference ids.
_LONG_ID = re.compile(r"\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{20,}\b")
_NUMBER = re.compile(r"(?<![a-z])\d+(?:[.,]\d+)*(?![a-z])")
_QUOTES = {"‘": "'", "’": "'", "“": '"', "”": '"', "`": "'"}
# Common Traditional characters of support messages (Hong Kong, Taiwan) folded to Simplified,
# the script of most of the training data: pairs of (Traditional, Simplified).
_TRADITIONAL = (
    "來来係系個个們们傭佣傳传價价億亿償偿優优儲储兌兑兩两凍冻則则動动務务匯汇區区員员問问啓启啟启單单嗎吗嚴严國国圖图團团報报壞坏實实審审寫写寶宝將将對对層层帳账帶带"
    "幣币幫帮幾几張张後后從从復复態态憶忆應应戶户掃扫換换據据擬拟敗败數数於于時时暫暂會会東东條条業业標标樣样機机檯台櫃柜權权歐欧歡欢歲岁氣气沒没測测準准滿满灣湾為为"
    "無无營营狀状現现產产異异發发盜盗確确碼码稅税種种稱称筆笔紀纪級级結结絡络給给經经網网線线縣县繫系續续聯联臉脸臺台與与萬万處处虛虚號号術术裏里補补裡里複复見见規规"
    "視视親亲覺觉覽览訂订託托記记設设詐诈詞词詢询試试話话該该認认語语誤误說说請请諮咨謝谢證证護护讀读變变讓让貨货買买費费資资賠赔賣卖賬账輸输轉转辦办這这進进過过遞递"
    "還还郵邮釣钓銀银錄录錢钱錯错鎖锁鏈链鐘钟鑰钥門门開开間间關关陸陆隊队際际雜杂離离電电頁页頭头題题額额類类駕驾駛驶騙骗驗验體体魚鱼麼么點点齡龄"
)
_FOLD = str.maketrans({**_QUOTES, **dict(zip(_TRADITIONAL[::2], _TRADITIONAL[1::2], strict=True))})
# Chat shorthand spelled out, so it shares features with the written-out words.
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "pws": "please",
    "thx": "thanks",
    "ty": "thanks",
    "acct": "account",
    "a/c": "account",
    "pw": "password",
    "pwd": "password",
    "passwd": "password",
    "txn": "transaction",
    "tx": "transaction",
    "txid": "transaction",
    "addr": "address",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "msg": "message",
    "w/d": "withdraw",
    "wd": "withdraw",
    "dep": "deposit",
}
_SPACE = re.compile(r"\s+")

# Latin words (letters and digits, inner apostrophes dropped) and runs of Han characters.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_stemmer = snowballstemmer.stemmer("english")


def normalize(text: str) -> str:
    """Lower-case, NFKC-folded text with placeholders for ids, links and numbers."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower().translate(_FOLD)
    text = _EMAIL.sub(" emailx ", text)
    text = _URL.sub(" urlx ", text)
    text = _HEX_ID.sub(" idx ", text)
    text = _LONG_ID.sub(" idx ", text)
    text = _NUMBER.sub("0", text)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


@lru_cache(maxsize=20_000)
def _word_features(word: str) -> tuple[str, ...]:
    out = [f"w:{word}"]
    if word.isalpha() and len(word) > 3:
        stem = _stem(word)
        if stem != word:
            out.append(f"s:{stem}")
    padded = f"<{word}>"
    n_chars = len(padded)
    for n in (3, 4, 5):
        for i in range(n_chars - n + 1):
            out.append(f"g:{padded[i : i + n]}")
    return tuple(out)


@lru_cache(maxsize=20_000)
def _han_features(run: str) -> tuple[str, ...]:
    out = [f"w:{w}" for w in rjieba.cut(run) if w.strip()]
    out.extend(f"c:{ch}" for ch in run)
    out.extend(f"c:{run[i : i + 2]}" for i in range(len(run) - 1))
    return tuple(out)


def tokens(normalized: str) -> list[str]:
    """Latin words and Han runs of normalised text, in order."""
    words = []
    for token in _TOKEN.findall(normalized):
        token = _SHORTHAND.get(token, token)
        words.append(token.replace("'", ""))
    return words


def features(text: str) -> set[str]:
    """The feature set of a raw message."""
    normalized = normalize(text)
    found: set[str] = set()
    previous = "^"
    for token in tokens(normalized):
        if _HAN_RUN.fullmatch(token):
            found.update(_han_features(token))
            previous = "^"  # no Latin bigram across a Chinese phrase
            continue
        found.update(_word_features(token))
        found.add(f"b:{previous} {token}")
        previous = token
    if previous != "^":
        found.add(f"b:{previous} $")
    return found
