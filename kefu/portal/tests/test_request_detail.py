from __future__ import annotations

from django.urls import reverse

from kefu.accounts.services import actor_for_user
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, Status
from kefu.conversations.services import message_reply, note_add
from kefu.core.actor import Actor, ActorKind
from kefu.testing.factories import ConversationFactory

from .samples import PNG


def _detail(client, conversation):
    response = client.get(reverse("portal:request_detail", args=[conversation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_detail_shows_public_replies_with_author_labels(client_1, agent_a, conversation_a):
    agent_a.display_name = "Mei from Support"
    agent_a.save(update_fields=["display_name"])
    message_reply(
        conversation=conversation_a,
        body="We are checking the **blockchain**.",
        actor=actor_for_user(agent_a),
    )
    message_reply(
        conversation=conversation_a,
        body="Your deposit is confirmed.",
        actor=Actor(kind=ActorKind.ASSISTANT, label="assistant"),
    )
    content = _detail(client_1, conversation_a)
    assert conversation_a.reference in content
    assert "My USDT withdrawal has not arrived after two hours." in content
    assert "We are checking the <strong>blockchain</strong>." in content
    assert "Your deposit is confirmed." in content
    assert "<strong>You</strong>" in content
    assert "<strong>Mei from Support</strong>" in content
    assert "<strong>Virtual assistant</strong>" in content
    assert agent_a.email not in content


def test_detail_never_shows_internal_notes(client_1, agent_a, conversation_a):
    note_add(
        conversation=conversation_a,
        body="Customer looks like a phishing victim",
        attachments=[UploadedFile(filename="internal-evidence.png", content=PNG)],
        actor=actor_for_user(agent_a),
    )
    response = client_1.get(reverse("portal:request_detail", args=[conversation_a.pk]))
    content = response.content.decode()
    assert "phishing victim" not in content
    assert "internal-evidence.png" not in content
    assert all(not m.is_note for m in response.context["messages_list"])
    assert len(response.context["messages_list"]) == 1


def test_detail_escapes_customer_html(client_1, customer_1):
    conversation = ConversationFactory(
        contact=customer_1.contact, body="<script>alert(1)</script> <b>bold</b>"
    )
    content = _detail(client_1, conversation)
    assert "<script>alert(1)</script>" not in content
    assert "<b>bold</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_detail_lists_attachments_as_download_links(client_1, customer_1, conversation_a):
    message = message_reply(
        conversation=conversation_a,
        body="Screenshot attached",
        attachments=[UploadedFile(filename="proof.png", content=PNG)],
        actor=actor_for_user(customer_1),
    )
    attachment = message.attachments.get()
    content = _detail(client_1, conversation_a)
    url = reverse("portal:attachment_download", args=[conversation_a.pk, attachment.pk])
    assert f'<a href="{url}" download>proof.png</a>' in content


def test_open_request_shows_reply_form_and_close_button(client_1, conversation_a):
    content = _detail(client_1, conversation_a)
    assert f'action="{reverse("portal:request_reply", args=[conversation_a.pk])}"' in content
    assert f'action="{reverse("portal:request_close", args=[conversation_a.pk])}"' in content
    assert reverse("portal:request_reopen", args=[conversation_a.pk]) not in content
    assert 'for="id_body"' in content


def test_closed_request_shows_reopen_instead_of_reply_form(client_1, conversation_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.CLOSED)
    content = _detail(client_1, conversation_a)
    assert reverse("portal:request_reply", args=[conversation_a.pk]) not in content
    assert reverse("portal:request_close", args=[conversation_a.pk]) not in content
    assert f'action="{reverse("portal:request_reopen", args=[conversation_a.pk])}"' in content
    assert "This request is closed." in content


def test_solved_request_offers_reply_and_reopen(client_1, conversation_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.SOLVED)
    content = _detail(client_1, conversation_a)
    assert reverse("portal:request_reply", args=[conversation_a.pk]) in content
    assert reverse("portal:request_reopen", args=[conversation_a.pk]) in content


def test_detail_query_count_does_not_grow_with_messages(
    client_1, customer_1, agent_a, conversation_a, django_assert_num_queries
):
    url = reverse("portal:request_detail", args=[conversation_a.pk])
    client_1.get(url)
    # 11: two of them are the escalation panel (latest request, routing policy), one the open
    # satisfaction survey (kefu.csat), one the unread community notifications in the nav.
    with django_assert_num_queries(11) as first:
        client_1.get(url)
    for i in range(3):
        message_reply(
            conversation=conversation_a,
            body=f"update {i}",
            attachments=[UploadedFile(filename=f"u{i}.png", content=PNG)],
            actor=actor_for_user(agent_a),
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client_1.get(url)
