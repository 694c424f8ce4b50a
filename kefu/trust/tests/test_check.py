"""The pure checker: one table of values, each with the verdict, reason and imitated channel."""

from __future__ import annotations

import pytest

from kefu.trust import normalise as norm
from kefu.trust.check import Entry, Registry, Verdict, check


def _entry(
    kind: str, value: str, platform: str = "", label: str = "", active: bool = True
) -> Entry:
    parsed = norm.normalise_as(kind, value, platform=platform)
    return Entry(
        kind=kind,
        value=parsed.value,
        display=parsed.display,
        platform=parsed.platform,
        label=label,
        active=active,
    )


REGISTRY = Registry(
    (
        _entry("domain", "exchange.com", label="Website"),
        _entry("domain", "demo-exchange.com", label="Demo site"),
        _entry("email_domain", "notice.exchange.com"),
        _entry("email", "support@exchange.com"),
        _entry("phone", "+86 138 0013 8000", label="Hotline"),
        _entry("phone", "+65 3000 0000"),
        _entry("telegram", "@exchange", label="Telegram"),
        _entry("social", "@ExchangeOfficial", platform="x"),
        _entry("staff", "KF-1024", label="Li Wei"),
        _entry("domain", "old-exchange.io", active=False),
        _entry("staff", "KF-0007", active=False),
        _entry("phone", "+86 400 111 2222", active=False),
    )
)

OK, NO, SUS = "official", "not_official", "suspicious"

# (value, verdict, reason, resembles)
CASES: list[tuple[str, str, str, str | None]] = [
    # official domains: case, full width, trailing dots, URLs, subdomains
    ("exchange.com", OK, "official_domain", None),
    ("EXCHANGE.COM", OK, "official_domain", None),
    ("exchange.com.", OK, "official_domain", None),
    ("ｅｘｃｈａｎｇｅ．ｃｏｍ", OK, "official_domain", None),
    ("ＥＸＣＨＡＮＧＥ。ＣＯＭ", OK, "official_domain", None),
    ("https://exchange.com/login?next=/", OK, "official_domain", None),
    ("http://EXCHANGE.com:8443/path", OK, "official_domain", None),
    ("<https://exchange.com/>", OK, "official_domain", None),
    ("www.exchange.com", OK, "official_subdomain", None),
    ("https://api.eu.exchange.com/v1", OK, "official_subdomain", None),
    ("Login.Exchange.Com.", OK, "official_subdomain", None),
    ("demo-exchange.com", OK, "official_domain", None),
    ("notice.exchange.com", OK, "official_domain", None),
    # not official domains
    ("google.com", NO, "not_registered", None),
    ("https://binance-research.org/", NO, "not_registered", None),
    ("1.2.3.4", NO, "ip_address", None),
    ("http://10.0.0.1/login", NO, "ip_address", None),
    ("changelog.dev", NO, "not_registered", None),
    # suspicious domains: typos and transpositions
    ("exchnage.com", SUS, "typo", "exchange.com"),
    ("exchange-com.com", SUS, "brand_in_domain", "exchange.com"),
    ("exchanges.com", SUS, "typo", "exchange.com"),
    ("echange.com", SUS, "typo", "exchange.com"),
    ("https://www.exhcange.com/login", SUS, "typo", "exchange.com"),
    # homoglyphs, mixed scripts, punycode
    ("exchang3.com", SUS, "typo", "exchange.com"),
    ("excha0ge.com", SUS, "typo", "exchange.com"),
    ("exchan9e.com", SUS, "typo", "exchange.com"),
    ("dem0-exchange.com", SUS, "homoglyph", "demo-exchange.com"),
    ("demoexchange.com", SUS, "typo", "demo-exchange.com"),
    ("еxchange.com", SUS, "mixed_script", "exchange.com"),  # Cyrillic е
    ("exсhange.com", SUS, "mixed_script", "exchange.com"),  # Cyrillic с
    ("xn--xchange-9fg.com", SUS, "punycode", "exchange.com"),
    ("XN--XCHANGE-9FG.COM", SUS, "punycode", "exchange.com"),
    ("ехсһаnge.com", SUS, "mixed_script", "exchange.com"),
    # other suffix, our name as a subdomain, our name inside another domain
    ("exchange.net", SUS, "other_suffix", "exchange.com"),
    ("exchange.co.uk", SUS, "other_suffix", "exchange.com"),
    ("exchange.com.secure-login.io", SUS, "brand_subdomain", "exchange.com"),
    ("https://exchange.com.verify-account.net/", SUS, "brand_subdomain", "exchange.com"),
    ("exchange.login-help.ru", SUS, "brand_subdomain", "exchange.com"),
    ("exchange-support.com", SUS, "brand_in_domain", "exchange.com"),
    ("support-exchange.com", SUS, "brand_in_domain", "exchange.com"),
    ("myexchangewallet.app", SUS, "brand_in_domain", "exchange.com"),
    ("https://exchange.com@evil.io/", SUS, "userinfo_trick", "exchange.com"),
    ("old-exchange.io", SUS, "retired", "old-exchange.io"),
    # email
    ("support@exchange.com", OK, "official_email", None),
    ("SUPPORT@EXCHANGE.COM", OK, "official_email", None),
    ("mailto:support@exchange.com", OK, "official_email", None),
    ("Exchange Support <support@exchange.com>", OK, "official_email", None),
    ("ｓｕｐｐｏｒｔ＠ｅｘｃｈａｎｇｅ．ｃｏｍ", OK, "official_email", None),
    ("no-reply@notice.exchange.com", OK, "official_sending_domain", None),
    ("ceo@exchange.com", SUS, "unlisted_address", "support@exchange.com"),
    ("support@exchnage.com", SUS, "typo", "support@exchange.com"),
    ("support@exchange-support.com", SUS, "brand_in_domain", "support@exchange.com"),
    ("support@xn--xchange-9fg.com", SUS, "punycode", "support@exchange.com"),
    ("exchange.support@gmail.com", SUS, "brand_in_address", "support@exchange.com"),
    ("Exchange Support <help@gmail.com>", SUS, "brand_in_address", "support@exchange.com"),
    ("alice@gmail.com", NO, "not_registered", None),
    # phones: +86, local formats, one digit off
    ("+86 138 0013 8000", OK, "official_phone", None),
    ("+8613800138000", OK, "official_phone", None),
    ("138 0013 8000", OK, "official_phone", None),
    ("138-0013-8000", OK, "official_phone", None),
    ("(+86) 13800138000", OK, "official_phone", None),
    ("0086 138 0013 8000", OK, "official_phone", None),
    ("tel:+86-138-0013-8000", OK, "official_phone", None),
    ("＋８６ １３８ ００１３ ８０００", OK, "official_phone", None),
    ("+65 3000 0000", OK, "official_phone", None),
    ("+86 138 0013 8001", SUS, "phone_one_digit", "+86 138 0013 8000"),
    ("138 0013 8800", SUS, "phone_one_digit", "+86 138 0013 8000"),
    ("+65 3000 0001", SUS, "phone_one_digit", "+65 3000 0000"),
    ("+86 139 9999 0000", NO, "not_registered", None),
    ("+1 650 253 0000", NO, "not_registered", None),
    ("+86 400 111 2222", SUS, "retired", "+86 400 111 2222"),
    # handles
    ("https://t.me/exchange", OK, "official_handle", None),
    ("t.me/Exchange", OK, "official_handle", None),
    ("@exchange", OK, "official_handle_platform", None),
    ("https://x.com/ExchangeOfficial", OK, "official_handle", None),
    ("https://twitter.com/exchangeofficial", OK, "official_handle", None),
    ("@Exchange_Support", SUS, "lookalike_handle", "@exchange"),
    ("https://t.me/exchange_support", SUS, "lookalike_handle", "@exchange"),
    ("https://t.me/exchanqe", SUS, "lookalike_handle", "@exchange"),
    ("https://x.com/Exchange_Official", SUS, "lookalike_handle", "@ExchangeOfficial"),
    ("https://x.com/ExchangeOfficiaI", SUS, "lookalike_handle", "@ExchangeOfficial"),
    ("@randomperson", NO, "not_registered", None),
    ("https://t.me/cryptodeals", NO, "not_registered", None),
    # staff ids
    ("KF-1024", OK, "official_staff", None),
    ("kf-1024", OK, "official_staff", None),
    ("ＫＦ－１０２４", OK, "official_staff", None),
    ("KF-9999", NO, "unknown_staff", None),
    ("KF-0007", NO, "former_staff", None),
]


@pytest.mark.parametrize(
    ("value", "verdict", "reason", "resembles"), CASES, ids=[c[0] for c in CASES]
)
def test_check_table(value, verdict, reason, resembles):
    result = check(value, registry=REGISTRY)
    assert (result.verdict, result.reason, result.resembles) == (verdict, reason, resembles)


def test_the_table_is_large_and_covers_every_verdict_and_reason():
    assert len(CASES) >= 60
    assert {c[1] for c in CASES} == {OK, NO, SUS}
    suspicious_reasons = {c[2] for c in CASES if c[1] == SUS}
    assert suspicious_reasons >= {
        "typo",
        "homoglyph",
        "mixed_script",
        "punycode",
        "other_suffix",
        "brand_subdomain",
        "brand_in_domain",
        "userinfo_trick",
        "unlisted_address",
        "brand_in_address",
        "phone_one_digit",
        "lookalike_handle",
        "retired",
    }


def test_official_verdict_carries_the_label_and_normalised_value():
    result = check("ＷＷＷ.Exchange.com.", registry=REGISTRY)
    assert result == Verdict(
        verdict=OK, kind="domain", normalised="www.exchange.com", reason="official_subdomain",
        resembles=None, label="Website",
    )  # fmt: skip
    assert result.extra["official"] == "exchange.com"


def test_local_and_international_phone_formats_normalise_alike():
    assert check("138 0013 8000", registry=REGISTRY).normalised == "+8613800138000"
    assert check("+86 138-0013-8000", registry=REGISTRY).normalised == "+8613800138000"


def test_punycode_is_kept_in_ascii_form():
    result = check("еxchange.com", registry=REGISTRY)
    assert result.normalised.startswith("xn--")


def test_unknown_platform_handle_names_the_platform_it_is_official_on():
    result = check("@exchangeofficial", registry=REGISTRY)
    assert (result.verdict, result.extra["platform"]) == (OK, "x")


def test_inactive_entries_are_never_official():
    assert check("old-exchange.io", registry=REGISTRY).verdict != OK
    assert check("sub.old-exchange.io", registry=REGISTRY).verdict != OK


def test_empty_registry_calls_everything_not_official():
    assert check("exchange.com", registry=Registry()).verdict == NO


@pytest.mark.parametrize(
    ("value", "code"),
    [("", "empty"), ("   ", "empty"), ("x" * 3000, "too_long"), ("hello world !", "unrecognised")],
)
def test_unreadable_values_raise_with_a_code(value, code):
    with pytest.raises(norm.InvalidValue) as excinfo:
        check(value, registry=REGISTRY)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),  # a valid Chinese mobile number stays Chinese
        ("65 6123 4567", "+6561234567"),  # not a Chinese number: read as international
        ("+65 6123 4567", "+6561234567"),
        ("０２１ ５１２３ ４５６７", "+862151234567"),  # full-width, Shanghai landline
    ],
)
def test_phone_numbers_without_plus(text, e164):
    assert norm.normalise(text).value == e164
