"""REST API: /customers (list, create, read, update)."""

from __future__ import annotations

import pytest

from kefu.accounts.tests.apikit import Api, assert_error, iso, make_key
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.core.models import IdempotencyRecord
from kefu.testing import factories


@pytest.fixture
def key_and_secret(admin_user):
    return make_key(admin_user)


@pytest.fixture
def api(key_and_secret):
    return Api(key_and_secret[1])


def api_audit():
    """Audit rows written by API calls (creating the key writes one as the admin)."""
    return AuditEntry.objects.filter(actor_kind="api")


def _body(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "email": contact.email,
        "uid": contact.uid,
        "name": contact.name,
        "phone": contact.phone,
        "language": contact.language,
        "vip_tier": contact.vip_tier,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


# --- create ---------------------------------------------------------------------------------


def test_create_customer_returns_201_with_the_stored_customer(api, key_and_secret):
    response = api.post(
        "/customers",
        {
            "email": "  Carol@Example.COM ",
            "uid": "U777",
            "name": "Carol",
            "phone": "+65 5555",
            "language": "zh-hans",
            "vip_tier": 2,
        },
    )
    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert (contact.email, contact.uid, contact.name, contact.phone) == (
        "carol@example.com",
        "U777",
        "Carol",
        "+65 5555",
    )
    assert (contact.language, contact.vip_tier) == ("zh-hans", 2)
    assert response.json() == _body(contact)
    audit = api_audit().get()
    assert (audit.action, audit.actor_ref, audit.object_id) == (
        "contact.created",
        f"api:{key_and_secret[0].pk}",
        str(contact.pk),
    )


def test_create_customer_with_only_an_account_id_uses_defaults(api):
    response = api.post("/customers", {"uid": "U1"})
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("email", "uid", "name", "phone", "language", "vip_tier")} == {
        "email": None,
        "uid": "U1",
        "name": "",
        "phone": "",
        "language": "en",
        "vip_tier": 0,
    }


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"email": "a@example.com", "nickname": "x"}, {"nickname": ["Unknown field."]}),
        ({"email": 5}, {"email": ["Input should be a valid string"]}),
        ({"uid": "U1", "vip_tier": "gold"}, {"vip_tier": ["Input should be 0, 1, 2 or 3"]}),
        ({"uid": "U1", "vip_tier": 7}, {"vip_tier": ["Input should be 0, 1, 2 or 3"]}),
        ({"uid": "U1", "language": "fr"}, {"language": ["Input should be 'en' or 'zh-hans'"]}),
        ({"uid": "U1", "name": "x" * 121}, {"name": ["String should have at most 120 characters"]}),
        ({"uid": "x" * 65}, {"uid": ["String should have at most 64 characters"]}),
        ({}, {"email": ["Give an email address or an exchange account id."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    ],
)
def test_create_customer_rejects_bad_input_with_field_errors(api, payload, fields):
    response = api.post("/customers", payload)
    assert_error(response, 422, "validation_failed", fields)
    assert Contact.objects.count() == 0
    assert api_audit().count() == 0


def test_create_customer_with_a_taken_email_is_a_409(api, customer_1):
    response = api.post("/customers", {"email": "ALICE@example.com"})
    assert_error(
        response,
        409,
        "conflict",
        {"email": ["A customer with this email or account id already exists."]},
    )
    assert Contact.objects.count() == 1


def test_create_customer_with_an_idempotency_key_creates_once_and_replays(api):
    first = api.post("/customers", {"email": "dan@example.com"}, idempotency_key="k-1")
    second = api.post("/customers", {"email": "dan@example.com"}, idempotency_key="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


# --- read -----------------------------------------------------------------------------------


def test_get_customer_returns_it_and_audits_the_read(api, key_and_secret, customer_1):
    contact = customer_1.contact
    response = api.get(f"/customers/{contact.pk}")
    assert response.status_code == 200
    assert response.json() == _body(contact)
    audit = api_audit().get()
    assert (audit.action, audit.actor_ref, audit.object_type, audit.object_id) == (
        "contact.viewed",
        f"api:{key_and_secret[0].pk}",
        "contact",
        str(contact.pk),
    )


@pytest.mark.parametrize("customer_id", ["999", "99999999999999999999"])
def test_get_unknown_customer_is_a_404(api, customer_id):
    assert_error(api.get(f"/customers/{customer_id}"), 404, "not_found", {})
    assert api_audit().count() == 0


def test_get_customer_with_a_non_numeric_id_is_a_422(api):
    response = api.get("/customers/abc")
    error = assert_error(response, 422, "validation_failed")
    assert list(error["fields"]) == ["customer_id"]


# --- update ---------------------------------------------------------------------------------


def test_patch_customer_changes_only_the_fields_sent(api, customer_1):
    contact = customer_1.contact
    name = contact.name
    response = api.patch(f"/customers/{contact.pk}", {"vip_tier": 3, "phone": "+1 555"})
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.vip_tier, contact.phone, contact.name, contact.language) == (
        3,
        "+1 555",
        name,
        "en",
    )
    assert response.json() == _body(contact)
    audit = api_audit().get(action="contact.updated")
    assert audit.data == {"vip_tier": "3", "phone": "+1 555"}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"email": "new@example.com"}, {"email": ["Unknown field."]}),
        ({"vip_tier": -1}, {"vip_tier": ["Input should be 0, 1, 2 or 3"]}),
        ({"language": "de"}, {"language": ["Input should be 'en' or 'zh-hans'"]}),
        ({"name": ["list"]}, {"name": ["Input should be a valid string"]}),
    ],
)
def test_patch_customer_rejects_bad_input(api, customer_1, payload, fields):
    contact = customer_1.contact
    response = api.patch(f"/customers/{contact.pk}", payload)
    assert_error(response, 422, "validation_failed", fields)
    assert api_audit().count() == 0
    contact.refresh_from_db()
    assert (contact.vip_tier, contact.language) == (0, "en")


def test_patch_unknown_customer_is_a_404(api):
    assert_error(api.patch("/customers/999", {"name": "X"}), 404, "not_found", {})


# --- list -----------------------------------------------------------------------------------


def test_list_customers_filters_by_exact_email_or_uid(api, customer_1, customer_2):
    by_email = api.get("/customers", {"email": "BOB@example.com"}).json()
    assert by_email == {"items": [_body(customer_2.contact)], "next_cursor": None}
    by_uid = api.get("/customers", {"uid": customer_1.contact.uid}).json()
    assert [c["id"] for c in by_uid["items"]] == [customer_1.contact.pk]
    assert api.get("/customers", {"email": "nobody@example.com"}).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_list_customers_cursor_walks_every_row_once_newest_first(api):
    created = [factories.ContactFactory().pk for _ in range(7)]
    seen: list[int] = []
    params: dict = {"limit": 3}
    pages = 0
    while True:
        body = api.get("/customers", params).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        params = {"limit": 3, "cursor": body["next_cursor"]}
    assert seen == sorted(created, reverse=True)
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"cursor": "not-a-cursor"}, {"cursor": ["Invalid cursor."]}),
        ({"limit": 0}, {"limit": ["Input should be greater than or equal to 1"]}),
        ({"limit": 101}, {"limit": ["Input should be less than or equal to 100"]}),
        (
            {"limit": "many"},
            {"limit": ["Input should be a valid integer, unable to parse string as an integer"]},
        ),
    ],
)
def test_list_customers_rejects_bad_paging(api, params, fields):
    assert_error(api.get("/customers", params), 422, "validation_failed", fields)


def test_list_customers_query_count_does_not_grow_with_page_size(
    api, django_assert_max_num_queries
):
    for _ in range(60):
        factories.ContactFactory()
    api.get("/customers")  # the first use of a key also records last_used_at
    with django_assert_max_num_queries(2):
        assert len(api.get("/customers", {"limit": 5}).json()["items"]) == 5
    with django_assert_max_num_queries(2):
        assert len(api.get("/customers", {"limit": 50}).json()["items"]) == 50
