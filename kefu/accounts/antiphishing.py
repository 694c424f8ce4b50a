"""The customer's anti-phishing code: a short phrase they choose, shown at the top of every
email Kefu sends them and in the portal header, so a forged email without it stands out.

It is not a secret from the customer's point of view, but only the customer needs it: staff
pages never show it and audit rows never contain it. Every email Kefu sends is built by
``kefu.inbox.adapters.email.compose.compose_customer_email``, which puts the code on top, once.
The code is looked up by the recipient address, so it reaches only the mailbox of the account
that chose it; other recipients (staff, addresses without a customer account or without a
code) get the body unchanged.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User, UserKind
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed

MIN_LENGTH = 4
MAX_LENGTH = 20
# Latin letters and digits, and CJK ideographs (the unified block and extension A). Anything
# else (spaces, punctuation, invisible or right-to-left characters) could hide a forgery.
_ALLOWED = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+")


def normalise_code(raw: str) -> str:
    """NFKC (full-width letters become ASCII) without surrounding spaces."""
    return unicodedata.normalize("NFKC", raw).strip()


def antiphishing_code_set(*, user: User, code: str, actor: Actor) -> User:
    """Set (or, with an empty ``code``, remove) a customer's own anti-phishing code.

    4 to 20 letters, digits or Chinese characters. The audit row says that it changed, not what
    it is.
    """
    if actor.kind != ActorKind.CUSTOMER or actor.user_id != user.pk or not user.is_customer:
        raise PermissionDenied(_("You do not have permission to do that."))
    code = normalise_code(code)
    if code and not (MIN_LENGTH <= len(code) <= MAX_LENGTH and _ALLOWED.fullmatch(code)):
        message = _("Use 4 to 20 letters, digits or Chinese characters, with no spaces.")
        raise ValidationFailed(message, fields={"code": [message]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.antiphishing_code != code:
            locked.antiphishing_code = code
            locked.save(update_fields=["antiphishing_code"])
            audit_record(
                actor=actor,
                action="antiphishing_code.changed",
                object_type="user",
                object_id=user.pk,
                data={"set": bool(code)},
            )
        user.antiphishing_code = code
    return user


def antiphishing_code_for(email: str) -> str:
    """The code of the customer account with this email address ("" if none or not set)."""
    if not email:
        return ""
    code = (
        User.objects.filter(email=email.strip().lower(), kind=UserKind.CUSTOMER, is_active=True)
        .values_list("antiphishing_code", flat=True)
        .first()
    )
    return code or ""


def antiphishing_header(code: str) -> str:
    """The lines that open an email to a customer with ``code``, in the active language."""
    return "\n".join(
        [
            _("Anti-phishing code: %(code)s") % {"code": code},
            _(
                "Every email from us starts with the code you chose in your account. If it is "
                "missing or different, this email is not from us: do not click its links."
            ),
            "-" * 40,
            "",
            "",
        ]
    )


def with_antiphishing_code(body: str, *, recipient: str) -> str:
    """``body`` with the recipient's anti-phishing lines on top, if the recipient is a customer
    who set a code; otherwise ``body`` unchanged. Call it with the email's language active."""
    code = antiphishing_code_for(recipient)
    return antiphishing_header(code) + body if code else body
