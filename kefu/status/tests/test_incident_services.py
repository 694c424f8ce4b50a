"""incident_create / incident_update / incident_edit / incident_set_public / incident_delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.status import services
from kefu.status.models import Incident, IncidentKind, IncidentState, IncidentUpdate
from kefu.status.tests.conftest import ETH, NOW


def test_supervisor_opens_an_incident_with_its_first_update_and_an_audit_row(
    supervisor, manager, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    incident = services.incident_create(**ETH, actor=manager)
    incident.refresh_from_db()
    assert (incident.kind, incident.state, incident.impact, incident.is_public) == (
        "incident",
        "investigating",
        "major",
        True,
    )
    assert incident.affected == [
        {"asset": "ETH", "network": "ERC20"},
        {"asset": "USDT", "network": "ERC20"},
    ]
    assert (incident.started_at, incident.resolved_at, incident.created_by) == (
        NOW,
        None,
        supervisor,
    )
    [update] = incident.updates.all()
    assert (update.state, update.body_en, update.body_zh, update.author, update.created_at) == (
        "investigating",
        "Withdrawals are **slow**. Your funds are safe.",
        "提现较慢。您的资金安全。",
        supervisor,
        NOW,
    )
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_ref) == (
        "incident.created",
        "incident",
        str(incident.pk),
        f"agent:{supervisor.pk}",
    )
    assert entry.data == {
        "kind": "incident",
        "impact": "major",
        "state": "investigating",
        "title_en": ETH["title_en"],
        "title_zh": ETH["title_zh"],
        "affected": incident.affected,
        "scheduled_start": None,
        "scheduled_end": None,
        "is_public": True,
        "update_id": update.pk,
    }


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_only_supervisors_and_admins_manage_the_status_page(request, actor_of, persona):
    actor = actor_of(request.getfixturevalue(persona))
    with pytest.raises(PermissionDenied):
        services.incident_create(**ETH, actor=actor)
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.exists()


def test_agents_cannot_post_updates_edit_publish_or_delete(eth_incident, agent_a, actor_of):
    actor = actor_of(agent_a)
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.incident_update(
            incident=eth_incident, state="resolved", body_en="done", actor=actor
        )
    with pytest.raises(PermissionDenied):
        services.incident_edit(
            incident=eth_incident, title_en="x", impact="minor", affected=[], actor=actor
        )
    with pytest.raises(PermissionDenied):
        services.incident_set_public(incident=eth_incident, is_public=False, actor=actor)
    with pytest.raises(PermissionDenied):
        services.incident_delete(incident=eth_incident, actor=actor)
    eth_incident.refresh_from_db()
    assert (eth_incident.state, eth_incident.is_public) == ("investigating", True)
    assert IncidentUpdate.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_system_actor_cannot_manage_either(system_actor):
    with pytest.raises(PermissionDenied):
        services.incident_create(**ETH, actor=system_actor)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title_en": "   "}, "title_en", "Fill in this field."),
        ({"title_en": "x" * 201}, "title_en", "Use at most 200 characters."),
        ({"title_zh": "长" * 201}, "title_zh", "Use at most 200 characters."),
        ({"body_en": ""}, "body_en", "Fill in this field."),
        ({"body_zh": "x" * 10_001}, "body_zh", "Use at most 10000 characters."),
        ({"kind": "outage"}, "kind", "Choose a kind from the list."),
        ({"impact": "severe"}, "impact", "Choose an impact from the list."),
        ({"state": "scheduled"}, "state", "Choose a state that fits this kind of entry."),
        (
            {"affected": [{"asset": "ETH!", "network": ""}]},
            "affected",
            "“ETH!” is not an asset code: use up to 12 letters A–Z or digits.",
        ),
        (
            {"affected": [{"asset": "A" * 13, "network": ""}]},
            "affected",
            f"“{'A' * 13}” is not an asset code: use up to 12 letters A–Z or digits.",
        ),
        (
            {"affected": [{"asset": "", "network": "ERC20"}]},
            "affected",
            "“” is not an asset code: use up to 12 letters A–Z or digits.",
        ),
        (
            {"affected": [{"asset": "ETH", "network": "N" * 21}]},
            "affected",
            f"“{'N' * 21}” is not a network name: use up to 20 letters, digits, spaces, dots, "
            "dashes or brackets.",
        ),
        (
            {"affected": [{"asset": "ETH", "network": "<script>"}]},
            "affected",
            "“<script>” is not a network name: use up to 20 letters, digits, spaces, dots, "
            "dashes or brackets.",
        ),
        (
            {"affected": [{"asset": "ETH"}] * 31},
            "affected",
            "List at most 30 assets and networks.",
        ),
        ({"affected": ["ETH"]}, "affected", "Each line needs an asset, e.g. ETH ERC20."),
    ],
)
def test_invalid_input_is_rejected_with_field_errors_and_nothing_written(
    manager, changes, field, message
):
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_create(**{**ETH, **changes}, actor=manager)
    assert excinfo.value.fields == {field: [message]}
    assert excinfo.value.message == message
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.exists()


def test_maintenance_needs_a_window_that_ends_after_it_starts(manager):
    base = {
        "kind": IncidentKind.MAINTENANCE,
        "title_en": "Wallet upgrade",
        "body_en": "Deposits pause.",
        "actor": manager,
    }
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_create(**base, scheduled_end=NOW)
    assert excinfo.value.fields == {
        "scheduled_start": ["Give the start of the maintenance window."]
    }
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_create(**base, scheduled_start=NOW)
    assert excinfo.value.fields == {"scheduled_end": ["Give the end of the maintenance window."]}
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_create(**base, scheduled_start=NOW, scheduled_end=NOW)
    assert excinfo.value.fields == {"scheduled_end": ["The end must be after the start."]}
    assert not Incident.objects.exists()

    maintenance = services.incident_create(
        **base, scheduled_start=NOW, scheduled_end=NOW + timedelta(hours=1)
    )
    assert (maintenance.state, maintenance.started_at, maintenance.resolved_at) == (
        "scheduled",
        None,
        None,
    )


def test_titles_are_kept_on_one_line(manager):
    incident = services.incident_create(
        **{**ETH, "title_en": " ETH\r\nBcc: x@evil.test\t delayed ", "title_zh": "ETH\n延迟"},
        actor=manager,
    )
    assert (incident.title_en, incident.title_zh) == ("ETH Bcc: x@evil.test delayed", "ETH 延迟")


def test_bodies_keep_line_breaks_but_refuse_other_control_characters(manager):
    incident = services.incident_create(
        **{**ETH, "body_en": "Line one.\r\n\tLine two."}, actor=manager
    )
    assert incident.updates.get().body_en == "Line one.\r\n\tLine two."
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(
            incident=incident, state="identified", body_en="Delayed\x0c again", actor=manager
        )
    assert "body_en" in caught.value.fields
    assert incident.updates.count() == 1


def test_schedules_and_impact_are_ignored_where_they_do_not_apply(manager):
    announcement = services.incident_create(
        kind=IncidentKind.ANNOUNCEMENT,
        title_en="New network",
        impact="critical",
        body_en="TRC20 deposits are live.",
        scheduled_start=NOW,
        scheduled_end=NOW + timedelta(hours=1),
        actor=manager,
    )
    assert (announcement.state, announcement.impact) == ("published", "none")
    assert (announcement.scheduled_start, announcement.scheduled_end) == (None, None)
    assert announcement.started_at is not None
    assert announcement.is_open is False


def test_posting_updates_moves_the_state_and_resolving_sets_resolved_at(
    eth_incident, manager, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    services.incident_update(
        incident=eth_incident,
        state=IncidentState.IDENTIFIED,
        body_en="The node is out of sync.",
        actor=manager,
    )
    assert (eth_incident.state, eth_incident.resolved_at) == ("identified", None)
    later = NOW + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    update = services.incident_update(
        incident=eth_incident,
        state=IncidentState.RESOLVED,
        body_en="Withdrawals are back to normal.",
        body_zh="提现已恢复正常。",
        actor=manager,
    )
    assert (update.state, update.created_at) == ("resolved", later)
    eth_incident.refresh_from_db()
    assert (eth_incident.state, eth_incident.resolved_at, eth_incident.is_open) == (
        "resolved",
        later,
        False,
    )
    actions = list(
        AuditEntry.objects.order_by("id").values_list("action", "data__from", "data__to")
    )
    assert actions == [
        ("incident.created", None, None),
        ("incident.update_posted", "investigating", "identified"),
        ("incident.resolved", "identified", "resolved"),
    ]

    # A note after resolution keeps the resolution time; reopening clears it.
    services.incident_update(
        incident=eth_incident, state="resolved", body_en="Post-mortem published.", actor=manager
    )
    eth_incident.refresh_from_db()
    assert eth_incident.resolved_at == later
    services.incident_update(
        incident=eth_incident, state="investigating", body_en="It is back.", actor=manager
    )
    eth_incident.refresh_from_db()
    assert (eth_incident.state, eth_incident.resolved_at) == ("investigating", None)
    assert eth_incident.updates.count() == 5


def test_maintenance_records_when_it_started_and_completed(maintenance_factory, manager):
    maintenance = maintenance_factory(NOW)
    services.incident_update(
        incident=maintenance, state="in_progress", body_en="Started.", actor=manager
    )
    maintenance.refresh_from_db()
    started = maintenance.started_at
    assert started is not None
    assert maintenance.resolved_at is None
    services.incident_update(
        incident=maintenance, state="completed", body_en="Done.", actor=manager
    )
    maintenance.refresh_from_db()
    assert maintenance.started_at == started
    assert maintenance.resolved_at is not None


def test_a_state_from_another_kind_is_refused(eth_incident, manager):
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_update(
            incident=eth_incident, state="completed", body_en="Done.", actor=manager
        )
    assert excinfo.value.fields == {"state": ["Choose a state that fits this kind of entry."]}
    with pytest.raises(ValidationFailed):
        services.incident_update(
            incident=eth_incident, state="resolved", body_en=" ", actor=manager
        )
    assert eth_incident.updates.count() == 1
    assert AuditEntry.objects.count() == 1


def test_edit_changes_titles_impact_and_affected_with_an_audit_row(eth_incident, manager):
    services.incident_edit(
        incident=eth_incident,
        title_en="ETH and ERC20 withdrawals delayed",
        title_zh="",
        impact="minor",
        affected=[{"asset": " eth ", "network": " ERC20 "}, {"asset": "ETH", "network": "ERC20"}],
        actor=manager,
    )
    eth_incident.refresh_from_db()
    assert (eth_incident.title_en, eth_incident.title_zh, eth_incident.impact) == (
        "ETH and ERC20 withdrawals delayed",
        "",
        "minor",
    )
    assert eth_incident.affected == [{"asset": "ETH", "network": "ERC20"}]
    assert eth_incident.title_for("zh-hans") == "ETH and ERC20 withdrawals delayed"
    entry = AuditEntry.objects.get(action="incident.edited")
    assert entry.data["impact"] == "minor"
    assert eth_incident.updates.count() == 1


def test_unpublish_publish_and_delete_are_audited(eth_incident, manager):
    services.incident_set_public(incident=eth_incident, is_public=False, actor=manager)
    services.incident_set_public(incident=eth_incident, is_public=False, actor=manager)  # no-op
    services.incident_set_public(incident=eth_incident, is_public=True, actor=manager)
    pk = eth_incident.pk
    services.incident_delete(incident=eth_incident, actor=manager)
    assert not Incident.objects.exists()
    assert not IncidentUpdate.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_id=str(pk)).order_by("id").values_list("action", flat=True)
    ) == ["incident.created", "incident.unpublished", "incident.published", "incident.deleted"]


def test_chinese_title_and_body_fall_back_to_english(manager):
    incident = services.incident_create(**{**ETH, "title_zh": "", "body_zh": ""}, actor=manager)
    update = incident.updates.get()
    assert incident.title_for("zh-hans") == ETH["title_en"]
    assert update.body_for("zh-hans") == ETH["body_en"]
    assert incident.title_for("en") == ETH["title_en"]
