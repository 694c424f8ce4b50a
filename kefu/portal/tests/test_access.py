"""Who may open which portal page: anonymous, staff, and the other customer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.services import actor_for_user
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, Status
from kefu.conversations.services import conversation_set_status, message_reply

from .samples import PNG, upload


def _customer_urls(pk: int) -> list[str]:
    return [
        reverse("portal:request_list"),
        reverse("portal:request_new"),
        reverse("portal:request_detail", args=[pk]),
        reverse("portal:account"),
    ]


def test_anonymous_is_sent_to_login(conversation_a):
    client = Client()
    for url in _customer_urls(conversation_a.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_anonymous_post_changes_nothing(conversation_a, counts):
    before = counts()
    response = Client().post(reverse("portal:request_close", args=[conversation_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert counts() == before
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.NEW


def test_staff_on_customer_pages_are_sent_to_workspace(agent_client, conversation_a):
    for url in _customer_urls(conversation_a.pk):
        response = agent_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/agent/"


def test_customer_cannot_read_other_customers_request(client_1, conversation_b):
    response = client_1.get(reverse("portal:request_detail", args=[conversation_b.pk]))
    assert response.status_code == 404
    assert conversation_b.subject not in response.content.decode()


def test_missing_request_is_404_like_a_foreign_one(client_1, conversation_a):
    response = client_1.get(reverse("portal:request_detail", args=[conversation_a.pk + 1000]))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["request_reply", "request_close", "request_reopen"])
def test_customer_cannot_write_to_other_customers_request(client_1, conversation_b, counts, action):
    before = counts()
    response = client_1.post(
        reverse(f"portal:{action}", args=[conversation_b.pk]),
        {"body": "I am not the owner", "attachments": [upload("a.png", PNG)]},
    )
    assert response.status_code == 404
    assert counts() == before
    conversation_b.refresh_from_db()
    assert conversation_b.status == Status.NEW
    assert conversation_b.messages.count() == 1


def test_customer_cannot_download_other_customers_attachment(
    client_1, customer_2, conversation_a, conversation_b
):
    message = message_reply(
        conversation=conversation_b,
        body="see screenshot",
        attachments=[UploadedFile(filename="proof.png", content=PNG)],
        actor=actor_for_user(customer_2),
    )
    attachment = message.attachments.get()
    # Under the other customer's request, and smuggled under one's own request id.
    for conversation_pk in (conversation_b.pk, conversation_a.pk):
        url = reverse("portal:attachment_download", args=[conversation_pk, attachment.pk])
        assert client_1.get(url).status_code == 404


def test_other_customer_closing_is_invisible_to_owner(client_2, customer_1, conversation_a):
    conversation_set_status(
        conversation=conversation_a, status=Status.CLOSED, actor=actor_for_user(customer_1)
    )
    response = client_2.post(reverse("portal:request_reopen", args=[conversation_a.pk]))
    assert response.status_code == 404
    assert Conversation.objects.get(pk=conversation_a.pk).status == Status.CLOSED
