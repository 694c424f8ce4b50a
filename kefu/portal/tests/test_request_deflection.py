"""The new-request form's "these articles may answer your question": the suggestion tokens the
page collected travel in a hidden field, and a request that is created marks them submitted (the
customer contacted support anyway, so those suggestions did not deflect anything)."""

from __future__ import annotations

from django.urls import reverse

from kefu.conversations.models import Conversation
from kefu.helpcenter.models import SearchSource, SuggestionShown
from kefu.helpcenter.services import suggestions_shown

URL = reverse("portal:request_new")


def _data(**overrides):
    data = {
        "category": "withdrawal",
        "subject": "Withdrawal pending",
        "description": "My USDT withdrawal has been pending for two hours.",
        "tx_id": "",
        "asset": "",
        "network": "",
    }
    data.update(overrides)
    return data


def _shown(query: str = "withdrawal pending") -> str:
    token = suggestions_shown(
        source=SearchSource.REQUEST_FORM, language="en", query=query, article_ids=[1, 2]
    )
    assert token is not None
    return token


def _submitted() -> dict[str, bool]:
    return dict(SuggestionShown.objects.values_list("token", "submitted"))


def test_form_has_the_suggestion_panel_and_a_hidden_token_field(client_1):
    content = client_1.get(URL).content.decode()
    assert '<input type="hidden" name="suggestion_token" id="id_suggestion_token">' in content
    assert 'id="request-suggestions"' in content
    assert 'data-search-url="/help/api/search"' in content
    assert 'data-lang="en"' in content
    assert "These articles may answer your question" in content
    assert "/static/portal/request_suggest.js" in content
    # The panel sits right after the subject, before the description.
    assert content.index('id="id_subject"') < content.index('id="request-suggestions"')
    assert content.index('id="request-suggestions"') < content.index('id="id_description"')


def test_form_suggests_in_the_customers_language(client_1, customer_1):
    customer_1.language = "zh-hans"
    customer_1.save(update_fields=["language"])
    content = client_1.get(URL).content.decode()
    assert 'data-lang="zh-hans"' in content
    assert "这些文章或许能解答您的问题" in content


def test_submitting_with_a_token_marks_the_suggestions_submitted(client_1):
    token, other = _shown(), _shown("someone else's search")

    response = client_1.post(URL, _data(suggestion_token=token))

    assert response.status_code == 302
    assert Conversation.objects.count() == 1
    assert _submitted() == {token: True, other: False}


def test_every_token_collected_while_typing_is_marked(client_1):
    first, second, third = _shown("with"), _shown("withdrawal"), _shown("withdrawal pending")

    response = client_1.post(URL, _data(suggestion_token=f"{first} {second}  {third}"))

    assert response.status_code == 302
    assert _submitted() == {first: True, second: True, third: True}


def test_submitting_without_a_token_creates_the_request_and_marks_nothing(client_1):
    token = _shown()

    response = client_1.post(URL, _data())

    assert response.status_code == 302
    assert Conversation.objects.count() == 1
    assert _submitted() == {token: False}


def test_a_token_never_shown_is_ignored(client_1):
    token = _shown()

    response = client_1.post(URL, _data(suggestion_token="Xy7_never-issued-token"))

    assert response.status_code == 302
    assert Conversation.objects.count() == 1
    assert _submitted() == {token: False}


def test_a_mangled_token_field_never_blocks_the_request(client_1):
    token = _shown()
    junk = "<script>alert(1)</script> " + "x" * 5000 + f" {token}"

    response = client_1.post(URL, _data(suggestion_token=junk))

    assert response.status_code == 302
    assert Conversation.objects.count() == 1
    # The valid token sat past the first 1000 characters: ignored, not an error.
    assert _submitted() == {token: False}


def test_an_invalid_form_marks_nothing_and_keeps_the_tokens(client_1):
    token = _shown()

    response = client_1.post(URL, _data(subject="", suggestion_token=token))

    assert response.status_code == 200
    assert not Conversation.objects.exists()
    assert _submitted() == {token: False}
    assert f'name="suggestion_token" value="{token}"' in response.content.decode()


def test_a_refused_request_marks_nothing(client_1, monkeypatch):
    """The rate limit refuses the request: nothing was submitted, so nothing is marked."""
    from kefu.portal.views import support_requests

    monkeypatch.setattr(support_requests, "CREATE_LIMIT", 0)
    token = _shown()

    response = client_1.post(URL, _data(suggestion_token=token))

    assert response.status_code == 429
    assert not Conversation.objects.exists()
    assert _submitted() == {token: False}
