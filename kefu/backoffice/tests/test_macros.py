import pytest

from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.conversations.models import Macro
from kefu.testing import factories

LIST = "/agent/manage/macros/"
NEW = "/agent/manage/macros/new/"
VALID = {
    "name": "Withdrawal delay",
    "body_en": "Hi {{ customer_name }}, your withdrawal {{ reference }} is being checked.",
    "body_zh": "{{ customer_name }}您好，您的提现 {{ reference }} 正在核查中。",
}


def edit_url(macro):
    return f"/agent/manage/macros/{macro.pk}/edit/"


def delete_url(macro):
    return f"/agent/manage/macros/{macro.pk}/delete/"


def test_list_shows_macros(client_for, supervisor):
    macro = factories.MacroFactory(name="Greeting")
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Greeting" in html
    assert edit_url(macro) in html
    assert 'data-confirm="Delete the macro “Greeting”?"' in html


def test_form_shows_the_placeholders(client_for, supervisor):
    html = client_for(supervisor).get(NEW).content.decode()
    for name in ("customer_name", "reference", "agent_name", "subject"):
        assert f"<code>{{{{ {name} }}}}</code>" in html
    assert 'for="id_body_en"' in html
    assert 'for="id_body_zh"' in html


def test_supervisor_creates_a_macro(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(NEW, VALID)
    assert response.status_code == 302
    assert response.url == LIST
    macro = Macro.objects.get()
    assert (macro.name, macro.body_en, macro.body_zh) == (
        VALID["name"],
        VALID["body_en"],
        VALID["body_zh"],
    )
    entry = AuditEntry.objects.get(action="macro.created")
    assert (entry.object_type, entry.object_id, entry.data) == (
        "macro",
        str(macro.pk),
        {"name": "Withdrawal delay"},
    )
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert "Macro “Withdrawal delay” saved." in client.get(LIST).content.decode()


def test_macro_without_chinese_text_is_rejected(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {**VALID, "body_zh": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["body_zh"] == ["Write the Chinese text."]
    assert "Write the Chinese text." in response.content.decode()
    assert not Macro.objects.exists()
    assert not AuditEntry.objects.exists()


def test_duplicate_macro_name_is_rejected(client_for, supervisor):
    factories.MacroFactory(name="Withdrawal delay")
    response = client_for(supervisor).post(NEW, {**VALID, "name": "withdrawal DELAY"})
    assert response.status_code == 200
    assert "A macro with this name already exists." in response.content.decode()
    assert Macro.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_admin_edits_a_macro(client_for, admin_user):
    macro = factories.MacroFactory(name="Old")
    client = client_for(admin_user)
    initial = client.get(edit_url(macro)).context["form"].initial
    assert initial == {
        "name": "Old",
        "body_en": macro.body_en,
        "body_zh": macro.body_zh,
        "set_status": "",
        "set_priority": None,
        "set_team": None,
        "add_tags": [],
        "assign": "",
    }
    response = client.post(edit_url(macro), VALID)
    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.name, macro.body_en, macro.body_zh) == (
        VALID["name"],
        VALID["body_en"],
        VALID["body_zh"],
    )
    entry = AuditEntry.objects.get(action="macro.updated")
    assert entry.object_id == str(macro.pk)
    assert Macro.objects.count() == 1


def test_supervisor_deletes_a_macro(client_for, supervisor):
    macro = factories.MacroFactory(name="Bye")
    pk = macro.pk
    response = client_for(supervisor).post(delete_url(macro))
    assert response.status_code == 302
    assert response.url == LIST
    assert not Macro.objects.exists()
    entry = AuditEntry.objects.get(action="macro.deleted")
    assert (entry.object_id, entry.data) == (str(pk), {"name": "Bye"})


def test_delete_needs_post(client_for, supervisor):
    macro = factories.MacroFactory()
    assert client_for(supervisor).get(delete_url(macro)).status_code == 405
    assert Macro.objects.filter(pk=macro.pk).exists()


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_changes(request, db, client_for, persona):
    macro = factories.MacroFactory(name="Keep")
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", edit_url(macro))
    assert_hidden(client, "post", NEW, VALID)
    assert_hidden(client, "post", edit_url(macro), VALID)
    assert_hidden(client, "post", delete_url(macro))
    assert list(Macro.objects.values_list("name", flat=True)) == ["Keep"]


def test_anonymous_is_sent_to_sign_in(db):
    macro = factories.MacroFactory(name="Keep")
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, VALID)
    assert_login_redirect("post", delete_url(macro))
    assert list(Macro.objects.values_list("name", flat=True)) == ["Keep"]
