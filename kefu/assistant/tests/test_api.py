"""REST API: POST /api/v1/assistant/classify."""

from __future__ import annotations

import pytest

from kefu.accounts.tests.apikit import Api, assert_error, make_key
from kefu.assistant.api import MAX_CHARS, MAX_TEXTS
from kefu.assistant.intents import INTENTS
from kefu.audit.models import AuditEntry

PATH = "/assistant/classify"


@pytest.fixture
def api(admin_user):
    return Api(make_key(admin_user, scopes=["conversations:read"])[1])


@pytest.mark.django_db
def test_classify_one_text(api):
    response = api.post(PATH, {"text": "USDT TRC20 提现没到账"})
    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert set(result) == {"intent", "confidence", "language"}
    assert result["intent"] in INTENTS
    assert 0 <= result["confidence"] <= 1
    assert result["language"] == "zh"


@pytest.mark.django_db
def test_classify_many_texts_in_order_without_writing_anything(api):
    before = AuditEntry.objects.count()
    texts = ["hello", "我的卡被拒绝了", "x" * MAX_CHARS]
    response = api.post(PATH, {"texts": texts})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["language"] for r in results] == ["en", "zh", "en"]
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "__all__"),
        ({"text": "a", "texts": ["b"]}, "__all__"),
        ({"text": ""}, "text"),
        ({"text": "x" * (MAX_CHARS + 1)}, "text"),
        ({"texts": []}, "texts"),
        ({"texts": ["ok"] * (MAX_TEXTS + 1)}, "texts"),
        ({"texts": ["ok", "x" * (MAX_CHARS + 1)]}, "texts.1"),
        ({"texts": "not a list"}, "texts"),
        ({"text": "hi", "lang": "en"}, "lang"),
    ],
)
def test_classify_rejects_bad_input(api, body, field):
    error = assert_error(api.post(PATH, body), 422, "validation_failed")
    assert field in error["fields"]


@pytest.mark.django_db
def test_classify_rejects_a_body_that_is_not_json(api):
    assert_error(api.post(PATH, raw="{not json"), 400, "invalid_json")


@pytest.mark.django_db
def test_classify_needs_a_key_with_the_read_scope(admin_user):
    assert_error(Api(None).post(PATH, {"text": "hi"}), 401, "unauthenticated")
    writer = Api(make_key(admin_user, scopes=["customers:write"])[1])
    assert_error(writer.post(PATH, {"text": "hi"}), 403, "permission_denied")
