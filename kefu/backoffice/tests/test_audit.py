import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.backoffice.selectors import AUDIT_PAGE_SIZE
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.testing import factories

LIST = "/agent/manage/audit/"


@pytest.fixture
def entries(supervisor, actor_of):
    actor = actor_of(supervisor)
    return [
        audit_record(
            actor=actor, action="tag.created", object_type="tag", object_id=1, data={"name": "vip"}
        ),
        audit_record(
            actor=actor,
            action="staff.updated",
            object_type="user",
            object_id=7,
            data={"role": ["agent_l1", "agent_l2"]},
        ),
        audit_record(
            actor=actor, action="tag.renamed", object_type="tag", object_id=1, data={"name": "VIP"}
        ),
        audit_record(
            actor=actor,
            action="tag.created",
            object_type="tag",
            object_id=2,
            data={"name": "fraud"},
        ),
    ]


def ids(response):
    return [entry.pk for entry, _name, _data in response.context["rows"]]


@pytest.mark.parametrize("persona", ["supervisor", "admin_user"])
def test_managers_see_newest_first(request, client_for, persona, entries):
    response = client_for(request.getfixturevalue(persona)).get(LIST)
    assert response.status_code == 200
    assert ids(response) == [e.pk for e in reversed(entries)]
    html = response.content.decode()
    supervisor = request.getfixturevalue("supervisor")
    assert f'{supervisor.display_name} <span class="muted">(agent:{supervisor.pk})</span>' in html
    assert "tag.renamed" in html
    assert "{&quot;name&quot;: &quot;VIP&quot;}" in html


def test_filter_by_action(client_for, supervisor, entries):
    response = client_for(supervisor).get(LIST, {"action": "tag.created"})
    assert ids(response) == [entries[3].pk, entries[0].pk]


def test_filter_by_object(client_for, supervisor, entries):
    response = client_for(supervisor).get(LIST, {"object_type": "tag", "object_id": "1"})
    assert ids(response) == [entries[2].pk, entries[0].pk]
    response = client_for(supervisor).get(LIST, {"object_type": "user"})
    assert ids(response) == [entries[1].pk]


def test_filters_combine(client_for, supervisor, entries):
    response = client_for(supervisor).get(
        LIST, {"action": "tag.created", "object_type": "tag", "object_id": "2"}
    )
    assert ids(response) == [entries[3].pk]


def test_pages_follow_the_cursor_and_keep_filters(client_for, admin_user, actor_of):
    actor = actor_of(admin_user)
    for i in range(AUDIT_PAGE_SIZE + 5):
        audit_record(actor=actor, action="tag.created", object_type="tag", object_id=i)
    audit_record(actor=actor, action="macro.created", object_type="macro", object_id=1)
    client = client_for(admin_user)
    first = client.get(LIST, {"action": "tag.created"})
    assert len(first.context["rows"]) == AUDIT_PAGE_SIZE
    next_url = first.context["next_url"]
    assert next_url.startswith("?action=tag.created&cursor=")
    assert first.context["first_url"] == ""
    second = client.get(LIST + next_url)
    assert len(second.context["rows"]) == 5
    assert second.context["next_url"] == ""
    assert second.context["first_url"] == "?action=tag.created"
    everything = ids(first) + ids(second)
    expected = list(
        AuditEntry.objects.filter(action="tag.created").order_by("-id").values_list("pk", flat=True)
    )
    assert everything == expected


def test_bad_cursor_starts_from_the_newest(client_for, supervisor, entries):
    response = client_for(supervisor).get(LIST, {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert ids(response) == [e.pk for e in reversed(entries)]


def test_object_links_filter_the_log(client_for, supervisor, entries):
    html = client_for(supervisor).get(LIST).content.decode()
    assert 'href="?object_type=user&amp;object_id=7"' in html
    assert 'href="?action=staff.updated"' in html


def test_every_filter_input_has_a_label(client_for, supervisor):
    html = client_for(supervisor).get(LIST).content.decode()
    for field_id in ("id_action", "id_object_type", "id_object_id"):
        assert f'<label for="{field_id}">' in html


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404(request, client_for, persona, entries):
    assert_hidden(client_for(request.getfixturevalue(persona)), "get", LIST)


def test_anonymous_is_sent_to_sign_in(entries):
    assert_login_redirect("get", LIST)


def test_query_count_does_not_grow_with_rows(client_for, admin_user, actor_of):
    client = client_for(admin_user)
    audit_record(actor=actor_of(admin_user), action="tag.created", object_type="tag", object_id=1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(10):
        agent = factories.StaffFactory()
        audit_record(actor=actor_of(agent), action="tag.created", object_type="tag", object_id=1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["rows"]) == 11
    assert len(many) == len(few)
