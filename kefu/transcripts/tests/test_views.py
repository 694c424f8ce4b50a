"""The transcript pages over HTTP: downloads for customers and agents (who may have which copy),
the public verify page and the published key."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.transcripts import keys
from kefu.transcripts.verify import verify_bytes

from .conftest import NOTE_TEXT

BACKEND = "django.contrib.auth.backends.ModelBackend"
pytestmark = pytest.mark.django_db


def _portal_url(conversation, fmt: str) -> str:
    return reverse("portal:request_transcript", args=[conversation.pk, fmt])


def _agent_url(conversation, fmt: str, copy: str = "customer") -> str:
    return reverse("workspace:transcript", args=[conversation.pk, fmt]) + f"?copy={copy}"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_customer_downloads_a_signed_copy_of_their_own_request(
    client, full_conversation, customer_1, fmt
):
    client.force_login(customer_1, backend=BACKEND)
    response = client.get(_portal_url(full_conversation, fmt))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "private, no-store"
    result = verify_bytes(response.content)
    assert result.valid
    assert result.audience == "customer"
    entry = AuditEntry.objects.filter(action="transcript.export").get()
    assert entry.object_id == str(full_conversation.pk)
    assert entry.data["format"] == fmt
    assert entry.data["audience"] == "customer"


def test_another_customer_gets_404_and_nothing_is_audited(client, full_conversation, customer_2):
    client.force_login(customer_2, backend=BACKEND)
    response = client.get(_portal_url(full_conversation, "pdf"))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="transcript.export").exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, full_conversation):
    response = client.get(_portal_url(full_conversation, "json"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_an_unknown_format_is_404(client, full_conversation, customer_1):
    client.force_login(customer_1, backend=BACKEND)
    assert client.get(_portal_url(full_conversation, "docx")).status_code == 404


def test_the_request_page_links_both_downloads(client, full_conversation, customer_1):
    client.force_login(customer_1, backend=BACKEND)
    page = client.get(reverse("portal:request_detail", args=[full_conversation.pk]))
    html = page.content.decode()
    assert _portal_url(full_conversation, "pdf") in html
    assert _portal_url(full_conversation, "json") in html


def test_an_agent_gets_the_internal_copy_with_notes(client, full_conversation, agent_a):
    client.force_login(agent_a, backend=BACKEND)
    response = client.get(_agent_url(full_conversation, "json", "internal"))
    assert response.status_code == 200
    assert NOTE_TEXT in response.content.decode()
    assert verify_bytes(response.content).audience == "internal"


def test_the_agents_customer_copy_has_no_notes(client, full_conversation, agent_a):
    client.force_login(agent_a, backend=BACKEND)
    response = client.get(_agent_url(full_conversation, "json", "customer"))
    assert response.status_code == 200
    assert NOTE_TEXT not in response.content.decode()


def test_an_agent_of_another_team_gets_404(client, full_conversation, agent_b):
    client.force_login(agent_b, backend=BACKEND)
    assert client.get(_agent_url(full_conversation, "pdf")).status_code == 404


def test_a_customer_cannot_use_the_agent_download(client, full_conversation, customer_1):
    client.force_login(customer_1, backend=BACKEND)
    response = client.get(_agent_url(full_conversation, "json", "internal"))
    assert response.status_code in (302, 403, 404)
    assert NOTE_TEXT not in response.content.decode()


def test_an_unknown_copy_is_404(client, full_conversation, agent_a):
    client.force_login(agent_a, backend=BACKEND)
    assert client.get(_agent_url(full_conversation, "json", "everything")).status_code == 404


def test_downloads_are_rate_limited_per_user(client, full_conversation, customer_1, monkeypatch):
    monkeypatch.setattr("kefu.transcripts.views.EXPORT_LIMIT", 2)
    client.force_login(customer_1, backend=BACKEND)
    statuses = [client.get(_portal_url(full_conversation, "json")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_the_verify_page_says_a_genuine_file_is_authentic(
    client, full_conversation, customer_1, fmt
):
    client.force_login(customer_1, backend=BACKEND)
    content = client.get(_portal_url(full_conversation, fmt)).content
    client.logout()
    upload = SimpleUploadedFile(f"t.{fmt}", content)
    response = client.post(reverse("transcripts:verify"), {"file": upload})
    assert response.status_code == 200
    assert "Authentic and unaltered" in response.content.decode()


def test_the_verify_page_says_an_edited_file_is_not_authentic(
    client, full_conversation, customer_1
):
    client.force_login(customer_1, backend=BACKEND)
    content = client.get(_portal_url(full_conversation, "json")).content
    client.logout()
    edited = content.replace("谢谢".encode(), "再见".encode())
    assert edited != content
    response = client.post(
        reverse("transcripts:verify"), {"file": SimpleUploadedFile("t.json", edited)}
    )
    assert response.status_code == 200
    assert "Not authentic" in response.content.decode()


def test_the_verify_page_answers_in_chinese(client, full_conversation, customer_1):
    client.force_login(customer_1, backend=BACKEND)
    content = client.get(_portal_url(full_conversation, "json")).content
    client.logout()
    response = client.post(
        reverse("transcripts:verify"),
        {"file": SimpleUploadedFile("t.json", content)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "真实且未被篡改" in html
    assert "Authentic and unaltered" not in html


def test_the_verify_page_without_a_file_is_a_400_with_the_error(client):
    response = client.post(reverse("transcripts:verify"), {})
    assert response.status_code == 400
    assert "Choose the transcript file to check." in response.content.decode()


def test_the_verify_page_is_rate_limited(client, monkeypatch):
    monkeypatch.setattr("kefu.transcripts.views.VERIFY_LIMIT", 1)
    first = client.post(reverse("transcripts:verify"), {"file": SimpleUploadedFile("a.txt", b"x")})
    second = client.post(reverse("transcripts:verify"), {"file": SimpleUploadedFile("a.txt", b"x")})
    assert first.status_code == 200
    assert second.status_code == 429


def test_the_public_key_is_published_as_pem_and_json(client):
    current = keys.signing_key().public
    pem = client.get(reverse("transcripts:public_key_pem"))
    assert pem.status_code == 200
    assert pem.content.decode() == current.pem
    data = json.loads(client.get(reverse("transcripts:public_key_json")).content)
    assert data["alg"] == "Ed25519"
    assert data["key_id"] == current.key_id
    assert data["public_key_pem"] == current.pem


def test_the_contact_page_links_the_key_and_the_verify_page(client):
    html = client.get(reverse("helpcenter:contact", args=["en"])).content.decode()
    assert reverse("transcripts:verify") in html
    assert keys.signing_key().public.key_id in html
