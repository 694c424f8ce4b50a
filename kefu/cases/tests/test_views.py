"""The public request page and the reviewers' pages, over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.cases import views
from kefu.cases.models import CaseState, VerificationCase
from kefu.exchange.connector import AccountStatus
from kefu.exchange.models import DemoAccount

from .conftest import LOCKED, photo

SUBMIT = "cases:submit"


def _form(**overrides):
    data = {
        "kind": "unlock",
        "email": LOCKED.email,
        "phone": "",
        "description": "I typed the wrong password too often.",
        "id_document": SimpleUploadedFile("id.jpg", photo(), content_type="image/jpeg"),
        "selfie": SimpleUploadedFile("me.png", photo("PNG"), content_type="image/png"),
        "lang": "en",
    }
    data.update(overrides)
    return data


def test_the_form_is_public_and_bilingual(client, db):
    response = client.get(reverse(SUBMIT))
    assert response.status_code == 200
    assert b"Photo of your identity document" in response.content
    response = client.get(reverse(SUBMIT) + "?lang=zh-hans")
    assert response.status_code == 200
    assert "身份证件" in response.content.decode()


def test_a_link_can_preselect_what_is_needed(client, db):
    page = client.get(reverse(SUBMIT) + "?kind=reset_2fa").content.decode()
    assert 'value="reset_2fa" required id="id_kind_1" checked' in page
    page = client.get(reverse(SUBMIT) + "?kind=bogus").content.decode()
    assert "checked" not in page


def test_submitting_shows_the_reference(client, locked_contact):
    response = client.post(reverse(SUBMIT), _form())
    assert response.status_code == 200
    case = VerificationCase.objects.get()
    assert case.ref.encode() in response.content
    assert case.contact == locked_contact
    # The page does not say whether the address belongs to an account.
    other = client.post(reverse(SUBMIT), _form(email="nobody@example.com"))
    assert other.status_code == 200
    text = response.content.decode().replace(case.ref, "REF")
    assert text == other.content.decode().replace(
        VerificationCase.objects.latest("pk").ref, "REF"
    ).replace('value="nobody@example.com"', f'value="{LOCKED.email}"')


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"id_document": SimpleUploadedFile("id.jpg", b"%PDF-1.5 not an image", "image/jpeg")},
            b"JPEG, PNG or WebP",
        ),
        (
            {"selfie": SimpleUploadedFile("me.jpg", photo(exif=False)[:700], "image/jpeg")},
            b"damaged or incomplete",
        ),
        ({"email": "", "phone": ""}, b"email address or phone number"),
        ({"kind": "other"}, b"Select a valid choice"),
    ],
)
def test_bad_requests_get_a_clear_error_and_store_nothing(
    client, locked_contact, overrides, message
):
    response = client.post(reverse(SUBMIT), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content
    assert VerificationCase.objects.count() == 0


def test_a_50_mb_upload_is_refused(client, locked_contact):
    huge = SimpleUploadedFile("id.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (50 * 2**20), "image/jpeg")
    response = client.post(reverse(SUBMIT), _form(id_document=huge))
    assert response.status_code == 400
    assert b"larger than 10 MB" in response.content
    assert VerificationCase.objects.count() == 0


def test_requests_are_rate_limited_per_ip(client, locked_contact):
    for _ in range(views.SUBMIT_LIMIT):
        assert client.post(reverse(SUBMIT), _form()).status_code == 200
    response = client.post(reverse(SUBMIT), _form())
    assert response.status_code == 429
    assert response["Retry-After"]
    assert VerificationCase.objects.count() == views.SUBMIT_LIMIT


def _act(client, case, action, **data):
    case.refresh_from_db()
    return client.post(
        reverse("cases:act", args=[case.pk, action]), {"version": case.version, **data}
    )


def test_two_people_unlock_through_the_pages(client, locked_contact, agent_a, senior):
    client.post(reverse(SUBMIT), _form())
    case = VerificationCase.objects.get()
    client.force_login(agent_a)
    queue = client.get(reverse("cases:queue"))
    assert case.ref.encode() in queue.content
    detail = client.get(reverse("cases:detail", args=[case.pk]))
    assert LOCKED.name.encode() in detail.content  # the KYC name from the exchange
    assert _act(client, case, "take").status_code == 302
    assert (
        _act(client, case, "prepare", check_document_name="on", check_selfie="on").status_code
        == 400
    )
    response = _act(
        client, case, "prepare", check_document_name="on", check_selfie="on",
        check_security_events="on", risk_notes="ok",
    )  # fmt: skip
    assert response.status_code == 302
    refused = _act(client, case, "approve")
    assert refused.status_code == 400
    assert b"senior agent or a supervisor" in refused.content
    client.force_login(senior)
    assert _act(client, case, "approve").status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert DemoAccount.objects.get(uid=LOCKED.uid).status == AccountStatus.ACTIVE


def test_a_stale_form_is_refused(client, locked_contact, submit, agent_a):
    case = submit()
    client.force_login(agent_a)
    url = reverse("cases:act", args=[case.pk, "take"])
    assert client.post(url, {"version": case.version}).status_code == 302
    again = client.post(url, {"version": case.version})
    assert again.status_code == 400
    assert b"changed since you opened it" in again.content
    assert AuditEntry.objects.filter(action="case.taken").count() == 1


def test_documents_are_served_privately_and_audited(client, locked_contact, submit, agent_a):
    case = submit()
    client.force_login(agent_a)
    response = client.get(reverse("cases:document", args=[case.pk, "id_document"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response.content[:3] == b"\xff\xd8\xff"
    assert AuditEntry.objects.filter(action="case.document_viewed").count() == 1
    assert client.get(reverse("cases:document", args=[case.pk, "passport"])).status_code == 404


def test_overdue_cases_are_flagged(client, locked_contact, submit, agent_a):
    from datetime import timedelta

    from kefu.core import clock

    old, new = submit(), submit()
    VerificationCase.objects.filter(pk=old.pk).update(created_at=clock.now() - timedelta(hours=30))
    client.force_login(agent_a)
    page = client.get(reverse("cases:queue")).content.decode()
    assert page.count("data-overdue") == 1
    assert page.index(old.ref) < page.index(new.ref)


def test_customers_never_see_the_queue(client, customer_1, submit, locked_contact):
    case = submit()
    client.force_login(customer_1)
    assert client.get(reverse("cases:queue")).status_code == 404
    assert client.get(reverse("cases:document", args=[case.pk, "selfie"])).status_code == 404
