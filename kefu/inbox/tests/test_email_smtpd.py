"""The built-in SMTP receiver, started on 127.0.0.1 and spoken to with smtplib."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading

import pytest

from kefu.inbox.adapters.email.smtpd import (
    ReceiverConfig,
    RecipientPolicy,
    SmtpReceiver,
    normalize_address,
)
from kefu.inbox.tests.tlscerts import make_certificates

MESSAGE = (
    b"From: Alice <alice@customer.example>\r\n"
    b"To: support@kefu.test\r\n"
    b"Subject: =?utf-8?b?5o+Q546w?= withdrawal stuck\r\n"
    b"Message-ID: <m1@customer.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"My withdrawal is stuck. SECRET-BODY-MARKER\r\n"
    b".a line starting with a dot\r\n"
    b"\xe6\x8f\x90\xe7\x8e\xb0\r\n"
)


class Recorder:
    """A deliver callable that records what it was given (thread-safe)."""

    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.calls: list[tuple[bytes, str, str]] = []
        self.fail_for = fail_for or set()
        self.lock = threading.Lock()

    def __call__(self, *, raw: bytes, account: str, source: str) -> object:
        if account in self.fail_for or "*" in self.fail_for:
            raise RuntimeError("database is unavailable")
        with self.lock:
            self.calls.append((raw, account, source))
        return None


def receiver(deliver, *, addresses=frozenset(), **config) -> SmtpReceiver:
    cfg = ReceiverConfig(domains=["kefu.test"], **config)
    policy = RecipientPolicy(domains=cfg.domains, addresses=lambda: set(addresses))
    server = SmtpReceiver(host="127.0.0.1", port=0, deliver=deliver, config=cfg, policy=policy)
    server.start()
    return server


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def smtpd(recorder):
    server = receiver(recorder, addresses={"help@other.example"})
    yield server
    server.stop()


def client(server: SmtpReceiver) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.port, timeout=10)


def test_normalize_address():
    assert normalize_address("<Support@Kefu.Test>") == "support@kefu.test"
    assert normalize_address("support@kefu.test.") == "support@kefu.test"
    assert normalize_address("no-at-sign") is None
    assert normalize_address("a b@kefu.test") is None


def test_message_is_delivered_byte_for_byte_after_250(smtpd, recorder, caplog):
    caplog.set_level(logging.DEBUG)
    with client(smtpd) as smtp:
        refused = smtp.sendmail("alice@customer.example", ["Support@KEFU.test"], MESSAGE)
    assert refused == {}
    assert recorder.calls == [(MESSAGE, "support@kefu.test", "smtp")]
    # Logged: the envelope. Never the body.
    assert "support@kefu.test" in caplog.text
    assert "SECRET-BODY-MARKER" not in caplog.text
    assert "withdrawal" not in caplog.text


def test_size_is_advertised(smtpd):
    with client(smtpd) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("size")
        assert int(smtp.esmtp_features["size"]) == 40 * 1024 * 1024
        assert smtp.has_extn("smtputf8")


def test_recipient_of_another_domain_is_refused_550(smtpd, recorder):
    with client(smtpd) as smtp:
        smtp.ehlo()
        smtp.mail("alice@customer.example")
        code, _ = smtp.rcpt("victim@elsewhere.example")
        assert code == 550
        smtp.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("alice@customer.example", ["victim@elsewhere.example"], MESSAGE)
    assert refused.value.recipients["victim@elsewhere.example"][0] == 550
    assert recorder.calls == []


def test_a_mailbox_address_outside_the_domains_is_accepted(smtpd, recorder):
    with client(smtpd) as smtp:
        smtp.sendmail("alice@customer.example", ["help@other.example"], MESSAGE)
    assert recorder.calls == [(MESSAGE, "help@other.example", "smtp")]


def test_too_large_is_refused_552_and_not_delivered(recorder):
    server = receiver(recorder, max_bytes=2000)
    try:
        big = MESSAGE + b"x" * 3000 + b"\r\n"
        with client(server) as smtp:
            smtp.ehlo()
            assert int(smtp.esmtp_features["size"]) == 2000
            # Declared too large in MAIL FROM: refused before DATA.
            code, _ = smtp.mail("alice@customer.example", ["SIZE=5000"])
            assert code == 552
            smtp.rset()
            # Not declared: refused after DATA.
            smtp.mail("alice@customer.example")
            assert smtp.rcpt("support@kefu.test")[0] == 250
            code, _ = smtp.data(big)
            assert code == 552
    finally:
        server.stop()
    assert recorder.calls == []


def test_deliver_raising_answers_451_and_acknowledges_nothing(caplog):
    failing = Recorder(fail_for={"*"})
    server = receiver(failing)
    try:
        with client(server) as smtp:
            smtp.ehlo()
            smtp.mail("alice@customer.example")
            smtp.rcpt("support@kefu.test")
            code, reply = smtp.data(MESSAGE)
    finally:
        server.stop()
    assert code == 451
    assert b"try again" in reply
    assert failing.calls == []
    assert "RuntimeError" in caplog.text
    assert "SECRET-BODY-MARKER" not in caplog.text


def test_one_recipient_failing_fails_the_whole_message():
    """The sender retries the message; a copy stored before the failure is stored once
    (the ingest is idempotent on the Message-ID)."""
    partial = Recorder(fail_for={"billing@kefu.test"})
    server = receiver(partial)
    try:
        with client(server) as smtp:
            smtp.ehlo()
            smtp.mail("alice@customer.example")
            smtp.rcpt("support@kefu.test")
            smtp.rcpt("billing@kefu.test")
            code, _ = smtp.data(MESSAGE)
    finally:
        server.stop()
    assert code == 451


def test_recipients_are_deduplicated(smtpd, recorder):
    with client(smtpd) as smtp:
        refused = smtp.sendmail(
            "alice@customer.example",
            ["support@kefu.test", "SUPPORT@kefu.test", "<support@kefu.test>", "vip@kefu.test"],
            MESSAGE,
        )
    assert refused == {}
    assert sorted(account for _, account, _ in recorder.calls) == [
        "support@kefu.test",
        "vip@kefu.test",
    ]


def test_recipient_limit(recorder):
    server = receiver(recorder, max_recipients=2)
    try:
        with client(server) as smtp:
            smtp.ehlo()
            smtp.mail("alice@customer.example")
            assert smtp.rcpt("a@kefu.test")[0] == 250
            assert smtp.rcpt("b@kefu.test")[0] == 250
            assert smtp.rcpt("c@kefu.test")[0] == 452
    finally:
        server.stop()


def test_starttls_with_a_test_certificate(tmp_path, recorder):
    certs = make_certificates(tmp_path / "certs")
    server = receiver(
        recorder,
        tls_cert=str(certs.cert_file),
        tls_key=str(certs.key_file),
        require_tls=True,
    )
    try:
        with client(server) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("starttls")
            # TLS is required: no mail before STARTTLS.
            code, _ = smtp.mail("alice@customer.example")
            assert code == 530
            smtp.starttls(context=ssl.create_default_context(cafile=str(certs.ca_file)))
            smtp.ehlo()
            smtp.sendmail("alice@customer.example", ["support@kefu.test"], MESSAGE)
        # A client that does not trust the certificate cannot start TLS.
        with client(server) as smtp, pytest.raises(ssl.SSLCertVerificationError):
            smtp.starttls(context=ssl.create_default_context())
    finally:
        server.stop()
    assert recorder.calls == [(MESSAGE, "support@kefu.test", "smtp")]


def test_connections_per_peer_are_limited(recorder):
    server = receiver(recorder, max_per_peer=2)
    try:
        first, second = client(server), client(server)
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            client(server)
        assert refused.value.smtp_code == 421
        first.quit()
        # A slot is free again once a connection closed.
        for _ in range(50):
            try:
                third = client(server)
            except smtplib.SMTPConnectError:
                threading.Event().wait(0.05)
                continue
            break
        third.quit()
        second.quit()
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_enabled_mailbox_addresses_in_the_database_are_accepted(recorder):
    from kefu.inbox.models import EmailMailbox

    EmailMailbox.objects.create(
        address="desk@partner.example", host="imap.partner.example", username="desk"
    )
    EmailMailbox.objects.create(
        address="off@partner.example", host="imap.partner.example", username="off", enabled=False
    )
    cfg = ReceiverConfig(domains=[])
    server = SmtpReceiver(host="127.0.0.1", port=0, deliver=recorder, config=cfg)
    server.start()
    try:
        with client(server) as smtp:
            smtp.ehlo()
            smtp.mail("alice@customer.example")
            assert smtp.rcpt("Desk@Partner.example")[0] == 250
            assert smtp.rcpt("off@partner.example")[0] == 550
            assert smtp.rcpt("support@kefu.test")[0] == 550
            assert smtp.data(MESSAGE)[0] == 250
    finally:
        server.stop()
    assert recorder.calls == [(MESSAGE, "desk@partner.example", "smtp")]
