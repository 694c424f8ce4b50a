from __future__ import annotations

from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations.models import AuthorKind, Channel, Conversation, Status
from kefu.portal.views import support_requests

from .samples import PDF, PNG, TEXT, upload

URL = reverse("portal:request_new")


def _data(**overrides):
    data = {
        "category": "withdrawal",
        "subject": "USDT withdrawal stuck",
        "description": "I withdrew 100 USDT **two hours** ago and it has not arrived.",
        "tx_id": "",
        "asset": "",
        "network": "",
    }
    data.update(overrides)
    return data


def test_new_request_form_lists_categories_with_labels(client_1):
    response = client_1.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<option value="withdrawal">Withdrawal problem</option>' in content
    for field in ("category", "subject", "description", "tx_id", "asset", "network", "attachments"):
        assert f'for="id_{field}"' in content
    assert 'enctype="multipart/form-data"' in content
    assert "multiple" in content


def test_customer_creates_request_without_attachments(client_1, customer_1):
    response = client_1.post(URL, _data(tx_id="0xabc123", asset="usdt", network="TRC20"))
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_detail", args=[conversation.pk])
    assert conversation.contact == customer_1.contact
    assert conversation.subject == "USDT withdrawal stuck"
    assert conversation.category == "withdrawal"
    assert conversation.channel == Channel.WEB
    assert conversation.status == Status.NEW
    assert (conversation.tx_id, conversation.asset, conversation.network) == (
        "0xabc123",
        "USDT",
        "TRC20",
    )
    message = conversation.messages.get()
    assert message.author_kind == AuthorKind.CUSTOMER
    assert message.author_user == customer_1
    assert message.body == "I withdrew 100 USDT **two hours** ago and it has not arrived."
    assert message.attachments.count() == 0
    entry = AuditEntry.objects.get(action="conversation.created")
    assert entry.actor_ref == f"customer:{customer_1.pk}"
    assert entry.object_id == str(conversation.pk)
    page = client_1.get(response["Location"]).content.decode()
    assert f"Your request {conversation.reference} has been received." in page


def test_customer_creates_request_with_png_and_pdf(client_1):
    response = client_1.post(
        URL,
        {
            **_data(),
            "attachments": [
                upload("screenshot.png", PNG, "image/png"),
                upload("statement.pdf", PDF, "application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    attachments = Conversation.objects.get().messages.get().attachments.order_by("filename")
    assert [(a.filename, a.content_type, a.size) for a in attachments] == [
        ("screenshot.png", "image/png", len(PNG)),
        ("statement.pdf", "application/pdf", len(PDF)),
    ]


def test_text_disguised_as_png_is_refused_and_nothing_is_created(client_1, counts):
    before = counts()
    response = client_1.post(
        URL,
        {
            **_data(),
            "attachments": [
                upload("screenshot.png", PNG, "image/png"),
                upload("notes.png", TEXT, "image/png"),
            ],
        },
    )
    assert response.status_code == 200
    assert (
        "notes.png is not an allowed file type (PNG, JPEG, GIF, WebP or PDF)."
        in response.content.decode()
    )
    assert counts() == before
    # The rest of the form is kept so the customer only has to fix the file.
    assert 'value="USDT withdrawal stuck"' in response.content.decode()


def test_too_many_attachments_are_refused(client_1, counts, settings):
    settings.KEFU_ATTACHMENTS_PER_MESSAGE = 2
    before = counts()
    response = client_1.post(
        URL,
        {
            **_data(),
            "attachments": [upload(f"p{i}.png", PNG) for i in range(3)],
        },
    )
    assert response.status_code == 200
    assert "Attach at most 2 files." in response.content.decode()
    assert counts() == before


def test_oversized_attachment_is_refused_before_reading(client_1, counts, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 2 * 2**20
    before = counts()
    big = PNG + b"\x00" * (2 * 2**20)
    response = client_1.post(URL, {**_data(), "attachments": [upload("big.png", big)]})
    assert response.status_code == 200
    assert "big.png is larger than 2 MB." in response.content.decode()
    assert counts() == before


def test_missing_fields_show_errors_and_create_nothing(client_1, counts):
    before = counts()
    response = client_1.post(URL, _data(category="", subject="", description=""))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"category", "subject", "description"}
    assert counts() == before


def test_service_validation_error_is_shown_on_the_field(client_1, counts):
    before = counts()
    response = client_1.post(URL, _data(asset="US DT"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"asset": ["Use the asset's ticker, e.g. USDT."]}
    assert counts() == before


def test_creating_requests_is_rate_limited_per_customer(client_1, client_2, counts, monkeypatch):
    monkeypatch.setattr(support_requests, "CREATE_LIMIT", 2)
    for _ in range(2):
        assert client_1.post(URL, _data()).status_code == 302
    before = counts()
    response = client_1.post(URL, _data())
    assert response.status_code == 429
    assert "Please wait a while and try again." in response.content.decode()
    assert counts() == before
    # Another customer has their own allowance.
    assert client_2.post(URL, _data()).status_code == 302


def test_request_language_follows_the_customer(client_1, customer_1):
    customer_1.language = "zh-hans"
    customer_1.save(update_fields=["language"])
    client_1.post(URL, _data())
    assert Conversation.objects.get().language == "zh-hans"
