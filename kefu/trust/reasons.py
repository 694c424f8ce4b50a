"""What each verdict and reason code means, in words for the person who asked (en / zh-Hans).

The checker returns stable codes; the page, the API and the command line turn them into text
here, in the language that is active when ``explain`` is called."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.trust.check import NOT_OFFICIAL, OFFICIAL, SUSPICIOUS, Verdict
from kefu.trust.normalise import InvalidValue

VERDICT_TITLES: dict[str, Promise] = {
    OFFICIAL: gettext_lazy("Official"),
    SUSPICIOUS: gettext_lazy("Suspicious: this is not us"),
    NOT_OFFICIAL: gettext_lazy("Not an official channel"),
}

REASONS: dict[str, Promise] = {
    "official_domain": gettext_lazy("This is one of our official websites."),
    "official_subdomain": gettext_lazy(
        "This address is part of one of our official websites (%(official)s)."
    ),
    "official_email": gettext_lazy("This is one of our official email addresses."),
    "official_sending_domain": gettext_lazy("This address belongs to a domain we send email from."),
    "official_phone": gettext_lazy("This is one of our official phone numbers."),
    "official_handle": gettext_lazy("This is one of our official accounts."),
    "official_handle_platform": gettext_lazy(
        "This is our official account on %(platform)s only. The same name on another app "
        "may belong to someone else."
    ),
    "official_staff": gettext_lazy("This is the public staff id of %(label)s, one of our staff."),
    "not_registered": gettext_lazy(
        "This is not one of our official channels. Do not share passwords, codes or funds with it."
    ),
    "ip_address": gettext_lazy(
        "This is a bare IP address. Our websites never ask you to sign in at one."
    ),
    "unknown_staff": gettext_lazy("We have no staff member with this id."),
    "former_staff": gettext_lazy(
        "This staff id is no longer in use. Nobody speaks for us with it."
    ),
    "retired": gettext_lazy(
        "We used this once, but it is no longer ours. Anyone using it now is not us."
    ),
    "homoglyph": gettext_lazy(
        "This looks like %(resembles)s but uses look-alike characters. It is not ours."
    ),
    "mixed_script": gettext_lazy(
        "This mixes letters from different alphabets to look like %(resembles)s. It is not ours."
    ),
    "punycode": gettext_lazy(
        "This is an encoded international name made to look like %(resembles)s. It is not ours."
    ),
    "typo": gettext_lazy(
        "This is spelled almost like %(resembles)s, but not quite. It is not ours."
    ),
    "other_suffix": gettext_lazy(
        "This uses our name with a different ending than %(resembles)s. It is not ours."
    ),
    "brand_subdomain": gettext_lazy(
        "Our name is only the first part of this address: the site really belongs to the "
        "domain at its end. It is not %(resembles)s."
    ),
    "brand_in_domain": gettext_lazy(
        "This uses our name inside someone else's domain. Our site is %(resembles)s."
    ),
    "userinfo_trick": gettext_lazy(
        "This link shows our name before an @, but it opens a different site. It is not "
        "%(resembles)s."
    ),
    "unlisted_address": gettext_lazy(
        "This address uses our domain, but we never send from it: it may be forged. "
        "Our address is %(resembles)s."
    ),
    "brand_in_address": gettext_lazy(
        "This address uses our name but is not ours. Our address is %(resembles)s."
    ),
    "phone_one_digit": gettext_lazy(
        "This number differs by one digit from our number %(resembles)s. It is not ours."
    ),
    "lookalike_handle": gettext_lazy(
        "This account imitates our account %(resembles)s. It is not ours."
    ),
}

INPUT_ERRORS: dict[str, Promise] = {
    "empty": gettext_lazy("Enter a website, email address, phone number, account or staff id."),
    "too_long": gettext_lazy("This is too long to be a website, address, number or account."),
    "unrecognised": gettext_lazy(
        "We could not read this as a website, email address, phone number, account or staff id."
    ),
}


def explain(verdict: Verdict) -> str:
    """The reason for ``verdict`` in the active language."""
    template = REASONS.get(verdict.reason)
    if template is None:
        return str(VERDICT_TITLES.get(verdict.verdict, ""))
    return str(template) % {
        "resembles": verdict.resembles or verdict.normalised,
        "official": verdict.extra.get("official", verdict.normalised),
        "label": verdict.label or verdict.normalised,
        "platform": verdict.extra.get("platform", "").capitalize(),
    }


def title(verdict: Verdict) -> str:
    return str(VERDICT_TITLES[verdict.verdict])


def input_error(exc: InvalidValue) -> str:
    message = INPUT_ERRORS.get(exc.code, INPUT_ERRORS["unrecognised"])
    return str(message)


def kind_name(kind: str) -> str:
    names = {
        "domain": _("Website"),
        "email": _("Email address"),
        "phone": _("Phone number"),
        "telegram": _("Telegram account"),
        "social": _("Social media account"),
        "handle": _("Account name"),
        "staff": _("Staff id"),
    }
    return names.get(kind, kind)
