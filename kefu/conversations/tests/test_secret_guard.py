"""The secret guard in the receive path (every channel) and on staff replies.

Whatever way a customer's message arrives (portal, API, live chat), only the redacted text is
stored: the secret is in no message, subject, timeline row, audit row or search term.
"""

from __future__ import annotations

import io
import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import translation

from kefu.accounts.tests.apikit import Api, assert_error, make_key
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations import search, secret_guard, services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import (
    Attachment,
    AuthorKind,
    Conversation,
    Message,
    MessageKind,
    TimelineEntry,
    TimelineKind,
)
from kefu.conversations.secret_guard import GuardBlocked
from kefu.conversations.tests.conftest import png_bytes
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.testing import factories
from kefu.testing.callbacks import jobs

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
PASSWORD = "Hunter2!xyz"
TXID = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def pdf_with(*lines: str) -> bytes:
    """A real one-page PDF (reportlab) with ``lines`` of text on it."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for i, line in enumerate(lines):
        page.drawString(40, 800 - 20 * i, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def search_terms(conversation_id: int) -> list[str]:
    return search.stored_terms(conversation_id)


def assert_stored_nowhere(secret: str) -> None:
    """No row the guard could have leaked into holds ``secret`` (or any word of it)."""
    words = [w for w in search.tokenize(secret) if len(w) > 3]
    for message in Message.objects.all():
        assert secret not in message.body
        assert secret not in message.body_html
    for conversation in Conversation.objects.all():
        assert secret not in conversation.subject
        terms = set(search_terms(conversation.pk))
        assert not terms & set(words), terms & set(words)
    for entry in TimelineEntry.objects.all():
        assert secret not in json.dumps(entry.data, ensure_ascii=False)
    for audit in AuditEntry.objects.all():
        assert secret not in json.dumps(audit.data, ensure_ascii=False)
        for word in words:
            assert word not in json.dumps(audit.data).lower()


def notice_of(conversation: Conversation) -> Message:
    return Message.objects.get(conversation=conversation, author_kind=AuthorKind.SYSTEM)


# --- screening, unit ------------------------------------------------------------------------


def test_screen_redacts_body_and_subject_and_reports_kinds_only():
    screened = secret_guard.screen_inbound(
        body=f"Help, my seed phrase is {SEED} and my password is {PASSWORD}",
        subject=f"password is {PASSWORD}",
    )
    assert SEED not in screened.body
    assert PASSWORD not in screened.body
    assert "█████" in screened.body
    assert PASSWORD not in screened.subject
    assert screened.kinds == ("seed_phrase", "password")
    assert screened.counts == {"seed_phrase": 1, "password": 2}
    assert screened.found


def test_a_transaction_id_passes_untouched():
    body = f"My deposit {TXID} of 100 USDT has not arrived."
    screened = secret_guard.screen_inbound(body=body, subject="Deposit missing")
    assert screened.body == body
    assert not screened.found


def test_pdf_text_reads_a_real_pdf_and_a_broken_one_is_empty():
    assert "recovery phrase" in secret_guard.pdf_text(pdf_with("My recovery phrase:", SEED))
    assert secret_guard.pdf_text(b"%PDF-1.4\nnot really a pdf") == ""
    assert secret_guard.pdf_text(b"") == ""


def test_attachments_with_a_secret_are_withheld_images_are_not_read():
    seed_pdf = UploadedFile(filename="backup.pdf", content=pdf_with("My seed phrase:", SEED))
    clean_pdf = UploadedFile(filename="receipt.pdf", content=pdf_with("Deposit receipt", TXID))
    notes = UploadedFile(filename="notes.txt", content=f"password: {PASSWORD}".encode())
    image = UploadedFile(filename="screen.png", content=png_bytes())
    screened = secret_guard.screen_inbound(
        body="See the files.", attachments=[seed_pdf, clean_pdf, notes, image]
    )
    assert screened.withheld == ("backup.pdf", "notes.txt")
    assert [a.filename for a in screened.attachments] == ["receipt.pdf", "screen.png"]
    assert screened.kinds == ("seed_phrase", "password")
    assert screened.body == "See the files."


def test_customer_notice_is_translated_and_says_what_to_do():
    english = secret_guard.customer_notice(["seed_phrase", "otp_code"], ["backup.pdf"], "en")
    assert "never ask" in english
    assert "move all funds" in english
    assert "Never share two-factor codes" in english
    assert "backup.pdf" in english
    chinese = secret_guard.customer_notice(["password"], [], "zh-hans")
    assert "密码" in chinese
    assert "never" not in chinese


# --- conversation_create and message_reply ------------------------------------------------


def test_create_stores_only_redacted_text_and_tells_the_customer(customer_1, snapshot):
    snap = snapshot()
    conversation = factories.ConversationFactory(
        contact=customer_1.contact,
        subject=f"My password is {PASSWORD}",
        body=f"I can't log in. My password is {PASSWORD}, please help.",
    )
    conversation.refresh_from_db()
    assert conversation.security_risk is True
    first = conversation.messages.order_by("seq").first()
    assert first.author_kind == AuthorKind.CUSTOMER
    assert first.body == "I can't log in. My password is █████, please help."
    assert PASSWORD not in conversation.subject
    notice = notice_of(conversation)
    assert (notice.kind, notice.seq, notice.public_seq) == (MessageKind.REPLY, 2, 2)
    assert "Change your password now" in notice.body
    assert conversation.message_count == 2
    security = TimelineEntry.objects.get(conversation=conversation, kind=TimelineKind.SECURITY)
    assert (security.data, security.public, security.message_id) == (
        {"kinds": ["password"], "withheld": 0},
        False,
        None,
    )
    assert TimelineEntry.objects.get(message=notice).kind == TimelineKind.MESSAGE
    audit = AuditEntry.objects.get(action="message.secret_redacted")
    assert audit.data == {
        "message": first.pk,
        "notice": notice.pk,
        "kinds": ["password"],
        "counts": {"password": 2},
        "withheld": 0,
    }
    assert [m.pk for m in snap.new(Message)] == [first.pk, notice.pk]
    assert_stored_nowhere(PASSWORD)
    assert "hunter2" not in search_terms(conversation.pk)
    assert "log" in search_terms(conversation.pk)  # the rest is still searchable


def test_clean_message_changes_nothing(customer_1):
    conversation = factories.ConversationFactory(
        contact=customer_1.contact, body=f"Deposit {TXID} missing"
    )
    conversation.refresh_from_db()
    assert conversation.security_risk is False
    assert conversation.messages.get().body == f"Deposit {TXID} missing"
    assert not TimelineEntry.objects.filter(kind=TimelineKind.SECURITY).exists()
    assert not AuditEntry.objects.filter(action="message.secret_redacted").exists()


def test_notice_is_in_the_contacts_language(db):
    contact = factories.ContactFactory(language="zh-hans")
    conversation = factories.ConversationFactory(
        contact=contact, subject="无法登录", body="我的助记词是 " + SEED
    )
    notice = notice_of(conversation)
    with translation.override("zh-hans"):
        expected = secret_guard.customer_notice(["seed_phrase"], [], "zh-hans")
    assert notice.body == expected
    assert "新钱包" in notice.body
    assert_stored_nowhere(SEED)


def test_pdf_with_a_seed_is_withheld_and_named_in_the_notice(customer_1):
    conversation = factories.ConversationFactory(
        contact=customer_1.contact,
        body="My wallet backup is attached.",
        attachments=[
            UploadedFile(filename="wallet-backup.pdf", content=pdf_with("Seed phrase:", SEED)),
            UploadedFile(filename="proof.png", content=png_bytes()),
        ],
    )
    first = conversation.messages.order_by("seq").first()
    assert first.body == "My wallet backup is attached."
    assert [a.filename for a in Attachment.objects.all()] == ["proof.png"]
    assert "wallet-backup.pdf" in notice_of(conversation).body
    security = TimelineEntry.objects.get(kind=TimelineKind.SECURITY)
    assert security.data == {"kinds": ["seed_phrase"], "withheld": 1}
    assert Conversation.objects.get(pk=conversation.pk).security_risk


def test_customer_reply_is_redacted_and_notice_follows(conversation_a, customer_1, actor_of):
    message = services.message_reply(
        conversation=conversation_a,
        body="Here is the code from my app: 2FA code 493021",
        actor=actor_of(customer_1),
    )
    assert "493021" not in message.body
    notice = notice_of(conversation_a)
    assert notice.seq == message.seq + 1
    assert "Never share two-factor codes" in notice.body
    assert_stored_nowhere("493021")


def test_system_notice_emails_the_customer(
    conversation_a, customer_1, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.message_reply(
            conversation=conversation_a,
            body=f"my password is {PASSWORD}",
            actor=actor_of(customer_1),
        )
    assert len(jobs(callbacks)) == 1
    assert [m.to for m in mailoutbox] == [[conversation_a.contact.email]]
    assert PASSWORD not in mailoutbox[0].body


# --- outbound: staff replies that ask for a secret ----------------------------------------


ASKING = "Please send me your password so I can check your account."


def test_agent_reply_asking_for_a_password_is_blocked(conversation_a, agent_a, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(GuardBlocked) as excinfo:
        services.message_reply(conversation=conversation_a, body=ASKING, actor=actor_of(agent_a))
    assert excinfo.value.code == "guard_blocked"
    assert isinstance(excinfo.value, ValidationFailed)
    assert "a password" in excinfo.value.fields["body"][0]
    snap.assert_nothing_written()


def test_agent_cannot_override(conversation_a, agent_a, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.message_reply(
            conversation=conversation_a,
            body=ASKING,
            guard_override_reason="The customer insists.",
            actor=actor_of(agent_a),
        )
    snap.assert_nothing_written()


def test_supervisor_override_is_sent_and_audited(conversation_a, supervisor, actor_of):
    message = services.message_reply(
        conversation=conversation_a,
        body=ASKING,
        guard_override_reason="  Test account of the exchange's QA team.  ",
        actor=actor_of(supervisor),
    )
    assert message.body == ASKING
    audit = AuditEntry.objects.get(action="message.guard_overridden")
    assert audit.actor_ref == f"agent:{supervisor.pk}"
    assert audit.data == {
        "message": message.pk,
        "asked_for": "password",
        "reason": "Test account of the exchange's QA team.",
    }


def test_override_reason_is_limited(conversation_a, admin_user, actor_of):
    with pytest.raises(ValidationFailed) as excinfo:
        services.message_reply(
            conversation=conversation_a,
            body=ASKING,
            guard_override_reason="x" * 501,
            actor=actor_of(admin_user),
        )
    assert set(excinfo.value.fields) == {"guard_override_reason"}


def test_a_reason_does_nothing_when_nothing_was_asked(conversation_a, agent_a, actor_of):
    services.message_reply(
        conversation=conversation_a,
        body="We never ask for your password.",
        guard_override_reason="no need",
        actor=actor_of(agent_a),
    )
    assert not AuditEntry.objects.filter(action="message.guard_overridden").exists()


def test_internal_notes_are_not_checked(conversation_a, agent_a, actor_of):
    note = services.note_add(
        conversation=conversation_a,
        body="Ask the customer for their password? No: never.",
        actor=actor_of(agent_a),
    )
    assert note.kind == MessageKind.NOTE


def test_system_replies_are_checked_too(conversation_a):
    with pytest.raises(GuardBlocked):
        services.message_reply(
            conversation=conversation_a,
            body="Please tell us the 6-digit code from your authenticator app.",
            actor=Actor.system("automation"),
        )


def test_blocked_error_is_in_chinese(conversation_a, agent_a, actor_of):
    with translation.override("zh-hans"), pytest.raises(GuardBlocked) as excinfo:
        services.message_reply(conversation=conversation_a, body=ASKING, actor=actor_of(agent_a))
    assert "密码" in excinfo.value.message


# --- channels: portal, API, live chat ------------------------------------------------------


def _portal(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_portal_create_and_reply_store_only_redacted_text(customer_1):
    client = _portal(customer_1)
    response = client.post(
        reverse("portal:request_new"),
        {
            "category": "account",
            "subject": "Locked out",
            "description": f"My password is {PASSWORD} and it does not work.",
            "tx_id": "",
            "asset": "",
            "network": "",
        },
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert PASSWORD not in page
    assert "Change your password now" in page
    response = client.post(
        reverse("portal:request_reply", args=[conversation.pk]),
        {"body": f"My seed phrase is {SEED}"},
    )
    assert response.status_code == 302
    assert Message.objects.filter(author_kind=AuthorKind.SYSTEM).count() == 2
    assert_stored_nowhere(PASSWORD)
    assert_stored_nowhere(SEED)


@pytest.fixture
def api(admin_user):
    return Api(make_key(admin_user)[1])


def test_api_create_and_customer_reply_store_only_redacted_text(api, customer_1):
    response = api.post(
        "/conversations",
        {
            "customer_id": customer_1.contact.pk,
            "subject": "Account",
            "body": f"password: {PASSWORD}",
        },
    )
    assert response.status_code == 201, response.content
    conversation_id = response.json()["id"]
    conversation = Conversation.objects.get(pk=conversation_id)
    assert conversation.security_risk
    response = api.post(
        f"/conversations/{conversation_id}/messages",
        {"body": f"my seed phrase is {SEED}", "author": "customer"},
    )
    assert response.status_code == 201, response.content
    assert SEED not in response.content.decode()
    assert "█████" in response.json()["body"]
    assert_stored_nowhere(PASSWORD)
    assert_stored_nowhere(SEED)


def test_api_agent_reply_asking_for_a_secret_gets_the_error_shape(api, conversation_a):
    response = api.post(f"/conversations/{conversation_a.pk}/messages", {"body": ASKING})
    error = assert_error(response, 422, "guard_blocked")
    assert set(error["fields"]) == {"body"}
    assert conversation_a.messages.count() == 1


@pytest.fixture
def chat_site(team_a):
    from kefu.inbox.models import ChatSite

    return ChatSite.objects.create(
        name="Test exchange",
        key="test-site",
        team=team_a,
        allowed_origins=["http://127.0.0.1:8000"],
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_live_chat_stores_and_acks_only_redacted_text(chat_site):
    from kefu.testing.realtime import chat_hello

    sock, _welcome = await chat_hello(chat_site.key, language="zh-hans")
    await sock.send(
        {"type": "message.send", "id": "guard-key-01", "body": f"我的密码是 {PASSWORD} 登录不了"}
    )
    ack = await sock.recv_type("message.ack")
    frames = [ack]
    while len([f for f in frames if f["type"] == "message.created"]) < 2:
        frames.append(await sock.recv(2))
    await sock.close()
    assert PASSWORD not in json.dumps(frames, ensure_ascii=False)
    assert "█████" in ack["message"]["body"]
    created = [f["message"] for f in frames if f["type"] == "message.created"]
    assert [m["author"] for m in created] == ["customer", "system"]
    assert "密码" in created[1]["body"]  # the notice, in the visitor's language

    def check() -> None:
        contact = Contact.objects.get(pk=Conversation.objects.get().contact_id)
        assert contact.language == "zh-hans"
        assert Conversation.objects.get().security_risk
        assert_stored_nowhere(PASSWORD)

    await sync_to_async(check)()
