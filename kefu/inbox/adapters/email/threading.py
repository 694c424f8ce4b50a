"""Which conversation an email belongs to, and the ids and addresses Kefu mails out with.

Three ways, strongest first: (1) the per-conversation reply address Kefu sets as Reply-To,
``support+c<id>.<signature>@domain`` (signed with ``django.core.signing``, so it cannot be
guessed; compared case-insensitively because mail systems may lower-case local parts);
(2) ``In-Reply-To`` / ``References``: Kefu's own Message-IDs (``kefu.<message id>.<signature>@
domain``, signed the same way) and the Message-IDs of customer mail already stored
(``Message.external_id`` = ``mid:<id>``); (3) the reference number in the subject
(``[KF-000123]``). These are only *candidates*: the pipeline joins one only when the sender
is that conversation's contact, so nobody can write into someone else's case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from kefu.conversations.models import Message, parse_reference
from kefu.inbox.adapters.email.parse import ParsedEmail, message_key

REPLY_SALT = "kefu.inbox.email.reply-address"
MESSAGE_ID_SALT = "kefu.inbox.email.message-id"
SIGNATURE_CHARS = 20
_REFERENCE = re.compile(r"\[\s*(KF-\d{1,12})\s*\]", re.I)


def support_address() -> str:
    """The support mailbox customers write to and Kefu sends from (``KEFU_EMAIL_ADDRESS``)."""
    return str(settings.KEFU_EMAIL_ADDRESS).strip().lower()


def email_domain() -> str:
    return support_address().rpartition("@")[2] or "localhost"


def loop_id() -> str:
    """This deployment's id in the X-Kefu-Loop header (derived from the secret key)."""
    return salted_hmac("kefu.inbox.email.loop", "deployment").hexdigest()[:16]


def _signature(salt: str, value: str) -> str:
    return signing.Signer(salt=salt).signature(value).lower()[:SIGNATURE_CHARS]


def _verified(salt: str, value: str, signature: str) -> bool:
    return bool(signature) and constant_time_compare(signature.lower(), _signature(salt, value))


def reply_address(conversation_id: int) -> str:
    """``support+c123.<signature>@domain``: replies to it join conversation 123."""
    local, _at, domain = support_address().rpartition("@")
    value = f"c{conversation_id}"
    return f"{local}+{value}.{_signature(REPLY_SALT, value)}@{domain}"


def conversation_from_address(address: str) -> int | None:
    local = address.partition("@")[0]
    _base, plus, tag = local.partition("+")
    match = re.fullmatch(r"(c\d{1,12})\.([a-z0-9_-]{8,40})", tag.lower()) if plus else None
    if match is None or not _verified(REPLY_SALT, match.group(1), match.group(2)):
        return None
    return int(match.group(1)[1:])


def own_message_id(message_pk: int) -> str:
    """Kefu's Message-ID for an outgoing message (without <>), the same on every retry."""
    value = f"kefu.{message_pk}"
    return f"{value}.{_signature(MESSAGE_ID_SALT, value)}@{email_domain()}"


def message_from_own_id(mid: str) -> int | None:
    match = re.fullmatch(r"(kefu\.(\d{1,12}))\.([a-z0-9_-]{8,40})@.+", mid)
    if match is None or not _verified(MESSAGE_ID_SALT, match.group(1), match.group(3)):
        return None
    return int(match.group(2))


def references_in_subject(subject: str) -> list[int]:
    found = []
    for ref in _REFERENCE.findall(subject or ""):
        pk = parse_reference(ref)
        if pk is not None and pk not in found:
            found.append(pk)
    return found


def referenced_keys(parsed: ParsedEmail) -> list[str]:
    """The stored-message keys of the mails this one answers (In-Reply-To, References)."""
    return [
        message_key(mid) for mid in [*reversed(parsed.in_reply_to), *reversed(parsed.references)]
    ]


def candidate_conversations(
    parsed: ParsedEmail, *, stored: Mapping[str, int] | None = None
) -> tuple[int, ...]:
    """Conversation ids the message says it belongs to, strongest first (not yet checked
    against the sender: the pipeline does that). ``stored``: the conversation of each stored
    email among ``referenced_keys(parsed)``, if the caller looked them up already."""
    found: list[int] = []

    def add(pk: int | None) -> None:
        if pk is not None and pk not in found:
            found.append(pk)

    for address in parsed.recipients:
        add(conversation_from_address(address))
    mids = [*reversed(parsed.in_reply_to), *reversed(parsed.references)]
    own = [pk for pk in (message_from_own_id(mid) for mid in mids) if pk is not None]
    keys = referenced_keys(parsed)
    if own or keys:
        rows = dict(Message.objects.filter(pk__in=own).values_list("pk", "conversation_id"))
        for pk in own:
            add(rows.get(pk))
        if stored is None:
            stored = {
                key: conversation
                for key, conversation in Message.objects.filter(
                    channel="email", external_id__in=keys
                ).values_list("external_id", "conversation_id")
                if key is not None
            }
        for key in keys:
            add(stored.get(key))
    for pk in references_in_subject(parsed.subject):
        add(pk)
    return tuple(found)
