import pytest

from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.conversations.models import Tag
from kefu.testing import factories

LIST = "/agent/manage/tags/"
NEW = "/agent/manage/tags/new/"


def edit_url(tag):
    return f"/agent/manage/tags/{tag.pk}/edit/"


def delete_url(tag):
    return f"/agent/manage/tags/{tag.pk}/delete/"


@pytest.fixture
def vip(conversation_a, conversation_b):
    tag = factories.TagFactory(name="vip")
    conversation_a.tags.add(tag)
    conversation_b.tags.add(tag)
    return tag


def test_list_shows_usage_counts_and_confirmed_delete(client_for, supervisor, vip):
    factories.TagFactory(name="unused")
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    assert {t.name: t.usage_count for t in response.context["tags"]} == {"unused": 0, "vip": 2}
    html = response.content.decode()
    assert f'action="{delete_url(vip)}"' in html
    assert 'data-confirm="Delete the tag “vip”? It is removed from 2 conversations."' in html


def test_supervisor_creates_a_tag(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(NEW, {"name": "  chargeback "})
    assert response.status_code == 302
    assert response.url == LIST
    tag = Tag.objects.get()
    assert tag.name == "chargeback"
    entry = AuditEntry.objects.get(action="tag.created")
    assert (entry.object_type, entry.object_id, entry.data) == (
        "tag",
        str(tag.pk),
        {"name": "chargeback"},
    )
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert "Tag “chargeback” saved." in client.get(LIST).content.decode()


def test_duplicate_tag_name_rerenders_with_message(client_for, supervisor, vip):
    audit_rows = AuditEntry.objects.count()  # creating the conversations wrote some
    response = client_for(supervisor).post(NEW, {"name": "VIP"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["A tag with this name already exists."]
    assert "A tag with this name already exists." in response.content.decode()
    assert Tag.objects.count() == 1
    assert AuditEntry.objects.count() == audit_rows


def test_tag_name_with_comma_is_rejected(client_for, admin_user):
    response = client_for(admin_user).post(NEW, {"name": "a,b"})
    assert response.status_code == 200
    assert "Use a name of 1 to 50 characters without commas." in response.content.decode()
    assert not Tag.objects.exists()


def test_admin_renames_a_tag(client_for, admin_user, vip, conversation_a):
    client = client_for(admin_user)
    assert client.get(edit_url(vip)).context["form"].initial == {"name": "vip"}
    response = client.post(edit_url(vip), {"name": "VIP customer"})
    assert response.status_code == 302
    vip.refresh_from_db()
    assert vip.name == "VIP customer"
    assert list(conversation_a.tags.values_list("name", flat=True)) == ["VIP customer"]
    entry = AuditEntry.objects.get(action="tag.renamed")
    assert (entry.object_id, entry.data) == (str(vip.pk), {"name": "VIP customer"})
    assert Tag.objects.count() == 1


def test_rename_to_an_existing_name_is_rejected(client_for, supervisor, vip):
    other = factories.TagFactory(name="fraud")
    audit_rows = AuditEntry.objects.count()
    response = client_for(supervisor).post(edit_url(other), {"name": "Vip"})
    assert response.status_code == 200
    assert "A tag with this name already exists." in response.content.decode()
    other.refresh_from_db()
    assert other.name == "fraud"
    assert AuditEntry.objects.count() == audit_rows


def test_supervisor_deletes_a_tag(client_for, supervisor, vip, conversation_a):
    client = client_for(supervisor)
    pk = vip.pk
    response = client.post(delete_url(vip))
    assert response.status_code == 302
    assert response.url == LIST
    assert not Tag.objects.filter(pk=pk).exists()
    assert list(conversation_a.tags.all()) == []
    entry = AuditEntry.objects.get(action="tag.deleted")
    assert (entry.object_type, entry.object_id, entry.data) == ("tag", str(pk), {"name": "vip"})
    assert "Tag “vip” deleted." in client.get(LIST).content.decode()


def test_delete_needs_post(client_for, supervisor, vip):
    response = client_for(supervisor).get(delete_url(vip))
    assert response.status_code == 405
    assert Tag.objects.filter(pk=vip.pk).exists()


def test_missing_tag_is_404(client_for, supervisor):
    assert_hidden(client_for(supervisor), "post", "/agent/manage/tags/999999/delete/")


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_changes(request, client_for, persona, vip):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "post", NEW, {"name": "rogue"})
    assert_hidden(client, "post", edit_url(vip), {"name": "renamed"})
    assert_hidden(client, "post", delete_url(vip))
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]


def test_anonymous_is_sent_to_sign_in(vip):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", delete_url(vip))
    assert Tag.objects.filter(pk=vip.pk).exists()
