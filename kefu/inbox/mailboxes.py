"""Email mailboxes polled over IMAP: admins' writes (audited) and the polling that the worker,
the ``poll now`` button and ``kefu email poll`` run.

The password is sealed at rest and never returned, logged or audited. Each poll claims its
mailbox with a conditional UPDATE (due, and no other worker's lease running), so two workers
never poll one mailbox at once; the outcome is recorded on the mailbox (``last_error``,
``failures``) and a failing mailbox is polled again with a growing delay. A poll never
raises: a broken mailbox must not stop the worker or the other mailboxes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.core import clock, secretbox
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import field_error
from kefu.inbox.adapters.email import imap
from kefu.inbox.adapters.email.deliver import Deliver, default_deliver
from kefu.inbox.models import EmailMailbox, MailboxAfter, MailboxSecurity

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 3600
MIN_INTERVAL, MAX_INTERVAL = 30, 86400
DUE_PER_RUN = 50
ERROR_MAX = 300
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-.]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
# Folder names: printable ASCII without IMAP wildcards (non-ASCII needs modified UTF-7).
_FOLDER = re.compile(r"^[\x20-\x7e]{1,200}$")


def _require_admin(actor: Actor) -> None:
    # A mailbox holds a password and decides what mail becomes conversations: admins only,
    # the same trust as API keys and chat sites.
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_api_keys(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def _folder(field: str, value: str) -> str:
    value = (value or "").strip()
    if not _FOLDER.match(value) or "%" in value or "*" in value:
        raise field_error(
            field, _("Use a folder name of 1 to 200 plain ASCII characters, without wildcards.")
        )
    return value


def mailbox_save(
    *,
    mailbox: EmailMailbox | None = None,
    address: str,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str,
    folder: str,
    processed_folder: str,
    after: str,
    enabled: bool,
    poll_interval_seconds: int,
    actor: Actor,
) -> EmailMailbox:
    """Create a mailbox (mailbox=None) or update one. Admins only; audited without the
    password.

    An empty ``password`` keeps the stored one, except when the server, port or user name
    changes: then it must be entered again, so a stored password is never sent to a new host.
    """
    _require_admin(actor)
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise field_error("address", _("Enter a valid email address.")) from None
    host = (host or "").strip().lower()
    if not host or len(host) > 255 or not _HOST.match(host):
        raise field_error("host", _("Enter the IMAP server's host name."))
    if not 1 <= int(port) <= 65535:
        raise field_error("port", _("Enter a port from 1 to 65535."))
    if security not in MailboxSecurity.values:
        raise field_error("security", _("Choose a security mode from the list."))
    username = (username or "").strip()
    if not username or len(username) > 255:
        raise field_error("username", _("Enter the user name (1 to 255 characters)."))
    folder = _folder("folder", folder)
    processed_folder = _folder("processed_folder", processed_folder)
    if after not in MailboxAfter.values:
        raise field_error("after", _("Choose what happens after processing."))
    if after == MailboxAfter.MOVE and processed_folder.lower() == folder.lower():
        raise field_error(
            "processed_folder", _("The processed folder must differ from the folder read.")
        )
    interval = int(poll_interval_seconds)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise field_error(
            "poll_interval_seconds",
            _("Poll every %(min)d to %(max)d seconds.")
            % {"min": MIN_INTERVAL, "max": MAX_INTERVAL},
        )
    if len(password or "") > 1000:
        raise field_error("password", _("The password is too long."))
    with transaction.atomic():
        created = mailbox is None
        clash = EmailMailbox.objects.filter(address=address)
        if mailbox is not None:
            clash = clash.exclude(pk=mailbox.pk)
        if clash.exists():
            raise field_error("address", _("Another mailbox already has this address."))
        if mailbox is None:
            current = EmailMailbox()
        else:
            current = EmailMailbox.objects.select_for_update().get(pk=mailbox.pk)
        moved = not created and (
            current.host != host or current.port != int(port) or current.username != username
        )
        if not password and (created or moved or not current.password_sealed):
            raise field_error(
                "password",
                _("Enter the password.")
                if created
                else _("Enter the password again when you change the server or user name."),
            )
        current.address, current.host, current.port = address, host, int(port)
        current.security, current.username = security, username
        current.folder, current.processed_folder, current.after = folder, processed_folder, after
        current.enabled = bool(enabled)
        current.poll_interval_seconds = interval
        if password:
            current.password = password
        if created or moved:
            current.failures, current.last_error = 0, ""
            current.next_poll_at = None
        current.save()
        audit_record(
            actor=actor,
            action="email_mailbox.created" if created else "email_mailbox.updated",
            object_type="email_mailbox",
            object_id=current.pk,
            data={
                "address": address,
                "host": host,
                "port": int(port),
                "security": security,
                "username": username,
                "folder": folder,
                "processed_folder": processed_folder,
                "after": after,
                "enabled": current.enabled,
                "poll_interval_seconds": interval,
                "password_changed": bool(password),
            },
        )
    if mailbox is not None:
        mailbox.refresh_from_db()
    return current


def mailbox_delete(*, mailbox: EmailMailbox, actor: Actor) -> None:
    """Delete a mailbox (its mail already stored stays). Admins only; audited."""
    _require_admin(actor)
    with transaction.atomic():
        current = EmailMailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        if current is None:
            raise NotFound()
        audit_record(
            actor=actor,
            action="email_mailbox.deleted",
            object_type="email_mailbox",
            object_id=current.pk,
            data={"address": current.address, "host": current.host},
        )
        current.delete()


def mailbox_poll_request(*, mailbox: EmailMailbox, actor: Actor) -> None:
    """Make the mailbox due now and queue a poll of it (``poll now``). Admins only; audited.
    A poll already running keeps its lease: the queued one then finds nothing to claim."""
    _require_admin(actor)
    with transaction.atomic():
        updated = EmailMailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=clock.now())
        if not updated:
            raise NotFound()
        audit_record(
            actor=actor,
            action="email_mailbox.poll_requested",
            object_type="email_mailbox",
            object_id=mailbox.pk,
            data={"address": mailbox.address},
        )
        from kefu.inbox.tasks import poll_mailbox

        enqueue_on_commit(poll_mailbox, mailbox_pk=mailbox.pk)


# --- polling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollOutcome:
    address: str
    ok: bool
    delivered: int = 0
    failed: int = 0
    error: str = ""


def backoff(failures: int, interval: int) -> timedelta:
    """Delay before the next poll after ``failures`` failed polls in a row."""
    seconds = interval * (2 ** min(failures, 12))
    return timedelta(seconds=max(interval, min(seconds, MAX_BACKOFF_SECONDS)))


def _due(now: datetime) -> Q:
    return Q(enabled=True) & (Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))


def _not_leased(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lte=now)


def mailbox_claim(*, mailbox_pk: int, now: datetime | None = None) -> EmailMailbox | None:
    """Take the mailbox for one poll if it is enabled, due and not being polled; else None.

    One conditional UPDATE: of two workers racing, exactly one sees a row updated."""
    now = now or clock.now()
    claimed = EmailMailbox.objects.filter(_due(now), _not_leased(now), pk=mailbox_pk).update(
        lease_until=now + LEASE, next_poll_at=now + LEASE, last_polled_at=now
    )
    if claimed != 1:
        return None
    return EmailMailbox.objects.get(pk=mailbox_pk)


def _record(mailbox: EmailMailbox, outcome: PollOutcome) -> None:
    now = clock.now()
    fields: dict[str, object] = {"lease_until": None}
    if outcome.ok:
        fields |= {
            "failures": 0,
            "last_success_at": now,
            "last_error": outcome.error[:ERROR_MAX],
            "next_poll_at": now + timedelta(seconds=mailbox.poll_interval_seconds),
        }
    else:
        failures = mailbox.failures + 1
        fields |= {
            "failures": failures,
            "last_error": outcome.error[:ERROR_MAX],
            "next_poll_at": now + backoff(failures, mailbox.poll_interval_seconds),
        }
    EmailMailbox.objects.filter(pk=mailbox.pk).update(**fields)


def _imap_mailbox(mailbox: EmailMailbox) -> imap.ImapMailbox:
    return imap.ImapMailbox(
        address=mailbox.address,
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=mailbox.password,
        folder=mailbox.folder,
        processed_folder=mailbox.processed_folder,
        after=mailbox.after,
    )


def mailbox_poll_claimed(
    mailbox: EmailMailbox, *, deliver: Deliver | None = None, use_move: bool = True
) -> PollOutcome:
    """Poll a mailbox this worker claimed and record the outcome on it. Never raises."""
    address = mailbox.address
    try:
        config = _imap_mailbox(mailbox)
    except secretbox.SecretUnreadable:
        outcome = PollOutcome(
            address, ok=False, error=_("The stored password cannot be read: enter it again.")
        )
        _record(mailbox, outcome)
        return outcome
    try:
        result = imap.poll(
            config,
            deliver=deliver or default_deliver,
            timeout=settings.KEFU_EMAIL_IMAP_TIMEOUT_SECONDS,
            ca_file=settings.KEFU_EMAIL_IMAP_CA_FILE,
            batch_size=settings.KEFU_EMAIL_IMAP_BATCH,
            max_messages=settings.KEFU_EMAIL_IMAP_MAX_PER_POLL,
            max_bytes=settings.KEFU_EMAIL_MAX_BYTES,
            use_move=use_move,
        )
    except imap.ImapError as exc:
        outcome = PollOutcome(address, ok=False, error=str(exc))
        log.warning("imap: polling %s failed (%s): %s", address, exc.kind, exc)
    except Exception as exc:  # a bug must not stop the worker or the other mailboxes
        outcome = PollOutcome(address, ok=False, error=f"Unexpected error: {type(exc).__name__}")
        log.error("imap: polling %s failed: %s", address, type(exc).__name__)
    else:
        error = ""
        if result.failed:
            error = _(
                "%(count)d message(s) could not be stored; they stay in the mailbox and are"
                " tried again on the next poll."
            ) % {"count": result.failed}
            error = f"{error} ({'; '.join(result.errors)})"
        outcome = PollOutcome(
            address, ok=True, delivered=result.delivered, failed=result.failed, error=error
        )
        if result.delivered or result.failed:
            log.info(
                "imap: %s: %s message(s) stored, %s left for the next poll",
                address,
                result.delivered,
                result.failed,
            )
    _record(mailbox, outcome)
    return outcome


def mailbox_poll(*, mailbox_pk: int, deliver: Deliver | None = None) -> PollOutcome | None:
    """Claim and poll one mailbox; None if it is not due or another worker is polling it."""
    mailbox = mailbox_claim(mailbox_pk=mailbox_pk)
    if mailbox is None:
        return None
    return mailbox_poll_claimed(mailbox, deliver=deliver)


def mailboxes_poll_due(*, deliver: Deliver | None = None) -> list[PollOutcome]:
    """Poll every due mailbox this worker can claim (bounded per run)."""
    now = clock.now()
    due = list(
        EmailMailbox.objects.filter(_due(now), _not_leased(now))
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:DUE_PER_RUN]
    )
    outcomes = []
    for pk in due:
        outcome = mailbox_poll(mailbox_pk=pk, deliver=deliver)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
