"""IMAP polling against a real Dovecot on 127.0.0.1 (see dovecot.py)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from kefu.inbox import mailboxes
from kefu.inbox.adapters.email import imap
from kefu.inbox.models import EmailMailbox
from kefu.inbox.tests import dovecot

pytestmark = pytest.mark.skipif(
    not dovecot.available(),
    reason="Dovecot is not installed (apt-get install dovecot-imapd; bootstrap.py test does it)",
)


def message(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@customer.example>\r\n"
        f"To: {dovecot.USER}\r\n"
        f"Subject: Question {n}\r\n"
        f"Message-ID: <q{n}@customer.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Body of question {n}: \u63d0\u73b0 BODY-MARKER-{n}\r\n"
    ).encode()


class Recorder:
    def __init__(self, fail_marker: bytes | None = None) -> None:
        self.calls: list[tuple[bytes, str, str]] = []
        self.fail_marker = fail_marker
        self.lock = threading.Lock()

    def __call__(self, *, raw: bytes, account: str, source: str) -> object:
        if self.fail_marker is not None and self.fail_marker in raw:
            raise RuntimeError("database is unavailable")
        with self.lock:
            self.calls.append((raw, account, source))
        return None


@pytest.fixture
def server(settings):
    with dovecot.running_dovecot() as running:
        settings.KEFU_EMAIL_IMAP_CA_FILE = str(running.certs.ca_file)
        settings.KEFU_EMAIL_IMAP_TIMEOUT_SECONDS = 10
        settings.KEFU_EMAIL_IMAP_BATCH = 2  # several batches with three messages
        yield running


def make_mailbox(server, **overrides) -> EmailMailbox:
    fields = {
        "address": dovecot.USER,
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "security": "ssl",
        "username": dovecot.USER,
        "folder": "INBOX",
        "processed_folder": "Kefu Processed",
        "after": "move",
        "poll_interval_seconds": 60,
    }
    password = overrides.pop("password", dovecot.PASSWORD)
    fields.update(overrides)
    mailbox = EmailMailbox(**fields)
    mailbox.password = password
    mailbox.save()
    return mailbox


@pytest.mark.django_db
@pytest.mark.parametrize("use_move", [True, False], ids=["uid-move", "copy-delete-expunge"])
def test_poll_delivers_exact_bytes_and_moves_to_processed_folder(server, use_move):
    raws = [message(n) for n in (1, 2, 3)]
    for raw in raws:
        server.append(raw)
    mailbox = make_mailbox(server)
    recorder = Recorder()
    claimed = mailboxes.mailbox_claim(mailbox_pk=mailbox.pk)
    assert claimed is not None
    outcome = mailboxes.mailbox_poll_claimed(claimed, deliver=recorder, use_move=use_move)
    assert outcome.ok
    assert outcome.delivered == 3
    assert outcome.failed == 0
    assert recorder.calls == [(raw, dovecot.USER, "imap") for raw in raws]
    assert server.messages("INBOX") == []
    assert server.messages("Kefu Processed") == raws
    mailbox.refresh_from_db()
    assert mailbox.failures == 0
    assert mailbox.last_error == ""
    assert mailbox.lease_until is None
    assert mailbox.last_success_at is not None
    assert mailbox.next_poll_at == mailbox.last_success_at + timedelta(seconds=60)


@pytest.mark.django_db
def test_a_message_whose_deliver_raised_stays_and_is_delivered_next_poll(server, caplog):
    raws = [message(n) for n in (1, 2, 3)]
    for raw in raws:
        server.append(raw)
    mailbox = make_mailbox(server)
    failing = Recorder(fail_marker=b"BODY-MARKER-2")
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=failing)
    assert outcome is not None
    assert outcome.ok
    assert (outcome.delivered, outcome.failed) == (2, 1)
    assert failing.calls == [(raws[0], dovecot.USER, "imap"), (raws[2], dovecot.USER, "imap")]
    assert server.messages("INBOX") == [raws[1]]
    assert server.messages("Kefu Processed") == [raws[0], raws[2]]
    mailbox.refresh_from_db()
    assert "1 message(s) could not be stored" in mailbox.last_error
    assert "BODY-MARKER" not in caplog.text

    # The next poll (the mailbox made due) delivers the one left behind.
    EmailMailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=None)
    healthy = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=healthy)
    assert outcome is not None
    assert (outcome.delivered, outcome.failed) == (1, 0)
    assert healthy.calls == [(raws[1], dovecot.USER, "imap")]
    assert server.messages("INBOX") == []
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


@pytest.mark.django_db
def test_flag_mode_keeps_messages_in_place_and_skips_them_next_time(server):
    raws = [message(n) for n in (1, 2)]
    for raw in raws:
        server.append(raw)
    mailbox = make_mailbox(server, after="flag")
    recorder = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)
    assert outcome is not None
    assert outcome.delivered == 2
    assert server.messages("INBOX") == raws
    assert server.messages("Kefu Processed") == []
    flags = server.flags("INBOX")
    assert all("\\Seen" in f and "KefuProcessed" in f for f in flags), flags

    server.append(message(3))
    EmailMailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=None)
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)
    assert outcome is not None
    assert outcome.delivered == 1
    assert [raw for raw, _, _ in recorder.calls] == [*raws, message(3)]


@pytest.mark.django_db
def test_starttls_on_the_plain_port(server):
    server.append(message(1))
    mailbox = make_mailbox(server, port=server.imap_port, security="starttls")
    recorder = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)
    assert outcome is not None
    assert outcome.ok, outcome
    assert recorder.calls == [(message(1), dovecot.USER, "imap")]


@pytest.mark.django_db
def test_wrong_password_is_recorded_without_the_password(server, caplog, fake_clock):
    caplog.set_level(logging.DEBUG)
    server.append(message(1))
    wrong = "Wr0ng-Secret-Value"
    mailbox = make_mailbox(server, password=wrong)
    recorder = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)  # no exception
    assert outcome is not None
    assert not outcome.ok
    mailbox.refresh_from_db()
    assert mailbox.failures == 1
    assert mailbox.last_error == (
        f"Login to 127.0.0.1:{server.imaps_port} as {dovecot.USER} failed:"
        " [AUTHENTICATIONFAILED] Authentication failed."
    )
    assert wrong not in mailbox.last_error
    assert wrong not in outcome.error
    assert wrong not in caplog.text
    assert dovecot.PASSWORD not in caplog.text
    assert recorder.calls == []
    assert server.messages("INBOX") == [message(1)]
    # Backoff: the next poll waits twice the interval; a second failure, four times.
    assert mailbox.next_poll_at == fake_clock.now + timedelta(seconds=120)
    fake_clock.advance(seconds=119)
    assert mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder) is None  # not due
    fake_clock.advance(seconds=1)
    assert mailboxes.mailboxes_poll_due(deliver=recorder)[0].ok is False
    mailbox.refresh_from_db()
    assert mailbox.failures == 2
    assert mailbox.next_poll_at == fake_clock.now + timedelta(seconds=240)


@pytest.mark.django_db
def test_untrusted_certificate_is_refused_with_a_clear_error(server, settings):
    settings.KEFU_EMAIL_IMAP_CA_FILE = ""  # the system's CAs do not know the test CA
    server.append(message(1))
    mailbox = make_mailbox(server)
    recorder = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)
    assert outcome is not None
    assert not outcome.ok
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith(
        f"TLS certificate of 127.0.0.1:{server.imaps_port} is not trusted"
    )
    assert mailbox.failures == 1
    assert recorder.calls == []


@pytest.mark.django_db
def test_connection_refused_is_recorded(server):
    mailbox = make_mailbox(server, port=dovecot._free_port())
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=Recorder())
    assert outcome is not None
    assert not outcome.ok
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("Cannot connect to 127.0.0.1:")
    assert mailbox.failures == 1


@pytest.mark.django_db
def test_a_message_over_the_size_limit_stays_in_place_and_is_reported(server, settings):
    settings.KEFU_EMAIL_MAX_BYTES = 1000
    big = message(2).replace(b"\r\n\r\n", b"\r\n\r\n" + b"x" * 2000 + b"\r\n", 1)
    server.append(message(1))
    server.append(big)
    mailbox = make_mailbox(server)
    recorder = Recorder()
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk, deliver=recorder)
    assert outcome is not None
    assert (outcome.delivered, outcome.failed) == (1, 1)
    assert recorder.calls == [(message(1), dovecot.USER, "imap")]
    assert server.messages("INBOX") == [big]
    mailbox.refresh_from_db()
    assert "UID 2: larger than 1000 bytes" in mailbox.last_error


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Kefu Processed", "Kefu Processed"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501, 5.1.3
        ("Tom & Jerry", "Tom &- Jerry"),
        ("已处理", "&XfJZBHQG-"),
    ],
)
def test_folder_names_are_sent_in_modified_utf7(name, wire):
    assert imap.encode_mailbox_name(name) == wire


@pytest.mark.django_db
def test_a_chinese_processed_folder_is_created_and_used(server):
    raws = [message(n) for n in (1, 2)]
    for raw in raws:
        server.append(raw)
    mailbox = make_mailbox(server, processed_folder="台北")
    claimed = mailboxes.mailbox_claim(mailbox_pk=mailbox.pk)
    assert claimed is not None
    outcome = mailboxes.mailbox_poll_claimed(claimed, deliver=Recorder())
    assert outcome.ok, outcome.errors
    assert outcome.delivered == 2
    assert server.messages("INBOX") == []
    # Other mail clients find the folder under its standard name (RFC 3501's own example).
    assert server.messages("&U,BTFw-") == raws
