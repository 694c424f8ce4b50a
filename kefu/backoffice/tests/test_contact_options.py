import pytest

from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.helpcenter.models import ContactOption
from kefu.helpcenter.services import contact_option_save

LIST = "/agent/manage/contacts/"
NEW = "/agent/manage/contacts/new/"
VALID = {
    "kind": "telegram",
    "label_en": "Telegram",
    "label_zh": "Telegram 官方客服",
    "value": "@DemoExchangeSupport",
    "url": "https://t.me/DemoExchangeSupport",
    "hours_note_en": "",
    "hours_note_zh": "",
    "order": "40",
    "is_active": "on",
}


def edit_url(option):
    return f"/agent/manage/contacts/{option.pk}/edit/"


def delete_url(option):
    return f"/agent/manage/contacts/{option.pk}/delete/"


@pytest.fixture
def option(supervisor, actor_of):
    return contact_option_save(
        kind="email",
        label_en="Email",
        label_zh="电子邮件",
        value="support@demo-exchange.com",
        url="mailto:support@demo-exchange.com",
        hours_note_en="Replies within 24 hours",
        hours_note_zh="24 小时内回复",
        order=20,
        actor=actor_of(supervisor),
    )


def test_list_shows_options(client_for, supervisor, option):
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "support@demo-exchange.com" in html
    assert "<code>mailto:support@demo-exchange.com</code>" in html
    assert '<span lang="zh-Hans">电子邮件</span>' in html
    assert edit_url(option) in html
    assert 'data-confirm="Delete the contact option “Email”?"' in html


def test_supervisor_creates_an_option(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(NEW, VALID)
    assert response.status_code == 302
    assert response.url == LIST
    option = ContactOption.objects.get()
    assert (option.kind, option.label_zh, option.value, option.url, option.order) == (
        "telegram",
        "Telegram 官方客服",
        "@DemoExchangeSupport",
        "https://t.me/DemoExchangeSupport",
        40,
    )
    assert option.is_active
    entry = AuditEntry.objects.get(action="contact_option.created")
    assert (entry.object_type, entry.object_id, entry.actor_ref) == (
        "contact_option",
        str(option.pk),
        f"agent:{supervisor.pk}",
    )
    assert "Contact option “Telegram” saved." in client.get(LIST).content.decode()


def test_javascript_link_is_refused_on_the_form(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {**VALID, "url": "javascript:alert(1)"})
    assert response.status_code == 200
    assert response.context["form"].errors["url"] == [
        "Use a link that starts with https://, mailto: or tel:, "
        "or a path on this site such as /help/."
    ]
    assert not ContactOption.objects.exists()
    assert not AuditEntry.objects.exists()


def test_admin_edits_an_option(client_for, admin_user, option):
    client = client_for(admin_user)
    initial = client.get(edit_url(option)).context["form"].initial
    assert initial == {
        "kind": "email",
        "label_en": "Email",
        "label_zh": "电子邮件",
        "value": "support@demo-exchange.com",
        "url": "mailto:support@demo-exchange.com",
        "hours_note_en": "Replies within 24 hours",
        "hours_note_zh": "24 小时内回复",
        "calendar_id": None,
        "language": "",
        "expected_response_minutes": None,
        "notice_en": "",
        "notice_zh": "",
        "notice_until": None,
        "order": 20,
        "is_active": True,
    }
    unset = {key: "" for key, value in initial.items() if value is None}
    response = client.post(
        edit_url(option),
        {**initial, **unset, "order": "5", "is_active": "", "value": "help@demo-exchange.com"},
    )
    assert response.status_code == 302
    option.refresh_from_db()
    assert (option.order, option.is_active, option.value) == (5, False, "help@demo-exchange.com")
    assert AuditEntry.objects.filter(action="contact_option.updated").count() == 1


def test_supervisor_deletes_an_option(client_for, supervisor, option):
    pk = option.pk
    response = client_for(supervisor).post(delete_url(option))
    assert response.status_code == 302
    assert response.url == LIST
    assert not ContactOption.objects.exists()
    entry = AuditEntry.objects.get(action="contact_option.deleted")
    assert entry.object_id == str(pk)


def test_delete_needs_post(client_for, supervisor, option):
    assert client_for(supervisor).get(delete_url(option)).status_code == 405
    assert ContactOption.objects.filter(pk=option.pk).exists()


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_changes(request, client_for, persona, option):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", NEW)
    assert_hidden(client, "get", edit_url(option))
    assert_hidden(client, "post", NEW, VALID)
    assert_hidden(client, "post", edit_url(option), VALID)
    assert_hidden(client, "post", delete_url(option))
    assert list(ContactOption.objects.values_list("label_en", flat=True)) == ["Email"]


def test_anonymous_is_sent_to_sign_in(option):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, VALID)
    assert_login_redirect("post", delete_url(option))
    assert ContactOption.objects.count() == 1
