"""Parse one raw RFC 822 message into plain data, without ever raising on bad mail.

The structure is read with the standard library's ``compat32`` policy, which never raises on
malformed headers or MIME (it records defects instead); headers and bodies are decoded here,
with a charset table that reads what mail clients really send: GB2312 and GBK as GB18030 (the
superset), Big5 as Big5-HKSCS, ISO-2022-JP as its -2 superset, Latin-1 as Windows-1252, and
unknown or missing charsets as UTF-8 then GB18030. Undecodable bytes become U+FFFD and are
flagged. HTML-only mail becomes plain text (``html_to_text``); quoted history and signatures
are trimmed (``trim_reply``); the full original is the stored raw event.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import idna

# --- charsets -----------------------------------------------------------------------------

_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "gb_2312-80": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_2",
    "iso-2022-jp-1": "iso2022_jp_2",
    "csiso2022jp": "iso2022_jp_2",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when unknown or missing."""
    name = (charset or "").strip().strip("\"'").lower()
    if not name or name in ("unknown-8bit", "x-unknown", "unknown", "default"):
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """(text, clean): ``data`` decoded; ``clean`` is False when bytes had to be replaced."""
    codec = codec_for(charset)
    tried = [c for c in (codec, "utf-8", "gb18030") if c]
    for name in tried:
        try:
            return data.decode(name), True
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec or "utf-8", "replace"), False


# --- headers ------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")


def _raw_header(value: object) -> str:
    """A header value with raw 8-bit bytes (kept by compat32 as surrogates) decoded."""
    text = str(value) if value is not None else ""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("ascii", "surrogateescape")
        text, _clean = decode_bytes(raw, None)
    return text


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header(value: object) -> str:
    """A header as text: folded lines joined, 8-bit bytes and RFC 2047 encoded words decoded
    (adjacent words in one charset decoded together, so a character split between them
    survives). Unknown charsets fall back to UTF-8 / GB18030 with replacement."""
    text = _FOLD.sub(" ", _raw_header(value))
    out: list[str] = []
    position = 0
    run_charset: str | None = None
    run_bytes = b""
    run_end = 0

    def flush() -> None:
        nonlocal run_bytes, run_charset
        if run_charset is not None:
            out.append(decode_bytes(run_bytes, run_charset)[0])
        run_bytes, run_charset = b"", None

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            continue
        adjacent = run_charset is not None and between.strip() == "" and position == run_end
        if adjacent and charset == run_charset:
            run_bytes += data
        else:
            if not (run_charset is not None and between.strip() == ""):
                flush()
                out.append(between)
            else:
                flush()
            run_charset, run_bytes = charset, data
        position = run_end = match.end()
    flush()
    out.append(text[position:])
    return "".join(out).strip()


def normalise_message_id(value: str) -> str:
    """``<Abc@Host>`` -> ``abc@host``; "" when it is missing or malformed."""
    match = re.search(r"<([^<>\s]+)>", value or "")
    token = match.group(1) if match else (value or "").strip()
    if not re.fullmatch(r"[^<>\s@\"]{1,250}@[^<>\s@\"]{1,250}", token):
        return ""
    return token.lower()


def message_ids(value: str) -> list[str]:
    """Every well-formed ``<id>`` in an In-Reply-To or References header, normalised."""
    found = []
    for token in re.findall(r"<([^<>\s]+)>", value or ""):
        mid = normalise_message_id(f"<{token}>")
        if mid and mid not in found:
            found.append(mid)
    return found


def message_key(mid: str) -> str:
    """The stored id of a message: ``mid:<id>`` (hashed when too long for the column)."""
    key = "mid:" + mid
    return key if len(key) <= 120 else "mid:" + hashlib.sha256(mid.encode()).hexdigest()


def raw_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def normalise_address(value: str) -> str:
    """``Ann@Example.COM`` -> ``ann@example.com``; IDN domains in their ASCII (IDNA) form;
    "" when it is not a usable address."""
    address = (value or "").strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > 254:
        return ""
    if re.search(r"[\s<>(),;:\\\"\[\]]", local) or re.search(r"[\s<>@,;:\"\\]", domain):
        return ""
    domain = domain.rstrip(".").lower()
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        if not domain.isascii():
            return ""
    if "." not in domain and domain != "localhost":
        return ""
    return f"{local.lower()}@{domain}"


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, normalised address) pairs; unusable addresses are left out."""
    pairs = []
    for name, address in getaddresses([decode_header(v) for v in values if v]):
        normalised = normalise_address(address)
        if normalised:
            pairs.append((name.strip().strip('"').strip(), normalised))
    return pairs


# --- HTML to text -------------------------------------------------------------------------

_BLOCK = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.href.append(href if href.startswith(("http://", "https://")) else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and not (self.parts and href in self.parts[-1]):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"\s+", " ", data)
        if self.quote:
            text = text.replace("\n", "\n> ")
            if not self.parts or self.parts[-1].endswith("\n"):
                text = "> " * self.quote + text.lstrip()
        self.parts.append(text)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML mail body (scripts, styles and tags dropped; quoted
    blocks prefixed with ``>`` so ``trim_reply`` can cut them)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    lines = [line.strip() for line in "".join(parser.parts).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- quoted history and signatures ---------------------------------------------------------

_CUT_LINE = [
    re.compile(r"^-{2,}\s*(Original Message|Forwarded message)\s*-{2,}", re.I),
    re.compile(r"^-{3,}\s*(原始邮件|原始郵件|Original)\s*-{3,}\s*$", re.I),
    re.compile(r"^在.{1,200}写道\s*[:：]?\s*$"),
    re.compile(r"^於.{1,200}寫道\s*[:：]?\s*$"),
    re.compile(r"^On .{1,300} wrote:\s*$"),
    re.compile(r"^Le .{1,300} a écrit\s*:\s*$"),
    re.compile(r"^Am .{1,300} schrieb .{0,200}:\s*$"),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^--\s?$"),
    re.compile(
        r"^(Sent from my (iPhone|iPad|Android|mobile|Samsung)|Get Outlook for (iOS|Android)|"
        r"Sent from (Mail|Outlook) for|发自我的\s?(iPhone|iPad|手机)|从我的\s?(iPhone|iPad)发送|"
        r"發自我的\s?(iPhone|iPad)|发自网易邮箱|发自.{0,10}邮箱大师|Sent from Yahoo Mail)",
        re.I,
    ),
]
_HEADER_FROM = re.compile(r"^\*?(From|发件人|發件人|寄件者)\s*\*?\s*[:：]", re.I)
_HEADER_NEXT = re.compile(
    r"^\*?(Sent|Date|To|Subject|发送时间|日期|收件人|主题|主旨|寄件日期|傳送時間)\s*\*?\s*[:：]",
    re.I,
)


def trim_reply(text: str) -> str:
    """The new part of a reply: quoted history (Gmail, Outlook, Apple Mail, QQ/Foxmail,
    NetEase, in English and Chinese), trailing ``>`` quotes, ``-- `` signatures and "Sent
    from my iPhone" lines cut. The whole text if nothing would be left."""
    lines = text.splitlines()
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = stripped + " " + (lines[index + 1].strip() if index + 1 < len(lines) else "")
        if any(p.match(stripped) for p in _CUT_LINE) or line.rstrip("\r") == "-- ":
            cut = index
            break
        if stripped.startswith("On ") and re.match(r"^On .{1,300} wrote:\s*$", joined):
            cut = index
            break
        if _HEADER_FROM.match(stripped) and any(
            _HEADER_NEXT.match(following.strip()) for following in lines[index + 1 : index + 5]
        ):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()  # a trailing quoted block (bottom-quoting) or blank lines
    result = "\n".join(kept).strip()
    return result or text.strip()


# --- the message --------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedAttachment:
    name: str
    content: bytes
    content_type: str
    too_large: bool = False
    inline: bool = False


@dataclass(slots=True)
class ParsedEmail:
    message_id: str  # normalised, "" if missing or malformed
    from_name: str
    from_address: str  # normalised, "" if missing or unusable
    reply_to: list[str]
    recipients: list[str]  # To, Cc, Delivered-To, X-Original-To (normalised)
    subject: str
    date_ok: bool
    in_reply_to: list[str]
    references: list[str]
    text: str  # trimmed
    full_text: str
    language: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reason: str = ""  # why this is automatic mail (never answered), "" if it is not
    loop_id: str = ""
    bounce_of: str = ""  # the normalised Message-ID a delivery report is about
    bounce_reason: str = ""
    warnings: list[str] = field(default_factory=list)


def read_message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=compat32)


def read_headers(raw: bytes) -> Message:
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def _all(msg: Message, name: str) -> list[str]:
    """The header's raw values (8-bit bytes kept as surrogates, decoded by decode_header)."""
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


def _header(msg: Message, name: str) -> str:
    values = _all(msg, name)
    return decode_header(values[0]) if values else ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value compat32 could not collapse
        name = name[2] if len(name) > 2 else ""
    name = decode_header(name)
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip(". ")
    return name[:150]


_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "message/rfc822": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
}


def _language(text: str, declared: str) -> str:
    if declared.lower().startswith("zh"):
        return "zh-hans"
    if declared.lower().startswith("en"):
        return "en"
    sample = text[:400]
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    return "zh-hans" if cjk and cjk * 4 >= len(sample.replace(" ", "")) // 2 else ""


def _auto_reason(msg: Message, from_address: str) -> str:
    loop = _header(msg, "X-Kefu-Loop")
    if loop:
        return "sent by Kefu (X-Kefu-Loop)"
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";", 1)[0].strip() != "no":
        return f"auto-submitted: {auto[:40]}"
    if msg.get_content_type() == "multipart/report":
        return "delivery or read report (multipart/report)"
    local = from_address.partition("@")[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"bounce from {local}"
    return_path = _all(msg, "Return-Path")
    if return_path and return_path[-1].strip() in ("<>", ""):
        return "empty Return-Path (bounce)"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _all(msg, name):
            return f"auto-reply ({name})"
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    if _all(msg, "List-Id") or _all(msg, "List-Unsubscribe"):
        return "mailing list (List-Id)"
    return ""


def _bounce(raw: bytes, msg: Message) -> tuple[str, str]:
    """(original Message-ID, reason) of a delivery status notification, or ("", "")."""
    if msg.get_content_type() != "multipart/report":
        return "", ""
    text = raw.decode("latin-1")
    start = text.lower().find("message/delivery-status")
    if start < 0:
        return "", ""
    report = text[start:]
    action = re.search(r"^Action:\s*(\S+)", report, re.I | re.M)
    if action and action.group(1).lower() not in ("failed",):
        return "", ""
    status = re.search(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", report, re.I | re.M)
    diagnostic = re.search(r"^Diagnostic-Code:\s*(.+(?:\r?\n[ \t].+)*)", report, re.I | re.M)
    original = re.findall(r"^Message-ID:\s*(<[^>\r\n]+>)", report, re.I | re.M)
    mid = normalise_message_id(original[-1]) if original else ""
    reason = " ".join(
        part
        for part in (
            status.group(1) if status else "",
            _FOLD.sub(" ", diagnostic.group(1)).strip() if diagnostic else "",
        )
        if part
    )
    return mid, reason[:250] or "delivery failed"


class _Walker:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.unclean = False

    def part_text(self, part: Message) -> str:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = str(part.get_payload()).encode("utf-8", "surrogateescape")
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text, clean = decode_bytes(data, charset)
        self.unclean = self.unclean or not clean
        return text

    def attachment(self, part: Message, content_type: str) -> None:
        name = _filename(part) or (
            f"attachment-{len(self.attachments) + 1}{_EXT.get(content_type, '.bin')}"
        )
        inline = (part.get_content_disposition() == "inline") or bool(part.get("Content-ID"))
        if content_type == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            try:
                content = inner.as_bytes() if isinstance(inner, Message) else b""
            except Exception:
                content = str(inner).encode("utf-8", "surrogateescape")
        else:
            encoded = part.get_payload()
            size_guess = len(encoded) * 3 // 4 if isinstance(encoded, str) else 0
            if size_guess > self.limit * 1.05 + 1024:
                self.attachments.append(
                    ParsedAttachment(name, b"", content_type, too_large=True, inline=inline)
                )
                return
            data = part.get_payload(decode=True)
            content = data if isinstance(data, bytes) else b""
        too_large = len(content) > self.limit
        self.attachments.append(
            ParsedAttachment(
                name, b"" if too_large else content, content_type, too_large, inline=inline
            )
        )

    def walk(self, part: Message, depth: int = 0) -> None:
        content_type = part.get_content_type()
        if depth > 20:
            return
        if part.is_multipart() and content_type.startswith("multipart/"):
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
            return
        disposition = part.get_content_disposition()
        if content_type in ("message/delivery-status", "text/rfc822-headers"):
            return
        is_body_text = (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not _filename(part)
        )
        if is_body_text:
            (self.plain if content_type == "text/plain" else self.html).append(self.part_text(part))
            return
        if content_type.startswith("multipart/"):  # a multipart without its boundary
            self.plain.append(self.part_text(part))
            return
        self.attachment(part, content_type)


def parse_email(raw: bytes, *, attachment_limit: int) -> ParsedEmail:
    """Everything Kefu needs from a raw message. Never raises on malformed input."""
    msg = read_message(raw)
    warnings: list[str] = []
    from_pairs = addresses(_all(msg, "From"))
    from_name, from_address = from_pairs[0] if from_pairs else ("", "")
    if not _all(msg, "From"):
        warnings.append("no From header")
    elif not from_address:
        warnings.append("unusable From address")
    raw_mid = _all(msg, "Message-ID")
    mid = normalise_message_id(raw_mid[0]) if raw_mid else ""
    if not raw_mid:
        warnings.append("no Message-ID")
    elif not mid:
        warnings.append("malformed Message-ID")
    date_ok = False
    date = _all(msg, "Date")
    if date:
        try:
            parsedate_to_datetime(date[0])
            date_ok = True
        except (TypeError, ValueError, IndexError):
            warnings.append("malformed Date")
    else:
        warnings.append("no Date")
    walker = _Walker(attachment_limit)
    try:
        walker.walk(msg)
    except Exception as exc:
        warnings.append(f"MIME structure could not be read ({type(exc).__name__})")
    defects = sorted({type(d).__name__ for p in msg.walk() for d in getattr(p, "defects", [])})
    if defects:
        warnings.append("MIME defects: " + ", ".join(defects)[:120])
    if walker.unclean:
        warnings.append("undecodable bytes replaced")
    if walker.plain:
        full = "\n\n".join(t.strip() for t in walker.plain if t.strip())
    else:
        full = "\n\n".join(html_to_text(h) for h in walker.html if h.strip())
    full = full.replace("\r\n", "\n").replace("\x00", "")
    auto_reason = _auto_reason(msg, from_address)
    bounce_of, bounce_reason = _bounce(raw, msg) if auto_reason else ("", "")
    subject = _header(msg, "Subject")
    recipients = [
        address
        for _name, address in addresses(
            _all(msg, "To")
            + _all(msg, "Cc")
            + _all(msg, "Delivered-To")
            + _all(msg, "X-Original-To")
            + _all(msg, "Envelope-To")
        )
    ]
    return ParsedEmail(
        message_id=mid,
        from_name=from_name[:200],
        from_address=from_address,
        reply_to=[address for _name, address in addresses(_all(msg, "Reply-To"))],
        recipients=recipients,
        subject=subject[:500],
        date_ok=date_ok,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(" ".join(_all(msg, "References"))),
        text=trim_reply(full),
        full_text=full,
        language=_language(subject + "\n" + full, _header(msg, "Content-Language")),
        attachments=walker.attachments,
        auto_reason=auto_reason,
        loop_id=_header(msg, "X-Kefu-Loop"),
        bounce_of=bounce_of,
        bounce_reason=bounce_reason,
        warnings=warnings,
    )


_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|antw|回复|回覆|答复|转发|轉寄|转寄)\s*(\[\d+\])?\s*[:：]\s*)+", re.I
)


def clean_subject(subject: str) -> str:
    """A subject for the conversation: reply/forward prefixes and reference tags removed."""
    text = re.sub(r"\[\s*KF-\d{1,12}\s*\]", " ", subject or "", flags=re.I)
    text = _SUBJECT_PREFIX.sub("", text)
    return re.sub(r"\s+", " ", text).strip()
