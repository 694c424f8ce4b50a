"""Email mailboxes: the admin page and services (audited, password sealed and never shown),
the claim that keeps two workers off one mailbox, poll now, the periodic job and the CLI."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.inbox import mailboxes
from kefu.inbox.adapters.email import deliver as deliver_module
from kefu.inbox.models import EmailMailbox
from kefu.inbox.tests import dovecot
from kefu.ops.periodic import SCHEDULE

PASSWORD = "Sup3r-Secret-Mailbox-Pw"
RECEIVED: list[tuple[bytes, str, str]] = []


def recording_ingest(*, raw: bytes, account: str, source: str) -> None:
    """Stands in for the email adapter's ``email_ingest`` (same keyword signature)."""
    RECEIVED.append((raw, account, source))


@pytest.fixture
def ingest(monkeypatch):
    RECEIVED.clear()
    monkeypatch.setattr(
        deliver_module, "INGEST", "kefu.inbox.tests.test_email_mailboxes.recording_ingest"
    )
    return RECEIVED


def form_data(**overrides):
    data = {
        "address": "Support@Kefu.test",
        "host": "imap.kefu.test",
        "port": "993",
        "security": "ssl",
        "username": "support",
        "password": PASSWORD,
        "folder": "INBOX",
        "after": "move",
        "processed_folder": "Processed",
        "poll_interval_seconds": "60",
        "enabled": "on",
    }
    data.update(overrides)
    return data


def save(actor, mailbox=None, **overrides):
    values = {
        "address": "support@kefu.test",
        "host": "imap.kefu.test",
        "port": 993,
        "security": "ssl",
        "username": "support",
        "password": PASSWORD,
        "folder": "INBOX",
        "processed_folder": "Processed",
        "after": "move",
        "enabled": True,
        "poll_interval_seconds": 60,
    }
    values.update(overrides)
    return mailboxes.mailbox_save(mailbox=mailbox, **values, actor=actor)


def test_admin_adds_a_mailbox_on_the_page_password_sealed_and_never_shown(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(reverse("backoffice:inbound:mailbox_create"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = EmailMailbox.objects.get()
    assert mailbox.address == "support@kefu.test"
    assert mailbox.password == PASSWORD
    assert PASSWORD not in mailbox.password_sealed
    entry = AuditEntry.objects.get(action="email_mailbox.created")
    assert entry.actor_ref == f"agent:{admin_user.pk}"
    assert entry.data["host"] == "imap.kefu.test"
    assert entry.data["password_changed"] is True
    assert PASSWORD not in str(entry.data)
    edit = client.get(reverse("backoffice:inbound:mailbox_edit", args=[mailbox.pk]))
    assert edit.status_code == 200
    assert PASSWORD not in edit.content.decode()
    assert mailbox.password_sealed not in edit.content.decode()
    listing = client.get(reverse("backoffice:inbound:mailboxes")).content.decode()
    assert "support@kefu.test" in listing
    assert PASSWORD not in listing


def test_list_shows_the_last_error(admin_user, actor_of):
    mailbox = save(actor_of(admin_user))
    EmailMailbox.objects.filter(pk=mailbox.pk).update(
        last_error="Login to imap.kefu.test:993 as support failed: nope", failures=3
    )
    client = Client()
    client.force_login(admin_user)
    html = client.get(reverse("backoffice:inbound:mailboxes")).content.decode()
    assert "Login to imap.kefu.test:993 as support failed: nope" in html
    assert "Failing (3 times in a row)" in html


def test_empty_password_keeps_it_but_not_when_the_server_changes(admin_user, actor_of):
    actor = actor_of(admin_user)
    mailbox = save(actor)
    save(actor, mailbox, password="", poll_interval_seconds=120)
    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.poll_interval_seconds) == (PASSWORD, 120)
    with pytest.raises(ValidationFailed) as refused:
        save(actor, mailbox, password="", host="evil.example")
    assert "password" in refused.value.fields
    mailbox.refresh_from_db()
    assert mailbox.host == "imap.kefu.test"
    save(actor, mailbox, password="new-one", host="imap2.kefu.test")
    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.password) == ("imap2.kefu.test", "new-one")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("address", "not-an-address"),
        ("host", "bad host"),
        ("port", 0),
        ("security", "none"),
        ("folder", "In%box"),
        ("processed_folder", "INBOX"),
        ("poll_interval_seconds", 5),
        ("after", "delete"),
    ],
)
def test_invalid_values_are_refused(admin_user, actor_of, field, value):
    with pytest.raises(ValidationFailed) as refused:
        save(actor_of(admin_user), **{field: value})
    assert field in refused.value.fields
    assert not EmailMailbox.objects.exists()


def test_only_admins_manage_mailboxes(admin_user, supervisor, actor_of):
    mailbox = save(actor_of(admin_user))
    with pytest.raises(PermissionDenied):
        save(actor_of(supervisor), mailbox, host="evil.example", password="x")
    with pytest.raises(PermissionDenied):
        mailboxes.mailbox_delete(mailbox=mailbox, actor=actor_of(supervisor))
    client = Client()
    client.force_login(supervisor)
    assert client.get(reverse("backoffice:inbound:mailboxes")).status_code == 404
    assert (
        client.post(reverse("backoffice:inbound:mailbox_poll", args=[mailbox.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("backoffice:inbound:mailbox_delete", args=[mailbox.pk])).status_code
        == 404
    )
    assert EmailMailbox.objects.filter(pk=mailbox.pk, host="imap.kefu.test").exists()
    assert AuditEntry.objects.filter(action__startswith="email_mailbox.").count() == 1


def test_delete_is_audited(admin_user):
    client = Client()
    client.force_login(admin_user)
    client.post(reverse("backoffice:inbound:mailbox_create"), form_data())
    mailbox = EmailMailbox.objects.get()
    response = client.post(reverse("backoffice:inbound:mailbox_delete", args=[mailbox.pk]))
    assert response.status_code == 302
    assert not EmailMailbox.objects.exists()
    entry = AuditEntry.objects.get(action="email_mailbox.deleted")
    assert entry.data == {"address": "support@kefu.test", "host": "imap.kefu.test"}


def test_two_workers_never_claim_the_same_mailbox(admin_user, actor_of, fake_clock):
    mailbox = save(actor_of(admin_user))
    first = mailboxes.mailbox_claim(mailbox_pk=mailbox.pk)
    second = mailboxes.mailbox_claim(mailbox_pk=mailbox.pk)
    assert first is not None
    assert second is None
    # "Poll now" while a poll runs does not break the lease.
    EmailMailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=fake_clock.now)
    assert mailboxes.mailbox_claim(mailbox_pk=mailbox.pk) is None
    # A crashed poll's lease runs out; then the mailbox can be claimed again.
    fake_clock.advance(minutes=11)
    assert mailboxes.mailbox_claim(mailbox_pk=mailbox.pk) is not None
    # A disabled mailbox is never claimed.
    fake_clock.advance(minutes=11)
    EmailMailbox.objects.filter(pk=mailbox.pk).update(enabled=False)
    assert mailboxes.mailbox_claim(mailbox_pk=mailbox.pk) is None


def test_the_periodic_job_is_scheduled():
    job = next(j for j in SCHEDULE if j.name == "email.poll_mailboxes")
    assert import_string(job.task).name == "poll_mailboxes"


needs_dovecot = pytest.mark.skipif(
    not dovecot.available(),
    reason="Dovecot is not installed (apt-get install dovecot-imapd; bootstrap.py test does it)",
)


@pytest.fixture
def server(settings):
    with dovecot.running_dovecot() as running:
        settings.KEFU_EMAIL_IMAP_CA_FILE = str(running.certs.ca_file)
        yield running


def dovecot_mailbox(server, actor):
    return save(
        actor,
        address=dovecot.USER,
        host="127.0.0.1",
        port=server.imaps_port,
        username=dovecot.USER,
        password=dovecot.PASSWORD,
    )


RAW = (
    b"From: a@customer.example\r\nSubject: hi\r\nMessage-ID: <p1@customer.example>\r\n\r\nhello\r\n"
)


@needs_dovecot
def test_poll_now_button_polls_through_the_default_deliver(
    server, ingest, admin_user, actor_of, django_capture_on_commit_callbacks
):
    server.append(RAW)
    mailbox = dovecot_mailbox(server, actor_of(admin_user))
    client = Client()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:inbound:mailbox_poll", args=[mailbox.pk]))
    assert response.status_code == 302
    assert ingest == [(RAW, dovecot.USER, "imap")]
    assert server.messages("Processed") == [RAW]
    assert AuditEntry.objects.filter(action="email_mailbox.poll_requested").count() == 1


@needs_dovecot
def test_periodic_task_and_cli_poll(server, ingest, admin_user, actor_of):
    from kefu.inbox.tasks import poll_mailboxes

    mailbox = dovecot_mailbox(server, actor_of(admin_user))
    server.append(RAW)
    assert poll_mailboxes.call() == 1
    assert ingest == [(RAW, dovecot.USER, "imap")]
    assert poll_mailboxes.call() == 0  # not due again until its interval passed
    second = RAW.replace(b"p1@", b"p2@")
    server.append(second)
    out = StringIO()
    call_command("email", "poll", "--mailbox", mailbox.address, stdout=out)
    assert f"{dovecot.USER}: 1 message(s) stored" in out.getvalue()
    assert ingest[-1] == (second, dovecot.USER, "imap")
