"""The phone channel end to end through the real HTTP stack: a CTI's generic JSON and Twilio's
voice status callback are verified, stored once and turned into call entries on the caller's
phone conversation; missed calls become one callback task; failures can be replayed; secrets
and staff-only details never leak."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from kefu.audit.models import AuditEntry
from kefu.callbacks.models import Callback, CallbackSource, CallbackStatus
from kefu.contacts.models import Contact
from kefu.conversations import services as conversation_services
from kefu.conversations.models import (
    Channel,
    Conversation,
    Message,
    MessageKind,
    TimelineEntry,
    TimelineKind,
)
from kefu.inbox.adapters.phone.adapter import cti_signature, twilio_signature
from kefu.inbox.models import InboundEvent, InboundState, OutboundDelivery, PhoneCall

pytestmark = pytest.mark.django_db

CTI_SECRET = "cti-test-secret-5b1f9c"
TWILIO_TOKEN = "twilio-auth-token-0c7e2a9d"
PUBLIC = "https://support.example.com"
URL = "/channels/phone/webhook"
CALL_SID = "CA" + "0123456789abcdef" * 2
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


@pytest.fixture(autouse=True)
def phone_settings(settings):
    settings.KEFU_CTI_SECRET = CTI_SECRET
    settings.KEFU_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.KEFU_PUBLIC_URL = PUBLIC
    settings.KEFU_PHONE_DEFAULT_REGION = ""
    return settings


def cti_call(call_id: str = "c-1", **extra: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "direction": "inbound",
        "from": "+14155552671",
        "to": "+442079460958",
        "started_at": "2026-12-01T09:00:00Z",
        "answered_at": "2026-12-01T09:00:10Z",
        "ended_at": "2026-12-01T09:03:17Z",
        "status": "completed",
        "agent": "agent.a@kefu.test",
        "recording_url": RECORDING,
        "notes": "Asked about a delayed BTC withdrawal.",
        **extra,
    }


def post_cti(
    client: Client,
    payload: Any,
    *,
    secret: str = CTI_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Kefu-Timestamp": stamp,
            "X-Kefu-Signature": signature or cti_signature(stamp, body, secret),
        },
    )


def twilio_params(status: str = "completed", **extra: str) -> dict[str, str]:
    params = {
        "AccountSid": "AC" + "f" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": CALL_SID,
        "CallStatus": status,
        "Direction": "inbound",
        "From": "+14155552671",
        "To": "+442079460958",
        "Called": "+442079460958",
        "Caller": "+14155552671",
        "Timestamp": "Tue, 01 Dec 2026 09:03:17 +0000",
        "SequenceNumber": "0",
        "CallbackSource": "call-progress-events",
    }
    if status == "completed":
        params["CallDuration"] = "187"
    params.update(extra)
    return params


def post_twilio(client: Client, params: dict[str, str], signature: str) -> Any:
    return client.post(
        URL,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def signed_by_twilio(params: dict[str, str], url: str = PUBLIC + URL) -> str:
    """The signature Twilio's own library computes for this request."""
    return RequestValidator(TWILIO_TOKEN).compute_signature(url, params)


# --- the generic JSON format ----------------------------------------------------------------


def test_signed_json_call_becomes_a_call_entry_on_a_phone_conversation(
    agent_a, django_capture_on_commit_callbacks
):
    customer = Contact.objects.create(email="li@example.com", phone="+1 (415) 555-2671")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_cti(Client(), cti_call())
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.channel, event.event_id, event.state) == (
        "phone",
        "cti:c-1:completed",
        InboundState.PROCESSED,
    )
    call = PhoneCall.objects.get()
    assert call.contact == customer
    assert (call.direction, call.status, call.duration_seconds) == ("inbound", "completed", 187)
    assert call.agent == agent_a
    assert call.recording_url == RECORDING
    assert call.missed is False
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.contact) == (Channel.PHONE, customer)
    assert event.conversation_id == conversation.pk == call.conversation_id
    entry = TimelineEntry.objects.get(kind=TimelineKind.CALL)
    assert (entry.public, entry.data["call"], entry.pk) == (False, call.pk, call.timeline_entry_id)
    note = Message.objects.get(kind=MessageKind.NOTE)
    assert "Asked about a delayed BTC withdrawal." in note.body
    assert call.note_message == note
    assert not Callback.objects.exists()
    assert AuditEntry.objects.filter(action="phone_call.recorded", object_id=str(call.pk)).exists()
    # The agent sees it on the conversation page, recording link and notes included.
    client = Client()
    client.force_login(agent_a)
    page = client.get(reverse("workspace:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-call="{call.pk}"' in html
    assert "Inbound call" in html
    assert "3:07" in html
    assert RECORDING in html
    assert "Asked about a delayed BTC withdrawal." in html


@pytest.mark.parametrize(
    ("how", "status"),
    [("wrong secret", 403), ("stale timestamp", 403), ("no signature", 403)],
)
def test_bad_or_replayed_json_requests_are_refused_and_nothing_is_stored(
    how, status, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        if how == "wrong secret":
            response = post_cti(client, cti_call(), secret="not-the-secret")
        elif how == "stale timestamp":  # a captured request sent again ten minutes later
            response = post_cti(client, cti_call(), timestamp=int(time.time()) - 600)
        else:
            response = client.post(
                URL, data=json.dumps(cti_call()), content_type="application/json"
            )
    assert response.status_code == status
    assert callbacks == []
    assert InboundEvent.objects.count() == 0
    assert PhoneCall.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_signature_for_another_body_is_refused(django_capture_on_commit_callbacks):
    stamp = str(int(time.time()))
    other = cti_signature(stamp, json.dumps(cti_call("c-other")).encode(), CTI_SECRET)
    response = post_cti(Client(), cti_call(), timestamp=int(stamp), signature=other)
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"direction": "sideways"}, "direction"),
        ({"recording_url": "http://insecure.example/rec.mp3"}, "recording_url"),
        ({"started_at": "2026-12-01T09:00:00"}, "started_at"),  # no timezone
        ({"call_id": ""}, "call_id"),
        ({"surprise": 1}, "surprise"),
        ({"ended_at": "2026-11-30T09:00:00Z"}, "ended_at"),
    ],
)
def test_invalid_json_is_a_clear_400_and_nothing_is_stored(change, field):
    response = post_cti(Client(), cti_call(**change))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_request"
    assert field in body["detail"]
    assert InboundEvent.objects.count() == 0
    assert PhoneCall.objects.count() == 0


def test_not_json_is_a_400():
    response = post_cti(Client(), b"call_id=1")
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_a_duplicate_status_callback_is_stored_once(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_cti(client, cti_call())
        second = post_cti(client, cti_call())
    assert (first.status_code, second.status_code) == (200, 200)
    assert InboundEvent.objects.count() == 1
    assert PhoneCall.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=TimelineKind.CALL).count() == 1
    assert Message.objects.filter(kind=MessageKind.NOTE).count() == 1


def test_webhook_is_not_found_without_any_phone_secret(settings):
    settings.KEFU_CTI_SECRET = ""
    settings.KEFU_TWILIO_AUTH_TOKEN = ""
    assert post_cti(Client(), cti_call()).status_code == 404
    assert InboundEvent.objects.count() == 0


# --- Twilio ---------------------------------------------------------------------------------


def test_our_twilio_signature_matches_twilios_own_library():
    params = twilio_params(RecordingUrl=RECORDING)
    ours = twilio_signature(PUBLIC + URL, {k: [v] for k, v in params.items()}, TWILIO_TOKEN)
    assert ours == signed_by_twilio(params)
    assert RequestValidator(TWILIO_TOKEN).validate(PUBLIC + URL, params, ours)


def test_twilio_status_callbacks_update_one_call_from_ringing_to_completed(
    django_capture_on_commit_callbacks,
):
    client = Client()
    ringing = twilio_params("ringing", Timestamp="Tue, 01 Dec 2026 09:00:00 +0000")
    completed = twilio_params("completed", RecordingUrl=RECORDING)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_twilio(client, ringing, signed_by_twilio(ringing))
    call = PhoneCall.objects.get()
    assert (first.status_code, call.provider, call.status) == (200, "twilio", "ringing")
    with django_capture_on_commit_callbacks(execute=True):
        second = post_twilio(client, completed, signed_by_twilio(completed))
    assert second.status_code == 200
    assert sorted(InboundEvent.objects.values_list("event_id", flat=True)) == [
        f"twilio:{CALL_SID}:completed",
        f"twilio:{CALL_SID}:ringing",
    ]
    call = PhoneCall.objects.get()
    assert (call.status, call.duration_seconds, call.recording_url) == ("completed", 187, RECORDING)
    assert call.started_at.isoformat() == "2026-12-01T09:00:00+00:00"
    assert call.ended_at.isoformat() == "2026-12-01T09:03:17+00:00"
    assert TimelineEntry.objects.filter(kind=TimelineKind.CALL).count() == 1
    assert Conversation.objects.count() == 1
    assert not Callback.objects.exists()  # answered
    updated = AuditEntry.objects.get(action="phone_call.updated")
    assert updated.data["status"] == "completed"
    assert "recording_url" in updated.data["changed"]


def test_a_late_ringing_callback_does_not_undo_completed(django_capture_on_commit_callbacks):
    client = Client()
    completed = twilio_params("completed")
    ringing = twilio_params("ringing")
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, completed, signed_by_twilio(completed))
        post_twilio(client, ringing, signed_by_twilio(ringing))
    assert PhoneCall.objects.get().status == "completed"


@pytest.mark.parametrize("attack", ["tampered", "request host", "other token"])
def test_twilio_requests_with_a_wrong_signature_are_refused(attack):
    params = twilio_params()
    if attack == "tampered":  # signed, then the number changed on the way
        signature = signed_by_twilio(params)
        params["From"] = "+8613800138000"
    elif attack == "request host":  # signed for the host Django sees, not the public URL
        signature = signed_by_twilio(params, url="http://testserver" + URL)
    else:
        signature = RequestValidator("someone-elses-token").compute_signature(PUBLIC + URL, params)
    assert post_twilio(Client(), params, signature).status_code == 403
    assert InboundEvent.objects.count() == 0


def test_twilio_form_without_a_call_sid_is_a_400():
    params = twilio_params()
    del params["CallSid"]
    response = post_twilio(Client(), params, signed_by_twilio(params))
    assert response.status_code == 400
    assert "CallSid" in response.json()["detail"]
    assert InboundEvent.objects.count() == 0


def test_a_withheld_caller_is_ignored(django_capture_on_commit_callbacks):
    params = twilio_params("no-answer", From="anonymous")
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(Client(), params, signed_by_twilio(params))
    event = InboundEvent.objects.get()
    assert (event.state, event.ignored_reason) == (InboundState.IGNORED, "caller id withheld")
    assert not PhoneCall.objects.exists()


# --- matching callers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "region"),
    [
        ("+1 (415) 555-2671", ""),
        ("+1-415-555-2671", ""),
        ("(415) 555 2671", "US"),
        ("001 415 555 2671", "CN"),
    ],
)
def test_caller_is_matched_however_the_number_was_stored(
    stored, region, settings, django_capture_on_commit_callbacks
):
    settings.KEFU_PHONE_DEFAULT_REGION = region
    customer = Contact.objects.create(email="li@example.com", phone=stored)
    assert customer.phone_e164 == "+14155552671"
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call(**{"from": "+1 415 555 2671"}))
    assert PhoneCall.objects.get().contact == customer
    assert Contact.objects.count() == 1


def test_an_unknown_number_gets_a_new_contact(django_capture_on_commit_callbacks):
    Contact.objects.create(email="other@example.com", phone="+8613800138000")
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call())
    call = PhoneCall.objects.get()
    assert call.contact.phone == "+14155552671"
    assert call.contact.email is None
    assert AuditEntry.objects.filter(action="contact.created_from_call").count() == 1


def test_an_outbound_call_is_matched_on_the_number_called(django_capture_on_commit_callbacks):
    customer = Contact.objects.create(email="li@example.com", phone="+8613800138000")
    payload = cti_call(direction="outbound", to="+86 138 0013 8000", **{"from": "+442079460958"})
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), payload)
    assert PhoneCall.objects.get().contact == customer


def test_calls_join_the_open_phone_conversation(agent_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call("c-1"))
        post_cti(Client(), cti_call("c-2", notes=""))
    assert Conversation.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=TimelineKind.CALL).count() == 2


# --- missed calls -----------------------------------------------------------------------------


def test_a_missed_call_becomes_one_callback_task(agent_a, django_capture_on_commit_callbacks):
    customer = Contact.objects.create(email="li@example.com", phone="+14155552671")
    missed = cti_call(
        "c-9", status="no-answer", answered_at=None, ended_at=None, recording_url="", notes=""
    )
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(client, missed)
        post_cti(client, missed)  # a redelivery
        post_cti(client, {**missed, "status": "voicemail"})  # another callback of the call
    callback = Callback.objects.get()
    assert (callback.contact, callback.phone) == (customer, "+14155552671")
    assert (callback.status, callback.source, callback.seat) == (
        CallbackStatus.REQUESTED,
        CallbackSource.MISSED_CALL,
        None,
    )
    assert callback.slot_start.isoformat() == "2026-12-01T09:00:00+00:00"
    call = PhoneCall.objects.get()
    assert (call.missed, call.callback) == (True, callback)
    assert AuditEntry.objects.filter(action="callback.missed_call").count() == 1
    # A second missed call links to the open callback instead of making another.
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(client, {**missed, "call_id": "c-10"})
    assert Callback.objects.count() == 1
    assert PhoneCall.objects.get(call_id="c-10").callback == callback
    # The agents' queue shows it as a missed call.
    client.force_login(agent_a)
    queue = client.get(reverse("agent_callbacks:queue")).content.decode()
    assert "Missed call" in queue
    assert reverse("agent_callbacks:detail", args=[callback.pk]) in queue


def test_answered_false_counts_as_missed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call(answered=False, answered_at=None, notes=""))
    assert PhoneCall.objects.get().missed is True
    assert Callback.objects.count() == 1


def test_a_missed_call_links_to_a_booked_callback(customer_1, django_capture_on_commit_callbacks):
    from kefu.callbacks.tests.factories import open_callback

    customer = customer_1.contact
    customer.phone = "+14155552671"
    customer.save(update_fields=["phone"])
    booked = open_callback(customer_1)
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call(status="busy", answered_at=None, notes=""))
    assert Callback.objects.count() == 1
    assert PhoneCall.objects.get().callback == booked


def test_an_unanswered_outbound_call_is_no_callback_task(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call(direction="outbound", status="no-answer", answered_at=None))
    assert PhoneCall.objects.get().missed is False
    assert not Callback.objects.exists()


# --- failures, replay, secrets, privacy -----------------------------------------------------


def test_an_unreadable_number_fails_is_listed_and_replays_after_the_fix(
    settings, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_cti(Client(), cti_call(**{"from": "020 7946 0958"}))
    assert response.status_code == 200  # stored first: the problem shows in processing
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == (InboundState.FAILED, 1)
    assert "KEFU_PHONE_DEFAULT_REGION" in event.last_error
    assert not PhoneCall.objects.exists()
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("backoffice:inbound:list")).content.decode()
    assert "KEFU_PHONE_DEFAULT_REGION" in page
    assert reverse("backoffice:inbound:replay", args=[event.pk]) in page
    settings.KEFU_PHONE_DEFAULT_REGION = "GB"  # the fix
    with django_capture_on_commit_callbacks(execute=True):
        replay = client.post(reverse("backoffice:inbound:replay", args=[event.pk]))
    assert replay.status_code == 302
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    assert PhoneCall.objects.get().customer_number == "+442079460958"


def test_secrets_never_reach_logs_audit_or_stored_headers(
    caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    client = Client()
    params = twilio_params()
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(client, cti_call())
        post_cti(client, cti_call("c-bad"), secret="wrong")
        post_twilio(client, params, signed_by_twilio(params))
        post_twilio(client, params, "bm90IGl0")
    assert InboundEvent.objects.count() == 2
    for secret in (CTI_SECRET, TWILIO_TOKEN):
        assert secret not in caplog.text
        for entry in AuditEntry.objects.all():
            assert secret not in json.dumps(entry.data)
        for event in InboundEvent.objects.all():
            assert secret not in json.dumps(event.headers)
            assert secret not in event.last_error
    for event in InboundEvent.objects.all():
        assert "x-kefu-signature" not in event.headers
        assert "x-twilio-signature" not in event.headers


def test_the_customer_portal_never_shows_the_recording_or_the_notes(
    customer_1, django_capture_on_commit_callbacks
):
    contact = customer_1.contact
    contact.phone = "+14155552671"
    contact.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call())
    conversation = Conversation.objects.get()
    assert conversation.contact == contact
    client = Client()
    client.force_login(customer_1)
    page = client.get(reverse("portal:request_detail", args=[conversation.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phone call with our support team." in html
    assert RECORDING not in html
    assert "recordings" not in html.lower()
    assert "delayed BTC withdrawal" not in html


def test_agents_edit_call_notes_and_it_is_audited(
    agent_a, agent_b, team_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call())
    call = PhoneCall.objects.get()
    Conversation.objects.filter(pk=call.conversation_id).update(team=team_a)
    url = reverse("workspace:call_notes", args=[call.conversation_id, call.pk])
    outsider = Client()
    outsider.force_login(agent_b)  # another team: cannot see the conversation
    assert outsider.post(url, {"notes": "hijack"}).status_code == 404
    client = Client()
    client.force_login(agent_a)
    response = client.post(url, {"notes": "Customer will send the TX id by email."})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.notes == "Customer will send the TX id by email."
    audit = AuditEntry.objects.get(action="phone_call.notes_edited")
    assert audit.actor_ref == f"agent:{agent_a.pk}"
    assert "TX id" not in json.dumps(audit.data)
    page = client.get(reverse("workspace:conversation", args=[call.conversation_id]))
    assert "Customer will send the TX id by email." in page.content.decode()


def test_an_agent_reply_on_a_phone_conversation_goes_by_email(
    agent_a, actor_of, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call(agent=""))
    conversation = Conversation.objects.get()
    conversation_services.message_reply(
        conversation=conversation, body="We checked your withdrawal.", actor=actor_of(agent_a)
    )
    assert not OutboundDelivery.objects.exists()


def test_a_call_reopens_a_solved_phone_conversation_and_a_closed_one_is_not_joined(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call("c-1", notes=""))
    first = Conversation.objects.get()
    Conversation.objects.filter(pk=first.pk).update(status="solved")
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call("c-2", notes=""))
    first.refresh_from_db()
    assert first.status == "open"
    Conversation.objects.filter(pk=first.pk).update(status="closed")
    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call("c-3", notes=""))
    assert Conversation.objects.count() == 2
    assert PhoneCall.objects.get(call_id="c-3").conversation_id != first.pk


def test_erasing_the_customer_forgets_their_number_on_calls(
    admin_user, actor_of, django_capture_on_commit_callbacks
):
    from kefu.inbox.inbound import channel_data_erase_for_contact

    with django_capture_on_commit_callbacks(execute=True):
        post_cti(Client(), cti_call())
    call = PhoneCall.objects.get()
    contact = call.contact
    channel_data_erase_for_contact(
        contact=contact, conversation_ids=[call.conversation_id], actor=actor_of(admin_user)
    )
    call.refresh_from_db()
    assert (call.customer_number, call.from_number, call.recording_url, call.notes) == (
        "",
        "",
        "",
        "",
    )
    assert RECORDING not in bytes(InboundEvent.objects.get().payload).decode()
    contact.phone = ""
    contact.save(update_fields=["phone"])
    contact.refresh_from_db()
    assert contact.phone_e164 == ""
