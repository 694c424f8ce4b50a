"""Macros that set fields: each change through its usual service (audited as usual), all or
nothing, staff only; the backoffice saves them and the workspace applies them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.macros import macro_apply
from kefu.conversations.models import Macro, MacroAssign, Priority, Status
from kefu.core.errors import PermissionDenied
from kefu.csat.models import Survey
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def solve_macro(db, team_b):
    vip = factories.TagFactory(name="vip")
    macro = factories.MacroFactory(
        name="Solve and tag",
        set_status=Status.SOLVED,
        set_priority=Priority.HIGH,
        set_team=team_b,
        assign=MacroAssign.ME,
    )
    macro.add_tags.set([vip])
    return macro


def test_applying_sets_every_field_through_the_services(
    conversation_a, agent_a, team_b, actor_of, solve_macro
):
    changed = macro_apply(conversation=conversation_a, macro=solve_macro, actor=actor_of(agent_a))
    assert changed == ["team", "priority", "tags", "assignee", "status"]
    conversation_a.refresh_from_db()
    assert conversation_a.team == team_b
    assert conversation_a.priority == Priority.HIGH
    assert list(conversation_a.tags.values_list("name", flat=True)) == ["vip"]
    assert conversation_a.assignee == agent_a
    assert conversation_a.status == Status.SOLVED
    actions = list(
        AuditEntry.objects.filter(object_type="conversation", object_id=str(conversation_a.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-6:] == [
        "conversation.team_changed",
        "conversation.priority_changed",
        "conversation.tags_changed",
        "conversation.assigned",
        "conversation.status_changed",
        "macro.applied",
    ]
    applied = AuditEntry.objects.get(action="macro.applied")
    assert applied.data["name"] == "Solve and tag"
    assert Survey.objects.filter(conversation=conversation_a).count() == 1  # solved -> asked


def test_applying_twice_changes_nothing_more(conversation_a, agent_a, actor_of, solve_macro):
    macro_apply(conversation=conversation_a, macro=solve_macro, actor=actor_of(agent_a))
    assert (
        macro_apply(conversation=conversation_a, macro=solve_macro, actor=actor_of(agent_a)) == []
    )


def test_an_invalid_change_rolls_back_all_of_them(conversation_a, agent_a, actor_of, db):
    macro = factories.MacroFactory(set_priority=Priority.URGENT, set_status=Status.PENDING)
    services.conversation_set_status(
        conversation=conversation_a, status=Status.SOLVED, actor=actor_of(agent_a)
    )  # solved -> pending is not allowed
    with pytest.raises(Exception):  # noqa: B017 - InvalidTransition
        macro_apply(conversation=conversation_a, macro=macro, actor=actor_of(agent_a))
    conversation_a.refresh_from_db()
    assert conversation_a.priority == Priority.NORMAL
    assert not AuditEntry.objects.filter(action="macro.applied").exists()


def test_customers_cannot_apply_macros(conversation_a, customer_1, actor_of, solve_macro):
    with pytest.raises(PermissionDenied):
        macro_apply(conversation=conversation_a, macro=solve_macro, actor=actor_of(customer_1))


def test_workspace_applies_a_macro_and_hides_others_conversations(
    conversation_a, agent_a, agent_b, solve_macro
):
    other = Client()
    other.force_login(agent_b, backend=BACKEND)  # team B: cannot see team A's conversation
    before = AuditEntry.objects.count()
    response = other.post(
        reverse("workspace:macro_apply", args=[conversation_a.pk]), {"macro": solve_macro.pk}
    )
    assert response.status_code == 404
    assert AuditEntry.objects.count() == before
    client = Client()
    client.force_login(agent_a, backend=BACKEND)
    page = client.get(reverse("workspace:conversation", args=[conversation_a.pk]))
    assert reverse("workspace:macro_apply", args=[conversation_a.pk]) in page.content.decode()
    response = client.post(
        reverse("workspace:macro_apply", args=[conversation_a.pk]), {"macro": solve_macro.pk}
    )
    assert response.status_code == 302
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.SOLVED


def test_backoffice_saves_the_fields(admin_user, team_a, actor_of, db):
    tag = factories.TagFactory(name="refund")
    client = Client()
    client.force_login(admin_user, backend=BACKEND)
    response = client.post(
        reverse("backoffice:macro_create"),
        {
            "name": "Escalate refund",
            "body_en": "We are on it.",
            "body_zh": "我们正在处理。",
            "set_status": "pending",
            "set_priority": "3",
            "set_team": str(team_a.pk),
            "add_tags": [str(tag.pk)],
            "assign": "nobody",
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(name="Escalate refund")
    assert (macro.set_status, macro.set_priority, macro.set_team, macro.assign) == (
        "pending",
        3,
        team_a,
        "nobody",
    )
    assert list(macro.add_tags.all()) == [tag]
    entry = AuditEntry.objects.get(action="macro.created")
    assert entry.data["actions"]["add_tags"] == ["refund"]
