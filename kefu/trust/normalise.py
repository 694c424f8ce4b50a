"""Turn whatever someone pastes into one canonical value of a known kind.

Pure Python (no database, no settings, no network): the checker, the registry services and
the command line all use it, so a value is normalised the same way when an admin registers it
and when a customer checks it.

Kinds: ``domain`` (a bare host name or any URL: scheme, user info, port, path and query are
dropped; the host is kept in its ASCII form, punycode for international names), ``email``,
``phone`` (E.164 through ``phonenumbers``; local formats use a default region), ``telegram``
and ``social`` (a handle, from ``@name`` or a profile link), ``handle`` (a bare ``@name`` whose
platform is not known) and ``staff`` (a public staff id such as ``KF-1024``).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import parse_qs, urlsplit

import idna
import phonenumbers

MAX_INPUT = 2048

DOMAIN = "domain"
EMAIL = "email"
EMAIL_DOMAIN = "email_domain"
PHONE = "phone"
TELEGRAM = "telegram"
SOCIAL = "social"
HANDLE = "handle"
STAFF = "staff"

# Profile links: host (without "www.") -> platform. Telegram is a kind of its own.
PLATFORM_HOSTS: dict[str, str] = {
    "t.me": TELEGRAM,
    "telegram.me": TELEGRAM,
    "telegram.dog": TELEGRAM,
    "x.com": "x",
    "mobile.x.com": "x",
    "twitter.com": "x",
    "mobile.twitter.com": "x",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "tiktok.com": "tiktok",
    "linkedin.com": "linkedin",
    "discord.gg": "discord",
    "discord.com": "discord",
    "discordapp.com": "discord",
    "reddit.com": "reddit",
    "weibo.com": "weibo",
    "weibo.cn": "weibo",
    "m.weibo.cn": "weibo",
    "douyin.com": "douyin",
    "space.bilibili.com": "bilibili",
    "github.com": "github",
    "medium.com": "medium",
}
PLATFORMS = tuple(sorted({p for p in PLATFORM_HOSTS.values() if p != TELEGRAM} | {"wechat"}))

# Path segments that are pages of the platform itself, not somebody's profile.
_NOT_PROFILES = {
    "home",
    "i",
    "intent",
    "search",
    "explore",
    "share",
    "login",
    "signup",
    "settings",
    "hashtag",
    "watch",
    "p",
    "status",
}
# Characters that render as a dot in a host name (IDNA treats them as label separators).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣－", "-"))
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"))
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_STAFF = re.compile(r"^([A-Za-z]{1,8})\s*-\s*(\d{1,10})$")
_PHONE = re.compile(r"^\(?\+?[\d\s().\-/]+$")
_HANDLE = re.compile(r"^[\w.\-+]{1,64}$")
_EMAIL = re.compile(r"^[^\s@/\\:<>]+@[^\s@/\\<>]+$")


class InvalidValue(ValueError):
    """The value cannot be read as the kind asked for. ``code`` says why (a stable string the
    callers translate): ``empty``, ``too_long``, ``unrecognised``, ``not_domain``,
    ``not_email``, ``not_phone``, ``not_handle``, ``not_staff_id``, ``platform_required``,
    ``platform_mismatch``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Host:
    """A host name in both forms. ``punycode`` is true when it was written as ``xn--``."""

    ascii: str
    unicode: str
    punycode: bool = False

    @property
    def display(self) -> str:
        if self.ascii == self.unicode:
            return self.ascii
        return f"{self.unicode} ({self.ascii})"


@dataclass(frozen=True)
class Parsed:
    """One normalised value.

    ``value`` is canonical (ASCII host, ``local@ascii-host``, E.164, case-folded handle,
    upper-case staff id); ``display`` is what to show people. ``decoration`` is text meant to
    be read but ignored by the machine: a URL's user info (``exchange.com`` in
    ``https://exchange.com@evil.io/``) or an email address's display name.
    """

    kind: str
    value: str
    display: str
    platform: str = ""
    host: Host | None = None
    local: str = ""
    decoration: str = ""
    is_ip: bool = False


# --- entry points ---------------------------------------------------------------------------


def normalise(value: str, *, default_region: str = "CN") -> Parsed:
    """Guess the kind of ``value`` and normalise it; InvalidValue if it is none of them."""
    text = _clean(value)
    lower = text.lower()
    if lower.startswith("tel:"):
        return _phone(text[4:], default_region)
    if lower.startswith("mailto:"):
        return _email(text[7:].split("?", 1)[0])
    if lower.startswith("tg://"):
        return _telegram_resolve(text)
    if _looks_like_email(text):
        return _email(text)
    if text.startswith("@") and _HANDLE.match(text[1:]):
        return _handle(text[1:], kind=HANDLE)
    if _STAFF.match(text):
        return _staff(text)
    if _is_ip(text):
        return _ip(text)
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 3:
        return _phone(text, default_region)
    if "://" in text or text.startswith("//") or ("." in text and " " not in text):
        return _url(text)
    if _HANDLE.match(text) and not text.isdigit():
        return _handle(text, kind=HANDLE)
    raise InvalidValue("unrecognised")


def normalise_as(
    kind: str, value: str, *, platform: str = "", default_region: str = "CN"
) -> Parsed:
    """Normalise ``value`` as a registry entry of ``kind`` (``platform`` for social handles)."""
    text = _clean(value)
    if kind in (DOMAIN, EMAIL_DOMAIN):
        if _looks_like_email(text) or text.startswith("@"):
            raise InvalidValue("not_domain")
        try:
            parsed = _ip(text) if _is_ip(text) else _url(text)
        except InvalidValue as exc:
            raise InvalidValue("not_domain") from exc
        if parsed.kind != DOMAIN or parsed.is_ip or "." not in parsed.value:
            raise InvalidValue("not_domain")
        return Parsed(kind=kind, value=parsed.value, display=parsed.display, host=parsed.host)
    if kind == EMAIL:
        try:
            return _email(text[7:] if text.lower().startswith("mailto:") else text)
        except InvalidValue as exc:
            raise InvalidValue("not_email") from exc
    if kind == PHONE:
        try:
            return _phone(text[4:] if text.lower().startswith("tel:") else text, default_region)
        except InvalidValue as exc:
            raise InvalidValue("not_phone") from exc
    if kind == STAFF:
        if not _STAFF.match(text):
            raise InvalidValue("not_staff_id")
        return _staff(text)
    if kind in (TELEGRAM, SOCIAL):
        return _registry_handle(kind, text, platform)
    raise InvalidValue("unrecognised")


# --- pieces ---------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), invisible characters
    dropped, dashes unified, surrounding space trimmed."""
    if value is None or not str(value).strip():
        raise InvalidValue("empty")
    if len(value) > MAX_INPUT:
        raise InvalidValue("too_long")
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE).translate(_DASHES)
    text = text.translate(_DOTS)
    text = text.strip().strip("\"'“”‘’「」")
    if text.startswith("<") and text.endswith(">"):  # <https://...> or <name@host>
        text = text[1:-1].strip()
    if not text:
        raise InvalidValue("empty")
    return text


def _looks_like_email(text: str) -> bool:
    if "://" in text or text.startswith("@"):
        return False
    if "<" in text and text.rstrip().endswith(">"):
        return "@" in text
    return bool(_EMAIL.match(text)) and "." in text.rsplit("@", 1)[1]


def _is_ip(text: str) -> bool:
    candidate = text
    if "://" in candidate:
        candidate = urlsplit(candidate).hostname or ""
    candidate = candidate.split("/", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _ip(text: str) -> Parsed:
    candidate = urlsplit(text).hostname if "://" in text else text.split("/", 1)[0]
    address = str(ipaddress.ip_address((candidate or "").strip("[]")))
    return Parsed(
        kind=DOMAIN, value=address, display=address, host=Host(address, address), is_ip=True
    )


def parse_host(raw: str) -> Host:
    """A host name, lower-cased, without trailing dots, in ASCII (IDNA / punycode) and Unicode;
    InvalidValue if it cannot be one."""
    host = raw.translate(_DOTS).strip().lower().rstrip(".")
    if not host or len(host) > 253:
        raise InvalidValue("unrecognised")
    ascii_labels: list[str] = []
    unicode_labels: list[str] = []
    punycode = False
    for label in host.split("."):
        if not label:
            raise InvalidValue("unrecognised")
        if label.isascii():
            if label.startswith("xn--"):
                punycode = True
                unicode_labels.append(_decode_label(label))
            else:
                unicode_labels.append(label)
            ascii_label = label
        else:
            ascii_label = _encode_label(label)
            unicode_labels.append(label)
        if not _LABEL.match(ascii_label):
            raise InvalidValue("unrecognised")
        ascii_labels.append(ascii_label)
    return Host(".".join(ascii_labels), ".".join(unicode_labels), punycode)


def _decode_label(label: str) -> str:
    try:
        return str(idna.decode(label))
    except (idna.IDNAError, UnicodeError):
        pass
    try:  # not valid IDNA 2008 (browsers refuse it too), but still readable for the check
        return label[4:].encode("ascii").decode("punycode").lower()
    except UnicodeError as exc:
        raise InvalidValue("unrecognised") from exc


def _encode_label(label: str) -> str:
    try:
        return idna.encode(label, uts46=True, std3_rules=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError as exc:
        raise InvalidValue("unrecognised") from exc


def _url(text: str) -> Parsed:
    """A URL or a bare host: profile links become handles, anything else a domain."""
    # Browsers read a backslash as a slash in web addresses, so "evil.io\@exchange.com" opens
    # evil.io: parse it the way a browser would.
    text = text.replace("\\", "/")
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as exc:
        raise InvalidValue("unrecognised") from exc
    if not hostname:
        raise InvalidValue("unrecognised")
    if _is_ip(hostname):
        return _ip(hostname)
    host = parse_host(hostname)
    bare = host.ascii.removeprefix("www.")
    platform = PLATFORM_HOSTS.get(bare)
    if platform is not None:
        name = _profile_name(platform, parts.path, parts.query)
        if name:
            if platform == TELEGRAM:
                return _handle(name, kind=TELEGRAM)
            return _handle(name, kind=SOCIAL, platform=platform)
    userinfo = ""
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
    return Parsed(
        kind=DOMAIN, value=host.ascii, display=host.unicode, host=host, decoration=userinfo
    )


def _profile_name(platform: str, path: str, query: str) -> str:
    segments = [s for s in path.split("/") if s]
    if not segments:
        return ""
    first = segments[0]
    second = segments[1] if len(segments) > 1 else ""
    if platform == TELEGRAM:
        if first == "s" and second:
            return second
        if first == "joinchat" and second:
            return "+" + second
        return first
    if platform == "youtube":
        if first.startswith("@"):
            return first
        return second if first in ("c", "user", "channel") else ""
    if platform == "linkedin":
        return second if first in ("company", "in", "school", "showcase") else ""
    if platform == "discord":
        if first == "invite":
            return second
        return first if len(segments) == 1 and first not in ("channels", "app") else ""
    if platform == "reddit":
        return second if first in ("r", "u", "user") else ""
    if platform == "weibo":
        return second if first in ("u", "n") else first
    if platform == "facebook":
        if first == "profile.php":
            return (parse_qs(query).get("id") or [""])[0]
        return second if first in ("pg", "groups") else first
    if first.lower() in _NOT_PROFILES:
        return ""
    return first


def _telegram_resolve(text: str) -> Parsed:
    query = urlsplit(text).query
    name = (parse_qs(query).get("domain") or [""])[0]
    if not name:
        raise InvalidValue("unrecognised")
    return _handle(name, kind=TELEGRAM)


def _handle(name: str, *, kind: str, platform: str = "") -> Parsed:
    name = name.strip().lstrip("@")
    if not _HANDLE.match(name):
        raise InvalidValue("not_handle")
    return Parsed(kind=kind, value=name.casefold(), display="@" + name, platform=platform)


def _registry_handle(kind: str, text: str, platform: str) -> Parsed:
    if kind == SOCIAL and platform not in PLATFORMS:
        raise InvalidValue("platform_required")
    if text.startswith("@") or ("." not in text and "/" not in text):
        if not _HANDLE.match(text.lstrip("@")):
            raise InvalidValue("not_handle")
        return _handle(text, kind=kind, platform=platform if kind == SOCIAL else "")
    try:
        parsed = _url(text)
    except InvalidValue as exc:
        raise InvalidValue("not_handle") from exc
    if kind == TELEGRAM and parsed.kind == TELEGRAM:
        return parsed
    if kind == SOCIAL and parsed.kind == SOCIAL:
        if parsed.platform != platform:
            raise InvalidValue("platform_mismatch")
        return parsed
    raise InvalidValue("not_handle" if parsed.kind == DOMAIN else "platform_mismatch")


def _email(text: str) -> Parsed:
    name, address = parseaddr(text)
    if not address or "@" not in address:
        raise InvalidValue("unrecognised")
    local, _, domain = address.rpartition("@")
    local = local.strip().lower()
    if not local or any(ch.isspace() for ch in local) or len(local) > 64:
        raise InvalidValue("unrecognised")
    host = parse_host(domain)
    if "." not in host.ascii:
        raise InvalidValue("unrecognised")
    return Parsed(
        kind=EMAIL,
        value=f"{local}@{host.ascii}",
        display=f"{local}@{host.unicode}",
        host=host,
        local=local,
        decoration=name.strip(),
    )


def _staff(text: str) -> Parsed:
    match = _STAFF.match(text)
    if match is None:
        raise InvalidValue("not_staff_id")
    value = f"{match.group(1).upper()}-{match.group(2)}"
    return Parsed(kind=STAFF, value=value, display=value)


def _phone(text: str, default_region: str) -> Parsed:
    text = text.strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits < 3 or digits > 17 or not _PHONE.match(text):
        raise InvalidValue("unrecognised")
    try:
        number = phonenumbers.parse(text, (default_region or "CN").upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue("unrecognised") from exc
    if not phonenumbers.is_valid_number(number) and text[0].isdigit():
        # Not a number of the default region: maybe an international one written without "+"
        # ("65 3000 0000"); keep that reading only if it is a valid number.
        try:
            international = phonenumbers.parse("+" + text, None)
        except phonenumbers.NumberParseException:
            international = None
        if international is not None and phonenumbers.is_valid_number(international):
            number = international
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return Parsed(kind=PHONE, value=e164, display=shown)


def country_code(e164: str) -> int:
    """The country calling code of an E.164 number (0 if it cannot be read)."""
    try:
        return int(phonenumbers.parse(e164).country_code or 0)
    except phonenumbers.NumberParseException:
        return 0


def national_number(e164: str) -> str:
    try:
        return str(phonenumbers.parse(e164).national_number or "")
    except phonenumbers.NumberParseException:
        return ""
