"""Text analysis for the help-center search: the same code turns articles into index terms and
queries into query terms, so both sides always agree.

- ``normalize``: NFKC (full-width ``ＵＳＤＴ`` → ``usdt``, ``，`` → ``,``), lower case, control /
  format characters and lone surrogates replaced by spaces (rjieba is Rust and rejects
  surrogates), length capped so a pasted novel costs the same as a sentence.
- Chinese runs go through rjieba's search mode, which emits a dictionary word *and* its
  in-dictionary parts (``谷歌验证器`` → ``谷歌 验证 谷歌验证器``), so a query for a part still
  matches the whole. A domain dictionary keeps exchange words such as ``未到账`` in one piece.
- Latin runs are split on anything that is not a letter or digit but alphanumeric runs stay
  whole (``trc20``, ``2fa``); ``TRC-20`` is joined to ``trc20`` first because articles write
  both. Purely alphabetic words are reduced to their Snowball English stem.

Only the stem is indexed, not the surface form as well: indexing both would double the Latin
postings and count every inflected word twice in BM25 for little precision gain in help
articles. The surface form matters for what the user is *typing* (a prefix or a typo is a
prefix/typo of a word, not of a stem), so ``analyze`` can report the surface words it saw and
the engine keeps a surface → stem vocabulary for prefix and typo matching.

Stop words are indexed (their idf is near zero, so they cost a little memory and no ranking)
and dropped from queries only, which lets a query made only of stop words fall back to them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import rjieba
import snowballstemmer

MAX_DOC_CHARS = 100_000  # an article longer than this is indexed on its first 100k characters
MAX_QUERY_CHARS = 500  # search boxes and deflection forms send far less
MAX_QUERY_TERMS = 32
MAX_TOKEN_CHARS = 40  # longer "words" are hashes and addresses: noise for a help center

# The domain dictionary: exchange words rjieba's general dictionary would cut in pieces.
DOMAIN_WORDS = (
    "提现", "提币", "充值", "充币", "到账", "未到账", "没到账", "谷歌", "谷歌验证", "谷歌验证器",
    "身份验证器", "实名认证", "身份认证", "双重验证", "二次验证", "防钓鱼码", "资金密码", "链上",
    "手续费", "限价单", "市价单", "闪兑", "白名单", "冻结", "解冻", "风控", "主网", "合约地址",
    "标签", "备注", "被拒", "被盗", "盗号", "被黑", "交易哈希", "区块确认", "充值地址",
    "提现地址", "钱包地址", "银行卡", "信用卡", "借记卡", "法币", "现货", "杠杆", "质押", "划转",
    "资金账户", "验证码", "短信验证码", "人脸识别", "身份证", "处理中", "审核中", "丢失", "遗失",
    "换手机", "手机号", "网络拥堵", "区块浏览器", "异常登录", "没收到", "泰达币", "提现限额",
    "最低提现", "交易密码", "登录密码", "锁定", "解锁", "入金", "出金", "提款",
)  # fmt: skip

# Indexed, but dropped from queries (see the module docstring). Not "not", "no", "out", "up":
# they carry meaning in "not received", "cash out", "top up".
STOPWORDS_EN = frozenset((
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "from", "with",
    "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "how", "what", "why",
    "when", "where", "which", "who", "can", "could", "would", "should", "i", "me", "my", "we",
    "our", "you", "your", "it", "its", "this", "that", "these", "those", "there", "here",
    "please", "help", "get", "got", "have", "has", "had", "will", "just", "so", "if", "as",
    "about", "into", "any", "some", "s", "t", "don", "doesn", "didn", "isn", "aren", "wasn",
))  # fmt: skip
STOPWORDS_ZH = frozenset((
    "的", "了", "吗", "呢", "吧", "啊", "呀", "嘛", "么", "怎么", "怎么办", "怎样", "如何",
    "为什么", "什么", "我", "我的", "你", "您", "你的", "您的", "他", "她", "是", "在", "有",
    "和", "与", "及", "或", "就", "都", "也", "还", "请", "请问", "一下", "可以", "能", "能否",
    "要", "想", "这", "那", "这个", "那个", "个", "把", "被", "给", "让", "一直", "已经", "时候",
))  # fmt: skip
STOPWORDS = STOPWORDS_EN | STOPWORDS_ZH

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
_JOIN_CODE = re.compile(r"\b([a-z]{2,6})-(\d{1,3})\b")  # trc-20 → trc20, bep-20 → bep20
# C0/C1 controls, zero-width and bidi format characters, BOM, and (lone) surrogates.
_JUNK = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


class _Segmenter:
    """rjieba behind a typed wrapper, with the domain dictionary added exactly once.

    It uses rjieba's module-level instance rather than a private ``Jieba()``: each instance
    loads its own copy of the dictionary (~25 MB), and nothing else in Kefu segments Chinese
    with rjieba, so adding exchange words to the shared one harms no one.
    """

    def __init__(self) -> None:
        self._ready = False
        self._lock = threading.Lock()

    def _prepare(self) -> None:
        with self._lock:
            if not self._ready:
                for word in DOMAIN_WORDS:
                    rjieba.add_word(word, None, None)
                self._ready = True

    def search_words(self, run: str) -> list[str]:
        if not self._ready:
            self._prepare()
        return [str(w) for w in rjieba.cut_for_search(run)]

    def precise_words(self, run: str) -> list[str]:
        if not self._ready:
            self._prepare()
        return [str(w) for w in rjieba.cut(run)]


_segmenter = _Segmenter()
_stemmer_lock = threading.Lock()
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word; words with digits or non-ASCII letters
    (``trc20``, ``café``) and very short words are kept as they are."""
    if len(word) < 3 or not (word.isascii() and word.isalpha()):
        return word
    with _stemmer_lock:  # Snowball stemmer objects keep per-call state
        result = _stemmer.stemWord(word)
    return str(result)


def normalize(text: str, max_chars: int = MAX_DOC_CHARS) -> str:
    """NFKC, lower-cased, junk characters replaced by spaces, at most ``max_chars`` long."""
    if not isinstance(text, str) or not text:
        return ""
    text = _JUNK.sub(" ", text[:max_chars])
    text = unicodedata.normalize("NFKC", text).lower()
    return _JOIN_CODE.sub(r"\1\2", text)


def _latin_word(word: str) -> bool:
    """Keep a Latin token? Drops over-long tokens and single letters (``s`` of ``user's``)."""
    return len(word) <= MAX_TOKEN_CHARS and not (len(word) == 1 and word.isalpha())


def analyze(text: str, *, surfaces: set[str] | None = None, precise: bool = False) -> list[str]:
    """Index terms of ``text`` in order, with repeats (for term frequencies).

    ``surfaces``, when given, receives the Latin words as written (normalised, not stemmed).
    ``precise`` cuts Chinese into whole words only (no overlapping parts): for synonym phrases.
    """
    terms: list[str] = []
    cut = _segmenter.precise_words if precise else _segmenter.search_words
    for han, word in _RUN.findall(normalize(text)):  # the hot loop of indexing: kept flat
        if han:
            terms.extend(cut(han))
        elif len(word) <= MAX_TOKEN_CHARS and (len(word) > 1 or not word.isalpha()):
            if surfaces is not None:
                surfaces.add(word)
            terms.append(stem(word))
    return terms


@dataclass(frozen=True, slots=True)
class QueryTerm:
    term: str  # the index form: a stem, a Chinese word, a code like trc20
    surface: str  # as typed (normalised): what typo matching compares


@dataclass(frozen=True, slots=True)
class QueryTerms:
    terms: tuple[QueryTerm, ...]
    prefix: str | None = None  # the last Latin word, when the query did not end after it

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t.term for t in self.terms)


def analyze_query(text: str) -> QueryTerms:
    """Query terms of ``text``: deduplicated, stop words removed unless nothing else is left,
    at most ``MAX_QUERY_TERMS``. ``prefix`` is the raw last Latin word if the query ends inside
    it (no trailing space or punctuation), for suggestions while typing."""
    text = normalize(text, MAX_QUERY_CHARS)
    found: dict[str, QueryTerm] = {}
    prefix: str | None = None
    last_end = -1
    for match in _RUN.finditer(text):
        han, word = match.group(1), match.group(2)
        if han:
            for han_word in _segmenter.search_words(han):
                found.setdefault(han_word, QueryTerm(han_word, han_word))
            prefix = None
        elif _latin_word(word) or match.end() == len(text):
            term = stem(word)
            if _latin_word(word):
                found.setdefault(term, QueryTerm(term, word))
            prefix = word
        last_end = match.end()
    if last_end != len(text) or (prefix is not None and len(prefix) > MAX_TOKEN_CHARS):
        prefix = None
    kept = [t for t in found.values() if t.term not in STOPWORDS] or list(found.values())
    return QueryTerms(tuple(kept[:MAX_QUERY_TERMS]), prefix)
