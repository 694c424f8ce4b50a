"""Is this really the exchange? Check one pasted value against the registry of official channels.

Pure: no database, no settings. The caller hands in a ``Registry`` (``selectors.registry()``
builds it from the database) and gets back a frozen ``Verdict``:

- ``official`` — an active registered channel (or a subdomain of an official domain, or an
  address at an official sending domain);
- ``suspicious`` — not ours, but made to look like ours (homoglyphs, mixed scripts, punycode,
  typos, our name as a subdomain of another domain or inside another domain, look-alike
  handles, a phone number one digit off, a retired channel);
- ``not_official`` — not ours, and nothing like ours.

``reason`` is a stable code; ``kefu.trust.reasons`` turns it into words in the reader's
language. ``resembles`` is the official value a suspicious one imitates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from kefu.trust import lookalike as look
from kefu.trust import normalise as norm

OFFICIAL = "official"
NOT_OFFICIAL = "not_official"
SUSPICIOUS = "suspicious"

HANDLE_KINDS = (norm.TELEGRAM, norm.SOCIAL)
# Brand names shorter than this are too common to look for inside other names.
MIN_BRAND = 4


@dataclass(frozen=True)
class Entry:
    """One registered channel, already normalised (``normalise.normalise_as``)."""

    kind: str
    value: str
    display: str = ""
    platform: str = ""
    label: str = ""
    active: bool = True

    @property
    def shown(self) -> str:
        return self.display or self.value


@dataclass(frozen=True)
class Registry:
    entries: tuple[Entry, ...] = ()

    def active(self, *kinds: str) -> list[Entry]:
        return [e for e in self.entries if e.active and e.kind in kinds]

    @functools.cached_property
    def official_hosts(self) -> list[Entry]:
        return self.active(norm.DOMAIN, norm.EMAIL_DOMAIN)

    @functools.cached_property
    def brands(self) -> dict[str, Entry]:
        """Compact skeletons of our names (registrable labels of our domains) -> an entry."""
        found: dict[str, Entry] = {}
        for entry in self.official_hosts:
            _sub, label, _suffix = look.split_domain(entry.value)
            brand = look.compact(look.skeleton(label))
            if len(brand) >= MIN_BRAND:
                found.setdefault(brand, entry)
        return found


@dataclass(frozen=True)
class Verdict:
    verdict: str
    kind: str
    normalised: str
    reason: str
    resembles: str | None = None
    label: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "verdict": self.verdict,
            "kind": self.kind,
            "resembles": self.resembles,
            "reason": self.reason,
        }


def check(value: str, *, registry: Registry, default_region: str = "CN") -> Verdict:
    """The verdict on ``value``; raises ``normalise.InvalidValue`` if it is not readable."""
    parsed = norm.normalise(value, default_region=default_region)
    if parsed.kind == norm.DOMAIN:
        return _check_domain(parsed, registry)
    if parsed.kind == norm.EMAIL:
        return _check_email(parsed, registry)
    if parsed.kind == norm.PHONE:
        return _check_phone(parsed, registry)
    if parsed.kind == norm.STAFF:
        return _check_staff(parsed, registry)
    return _check_handle(parsed, registry)


def _verdict(
    parsed: norm.Parsed, verdict: str, reason: str, entry: Entry | None = None, **extra: str
) -> Verdict:
    official = verdict == OFFICIAL
    if entry is not None:
        extra = {"official": entry.shown, **extra}
    return Verdict(
        verdict=verdict,
        kind=parsed.kind,
        normalised=parsed.value,
        reason=reason,
        resembles=None if official or entry is None else entry.shown,
        label=entry.label if official and entry is not None else "",
        extra=extra,
    )


# --- domains ---------------------------------------------------------------------------------


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _check_domain(parsed: norm.Parsed, registry: Registry) -> Verdict:
    if parsed.is_ip:
        return _verdict(parsed, NOT_OFFICIAL, "ip_address")
    host = parsed.host
    assert host is not None
    # The address bar shows user info first (https://our.site@evil.io/): the host is elsewhere.
    if parsed.decoration:
        trick = _named_after_us(parsed.decoration, registry)
        if trick is not None and not _official_host(host.ascii, registry):
            return _verdict(parsed, SUSPICIOUS, "userinfo_trick", trick)
    found = _official_host(host.ascii, registry)
    if found is not None:
        reason = "official_domain" if host.ascii == found.value else "official_subdomain"
        return _verdict(parsed, OFFICIAL, reason, found)
    retired = _retired(registry, host.ascii, (norm.DOMAIN, norm.EMAIL_DOMAIN))
    if retired is not None:
        return _verdict(parsed, SUSPICIOUS, "retired", retired)
    lookalike = _host_lookalike(host, registry)
    if lookalike is not None:
        reason, entry = lookalike
        return _verdict(parsed, SUSPICIOUS, reason, entry)
    return _verdict(parsed, NOT_OFFICIAL, "not_registered")


def _official_host(ascii_host: str, registry: Registry) -> Entry | None:
    matches = [e for e in registry.official_hosts if _under(ascii_host, e.value)]
    # The most specific registration wins (mail.x.com before x.com).
    return max(matches, key=lambda e: len(e.value), default=None)


def _retired(
    registry: Registry, value: str, kinds: Iterable[str], platform: str = ""
) -> Entry | None:
    for entry in registry.entries:
        if entry.active or entry.kind not in kinds or entry.value != value:
            continue
        if platform and entry.platform and entry.platform != platform:
            continue
        return entry
    return None


def _host_lookalike(host: norm.Host, registry: Registry) -> tuple[str, Entry] | None:
    """(reason, official entry) if ``host`` imitates one of our domains."""
    sub, label, suffix = look.split_domain(host.ascii)
    unicode_label = _unicode_label(host, label)
    candidate = look.compact(look.skeleton(unicode_label))
    non_ascii = not unicode_label.isascii()
    for entry in registry.official_hosts:
        _osub, olabel, osuffix = look.split_domain(entry.value)
        official = look.compact(look.skeleton(olabel))
        same_look = candidate == official
        near = look.distance(candidate, official) <= look.typo_allowance(len(official))
        if non_ascii and (same_look or near):
            if host.punycode:
                return "punycode", entry
            if look.is_mixed_script(unicode_label):
                return "mixed_script", entry
            return "homoglyph", entry
        if look.skeleton(unicode_label) == look.skeleton(olabel) and label != olabel:
            return "homoglyph", entry
        if label == olabel and suffix != osuffix:
            return "other_suffix", entry
        if same_look:  # demo-exchange vs demoexchange: only separators differ
            return "typo", entry
        if near:
            return "typo", entry
    # Our full domain or our name used as a subdomain of someone else's domain.
    if sub:
        sub_compact = look.compact(look.skeleton(_unicode_sub(host, sub)))
        for entry in registry.official_hosts:
            if _under(sub, entry.value) or ("." + entry.value + ".") in ("." + sub + "."):
                return "brand_subdomain", entry
        for brand, entry in registry.brands.items():
            if brand in sub_compact:
                return "brand_subdomain", entry
    # Our name inside a different registrable domain (our-name-support.com).
    for brand, entry in registry.brands.items():
        if brand in candidate:
            return ("punycode" if host.punycode else "brand_in_domain"), entry
    return None


def _unicode_label(host: norm.Host, ascii_label: str) -> str:
    labels = host.ascii.split(".")
    unicode_labels = host.unicode.split(".")
    if len(labels) == len(unicode_labels) and ascii_label in labels:
        return unicode_labels[labels.index(ascii_label)]
    return ascii_label


def _unicode_sub(host: norm.Host, ascii_sub: str) -> str:
    count = len(ascii_sub.split("."))
    unicode_labels = host.unicode.split(".")
    return ".".join(unicode_labels[:count])


def _named_after_us(text: str, registry: Registry) -> Entry | None:
    """The official entry whose name appears in ``text`` (a display name, user info...)."""
    squashed = look.compact(look.skeleton(text))
    for brand, entry in registry.brands.items():
        if brand in squashed:
            return entry
    return None


# --- email -----------------------------------------------------------------------------------


def _check_email(parsed: norm.Parsed, registry: Registry) -> Verdict:
    host = parsed.host
    assert host is not None
    exact = next((e for e in registry.active(norm.EMAIL) if e.value == parsed.value), None)
    if exact is not None:
        return _verdict(parsed, OFFICIAL, "official_email", exact)
    sending = next((e for e in registry.active(norm.EMAIL_DOMAIN) if e.value == host.ascii), None)
    if sending is not None:
        return _verdict(parsed, OFFICIAL, "official_sending_domain", sending)
    retired = _retired(registry, parsed.value, (norm.EMAIL,))
    if retired is not None:
        return _verdict(parsed, SUSPICIOUS, "retired", retired)
    ours = _official_host(host.ascii, registry)
    if ours is not None:
        # Our domain, but not an address or a domain we send from: spoofed or unused.
        return _verdict(parsed, SUSPICIOUS, "unlisted_address", _nearest_email(registry) or ours)
    lookalike = _host_lookalike(host, registry)
    if lookalike is not None:
        reason, entry = lookalike
        return _verdict(parsed, SUSPICIOUS, reason, _nearest_email(registry) or entry)
    named = _named_after_us(f"{parsed.local} {parsed.decoration}", registry)
    if named is not None:
        return _verdict(parsed, SUSPICIOUS, "brand_in_address", _nearest_email(registry) or named)
    return _verdict(parsed, NOT_OFFICIAL, "not_registered")


def _nearest_email(registry: Registry) -> Entry | None:
    return next(iter(registry.active(norm.EMAIL)), None)


# --- phone -----------------------------------------------------------------------------------


def _check_phone(parsed: norm.Parsed, registry: Registry) -> Verdict:
    phones = registry.active(norm.PHONE)
    exact = next((e for e in phones if e.value == parsed.value), None)
    if exact is not None:
        return _verdict(parsed, OFFICIAL, "official_phone", exact)
    retired = _retired(registry, parsed.value, (norm.PHONE,))
    if retired is not None:
        return _verdict(parsed, SUSPICIOUS, "retired", retired)
    code = norm.country_code(parsed.value)
    national = norm.national_number(parsed.value)
    for entry in phones:
        official = norm.national_number(entry.value)
        if (
            norm.country_code(entry.value) == code
            and len(official) >= 6
            and look.distance(national, official) == 1
        ):
            return _verdict(parsed, SUSPICIOUS, "phone_one_digit", entry)
    return _verdict(parsed, NOT_OFFICIAL, "not_registered")


# --- handles and staff -----------------------------------------------------------------------


def _candidates(parsed: norm.Parsed, registry: Registry) -> list[Entry]:
    """The registered handles ``parsed`` could be: same platform, or any if it is unknown."""
    handles = registry.active(*HANDLE_KINDS)
    if parsed.kind == norm.TELEGRAM:
        return [e for e in handles if e.kind == norm.TELEGRAM]
    if parsed.kind == norm.SOCIAL:
        return [e for e in handles if e.kind == norm.SOCIAL and e.platform == parsed.platform]
    return handles


def _check_handle(parsed: norm.Parsed, registry: Registry) -> Verdict:
    same_platform = _candidates(parsed, registry)
    exact = next((e for e in same_platform if e.value == parsed.value), None)
    if exact is not None:
        reason = "official_handle" if parsed.kind != norm.HANDLE else "official_handle_platform"
        platform = exact.platform or exact.kind
        return _verdict(parsed, OFFICIAL, reason, exact, platform=platform)
    retired = _retired(registry, parsed.value, HANDLE_KINDS, parsed.platform)
    if retired is not None:
        return _verdict(parsed, SUSPICIOUS, "retired", retired)
    candidate = look.compact(look.skeleton(parsed.value))
    all_handles = registry.active(*HANDLE_KINDS)
    # Prefer an imitation of a handle on the same platform, then any of ours.
    for pool in (same_platform, all_handles):
        for entry in pool:
            official = look.compact(look.skeleton(entry.value))
            if candidate == official:  # same look, other separators or case: or other platform
                return _verdict(parsed, SUSPICIOUS, "lookalike_handle", entry)
            if look.distance(candidate, official) <= look.typo_allowance(len(official)):
                return _verdict(parsed, SUSPICIOUS, "lookalike_handle", entry)
            if len(official) >= MIN_BRAND and official in candidate:
                return _verdict(parsed, SUSPICIOUS, "lookalike_handle", entry)
    for brand, entry in registry.brands.items():
        if brand in candidate:
            nearest = next(iter(same_platform or all_handles), entry)
            return _verdict(parsed, SUSPICIOUS, "lookalike_handle", nearest)
    return _verdict(parsed, NOT_OFFICIAL, "not_registered")


def _check_staff(parsed: norm.Parsed, registry: Registry) -> Verdict:
    exact = next((e for e in registry.active(norm.STAFF) if e.value == parsed.value), None)
    if exact is not None:
        return _verdict(parsed, OFFICIAL, "official_staff", exact)
    retired = _retired(registry, parsed.value, (norm.STAFF,))
    if retired is not None:
        return _verdict(parsed, NOT_OFFICIAL, "former_staff")
    return _verdict(parsed, NOT_OFFICIAL, "unknown_staff")
