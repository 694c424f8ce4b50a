"""Private keys: raw hex, WIF, BIP-32 extended private keys, Solana secret keys, PEM blocks.

Formats with a checksum or a built-in proof (WIF, xprv, a Solana key whose second half is the
public key of its first half) are keys wherever they appear. A 64-hex string carries no such
proof: a transaction id, a block hash, an Aptos or Sui address and an Ethereum private key look
the same. Context decides (see ``classify_hex``):

1. A URL around it (``etherscan.io/tx/0x…``) or a cue right after it ("… is my txid") wins,
   unless that cue introduces a value of its own, or a cue right before the value disagrees: then
   the one that calls it a key wins ("key 0x… — txid of the theft is 0x…").
2. Otherwise the nearest cue before it, within about a sentence: "txid", "hash", "交易哈希",
   "address" make it public; "private key", "私钥", wallet names make it a key; "API secret"
   makes it an API secret.
3. Otherwise the message as a whole: a key cue anywhere makes it a key; a deposit, withdrawal or
   transfer ("充值", "到账", "sent") makes it a transaction reference.
4. With no context at all it is treated as a private key. Leaking a key loses the customer's
   funds for good, while redacting a txid costs one follow-up question ("could you send the
   txid again, labelled as the transaction id?").
"""

from __future__ import annotations

import re

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kefu.guard.context import (
    API,
    KEY,
    KEY_WEAK,
    PASSWORD,
    PUBLIC,
    SECRET_KEY,
    SEED,
    TRAILING,
    TX,
    TX_WEAK,
    Context,
)

PRIVATE_KEY = "private_key"
API_SECRET = "api_secret"  # noqa: S105 - a finding kind

_B58 = "1-9A-HJ-NP-Za-km-z"
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
_WIF = re.compile(rf"(?<![{_B58}])[5KL9c][{_B58}]{{50,51}}(?![{_B58}])")
_XPRV = re.compile(rf"(?<![{_B58}])[xyztuvXYZTUV]prv[{_B58}]{{95,115}}(?![{_B58}])")
_B58_LONG = re.compile(rf"(?<![{_B58}])[{_B58}]{{85,90}}(?![{_B58}])")
_BYTE_ARRAY = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){63}\d{1,3}\s*\]")
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_URL_BEFORE = re.compile(r"(?:https?://|www\.|[a-z0-9-]+\.[a-z]{2,}/)[^\s]*$", re.IGNORECASE)
_LOCAL_KINDS = frozenset({TX, KEY, KEY_WEAK, API, SECRET_KEY, SEED, PUBLIC, PASSWORD})
_KEYISH = frozenset({KEY, SEED, SECRET_KEY})
_NAMES_KEY = frozenset({KEY, KEY_WEAK, SEED, SECRET_KEY, API})
_LOCAL_WINDOW = 100
_SEPARATORS = re.compile(r"[\s,;，；、/|]*")
_WIF_VERSIONS = {0x80, 0xEF}
# "<key>，资金密码895683", "<key>\n地址 address: 0x…": the cue after a value introduces its own.
_INTRODUCES_VALUE = re.compile(
    r"\s*(?:(?:is|are|was|=|:|：|是|为)\s*)?"
    r"(?:[A-Za-z\u4e00-\u9fff][A-Za-z\u4e00-\u9fff ]{0,15}[:：=]\s*)?"
    r"[\"'`“]?(?:(?:0x)?[0-9A-Za-z]{20,}|(?=[!-~]{4})[^\s\d]{0,8}\d)",
    re.IGNORECASE,
)
# Between a cue and the value it names: "私钥：", "key = ", "private key is \"".
_ADJACENT = re.compile(
    r"[\s:：=＝\"'“‘`「(（\[—>-]*(?:(?:is|are|was|是|为|如下)[\s:：\"'“‘`「]*)?", re.IGNORECASE
)


def _b58check(value: str) -> bytes | None:
    try:
        return base58.b58decode_check(value)
    except ValueError:
        return None


def _b58(value: str) -> bytes | None:
    try:
        return base58.b58decode(value)
    except ValueError:
        return None


def is_ed25519_keypair(raw: bytes) -> bool:
    """Whether 64 bytes are an Ed25519 seed followed by its own public key (Solana's format)."""
    if len(raw) != 64:
        return False
    public = Ed25519PrivateKey.from_private_bytes(raw[:32]).public_key().public_bytes_raw()
    return public == raw[32:]


def is_wif(value: str) -> bool:
    raw = _b58check(value)
    return (
        raw is not None
        and raw[0] in _WIF_VERSIONS
        and (len(raw) == 33 or (len(raw) == 34 and raw[33] == 1))
    )


def is_xprv(value: str) -> bool:
    raw = _b58check(value)
    return raw is not None and len(raw) == 78 and raw[45] == 0


def _nearest_cue(ctx: Context, start: int, end: int, lookup_from: int | None = None) -> str | None:
    """The kind of the cue that names the value at [start, end), if one does.

    ``lookup_from`` is where the list of values that this one belongs to starts.
    """
    text = ctx.text
    if _URL_BEFORE.search(text, max(0, start - 120), start):
        return TX
    origin = start if lookup_from is None else lookup_from
    before = ctx.before(origin, _LOCAL_KINDS, _LOCAL_WINDOW)
    adjacent = (
        before
        if before is not None
        and origin - before.end <= 12
        and _ADJACENT.fullmatch(text, before.end, origin)
        else None
    )
    trailing = TRAILING.match(text, end)
    after = ctx.after(trailing.end() if trailing else end, _LOCAL_KINDS, 0)
    # "<txid>，私钥是 <key>": a cue that introduces a value of its own does not name this one.
    if after is not None and _INTRODUCES_VALUE.match(text, after.end):
        after = None
    # A cue right before the value and one right after it disagree ("key 0x… — txid of the theft
    # is 0x…"): the one that calls it a key wins, as leaking a key costs more than hiding a txid.
    if adjacent is not None and after is not None and adjacent.kind != after.kind:
        return adjacent.kind if adjacent.kind in _NAMES_KEY else after.kind
    if after is not None:
        return after.kind
    if adjacent is not None:
        return adjacent.kind
    return before.kind if before is not None else None


def _kind_from_cue(ctx: Context, cue: str | None, *, default: str | None) -> str | None:
    if cue in (TX, PUBLIC, PASSWORD):
        return None
    if cue == API:
        return API_SECRET
    if cue in (SECRET_KEY, KEY_WEAK):
        return API_SECRET if ctx.mentions_api else PRIVATE_KEY
    if cue in _KEYISH:
        return PRIVATE_KEY
    # No cue names the value: the message as a whole decides.
    if ctx.has(KEY, SEED):
        return PRIVATE_KEY
    if ctx.has(SECRET_KEY):
        return API_SECRET if ctx.mentions_api else PRIVATE_KEY
    if ctx.has(API):
        return API_SECRET
    if ctx.has(TX, TX_WEAK, PUBLIC):
        return None
    return default


def classify_hex(ctx: Context, start: int, end: int, lookup_from: int | None = None) -> str | None:
    """The kind of secret a 64-hex string is, or None for public data."""
    return _kind_from_cue(ctx, _nearest_cue(ctx, start, end, lookup_from), default=PRIVATE_KEY)


def find_keys(text: str, ctx: Context) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every private key (and hex API secret) in ``text``."""
    out: list[tuple[str, int, int]] = []
    chain_start, last_end = -1, -10
    for match in _HEX_RUN.finditer(text):
        start, end = match.span()
        digits = end - start - (2 if text[start + 1 : start + 2] in ("x", "X") else 0)
        # Values listed one after another ("keys: <hex> <hex>") share the cue before the first.
        if not (0 <= start - last_end <= 4 and _SEPARATORS.fullmatch(text[last_end:start])):
            chain_start = start
        last_end = end
        kind: str | None = None
        if digits == 64:
            kind = classify_hex(ctx, start, end, chain_start)
        elif digits == 128:
            raw = bytes.fromhex(text[end - 128 : end])
            if is_ed25519_keypair(raw) or _nearest_cue(ctx, start, end, chain_start) in _KEYISH:
                kind = PRIVATE_KEY
        elif 56 <= digits <= 70 and _nearest_cue(ctx, start, end, chain_start) in (KEY, SEED):
            # A key with a digit lost or doubled is still a key when it is called one.
            kind = PRIVATE_KEY
        if kind is not None:
            out.append((kind, start, end))
    for match in _WIF.finditer(text):
        value = match.group()
        if is_wif(value) or _nearest_cue(ctx, *match.span()) in (KEY, SEED):
            out.append((PRIVATE_KEY, *match.span()))
    for match in _XPRV.finditer(text):
        # The prefix says what it is; a mistyped one is still a master key.
        out.append((PRIVATE_KEY, *match.span()))
    for match in _B58_LONG.finditer(text):
        decoded = _b58(match.group())
        if decoded is None or len(decoded) != 64:
            continue
        cue = _nearest_cue(ctx, *match.span())
        # "Wrote new keypair to id.json … secret (base58): <88 chars>": a 64-byte secret in a
        # message about a (Solana) key pair is that key, not an exchange API secret.
        if (
            is_ed25519_keypair(decoded)
            or cue in _KEYISH
            or (cue in (API, SECRET_KEY) and ctx.has(KEY))
        ):
            out.append((PRIVATE_KEY, *match.span()))
    for match in _BYTE_ARRAY.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d+", match.group())]
        if all(n < 256 for n in numbers) and (
            is_ed25519_keypair(bytes(numbers)) or _nearest_cue(ctx, *match.span()) in _KEYISH
        ):
            out.append((PRIVATE_KEY, *match.span()))
    out.extend((PRIVATE_KEY, *m.span()) for m in _PEM.finditer(text))
    return out
