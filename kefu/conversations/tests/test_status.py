"""conversation_set_status: the TRANSITIONS table, customer rules, and no-op on same status."""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from kefu.conversations import services
from kefu.conversations.models import Status, TimelineKind
from kefu.conversations.services import TRANSITIONS
from kefu.conversations.tests.conftest import set_status
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed

PAIRS = [(old, new) for old, new in itertools.permutations(Status.values, 2)]
ALLOWED = [(old, new) for old, new in PAIRS if new in TRANSITIONS[old]]
FORBIDDEN = [(old, new) for old, new in PAIRS if new not in TRANSITIONS[old]]


def test_transition_table_covers_every_status_and_never_loops():
    assert set(TRANSITIONS) == set(Status.values)
    for old, targets in TRANSITIONS.items():
        assert old not in targets
        assert targets <= set(Status.values)
    # Nothing goes back to "new"; solved only reopens or closes; closed only reopens.
    assert sorted(FORBIDDEN) == sorted(
        [
            ("open", "new"),
            ("pending", "new"),
            ("on_hold", "new"),
            ("solved", "new"),
            ("solved", "pending"),
            ("solved", "on_hold"),
            ("closed", "new"),
            ("closed", "pending"),
            ("closed", "on_hold"),
            ("closed", "solved"),
        ]
    )


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_allowed_transition_changes_status_with_timeline_and_audit(
    conversation_a, agent_a, actor_of, snapshot, old, new
):
    set_status(conversation_a, old)
    before = conversation_a.last_activity_at
    snap = snapshot()
    result = services.conversation_set_status(
        conversation=conversation_a, status=new, actor=actor_of(agent_a)
    )
    result.refresh_from_db()
    assert result.status == new
    assert (result.closed_at is not None) == (new == Status.CLOSED)
    assert result.last_activity_at > before
    survey_timeline, survey_audit = [], []
    if new == Status.SOLVED:  # solving asks the customer to rate it (kefu.csat)
        from kefu.csat.models import Survey

        survey = Survey.objects.get(conversation=conversation_a)
        data = {"event": "sent", "survey": survey.pk}
        survey_timeline = [(TimelineKind.SURVEY, "agent", agent_a.pk, None, data, False)]
        survey_audit = [
            (
                "agent",
                f"agent:{agent_a.pk}",
                "survey.sent",
                "survey",
                str(survey.pk),
                {"conversation": conversation_a.pk},
            )
        ]
    assert snap.timeline() == [
        (TimelineKind.STATUS, "agent", agent_a.pk, None, {"from": old, "to": new}, True),
        *survey_timeline,
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.status_changed",
            "conversation",
            str(conversation_a.pk),
            {"from": old, "to": new},
        ),
        *survey_audit,
    ]


@pytest.mark.parametrize(("old", "new"), FORBIDDEN)
def test_forbidden_transition_is_refused_and_nothing_is_written(
    conversation_a, agent_a, actor_of, snapshot, old, new
):
    set_status(conversation_a, old)
    snap = snapshot()
    with pytest.raises(InvalidTransition) as excinfo:
        services.conversation_set_status(
            conversation=conversation_a, status=new, actor=actor_of(agent_a)
        )
    assert excinfo.value.message == (
        f"Cannot change status from {Status(old).label} to {Status(new).label}."
    )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.status == old


@pytest.mark.parametrize("status", Status.values)
def test_setting_the_same_status_records_nothing(
    conversation_a, agent_a, actor_of, snapshot, status
):
    set_status(conversation_a, status)
    snap = snapshot()
    result = services.conversation_set_status(
        conversation=conversation_a, status=status, actor=actor_of(agent_a)
    )
    assert result.status == status
    snap.assert_nothing_written()


def test_unknown_status_is_refused(conversation_a, agent_a, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_set_status(
            conversation=conversation_a, status="archived", actor=actor_of(agent_a)
        )
    assert excinfo.value.fields == {"status": ["Unknown status."]}
    snap.assert_nothing_written()


def test_closing_sets_closed_at_and_reopening_clears_it(conversation_a, agent_a, actor_of):
    actor = actor_of(agent_a)
    services.conversation_set_status(conversation=conversation_a, status=Status.CLOSED, actor=actor)
    conversation_a.refresh_from_db()
    assert conversation_a.closed_at is not None
    services.conversation_set_status(conversation=conversation_a, status=Status.OPEN, actor=actor)
    conversation_a.refresh_from_db()
    assert conversation_a.closed_at is None


@pytest.mark.parametrize(
    "old", [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED]
)
def test_customer_may_close_own_conversation(conversation_a, customer_1, actor_of, snapshot, old):
    set_status(conversation_a, old)
    snap = snapshot()
    services.conversation_set_status(
        conversation=conversation_a, status=Status.CLOSED, actor=actor_of(customer_1)
    )
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.CLOSED
    assert snap.timeline() == [
        (TimelineKind.STATUS, "customer", customer_1.pk, None, {"from": old, "to": "closed"}, True),
    ]
    assert snap.audit() == [
        (
            "customer",
            f"customer:{customer_1.pk}",
            "conversation.status_changed",
            "conversation",
            str(conversation_a.pk),
            {"from": old, "to": "closed"},
        ),
    ]


@pytest.mark.parametrize("old", [Status.SOLVED, Status.CLOSED])
def test_customer_may_reopen_solved_or_closed_conversation(
    conversation_a, customer_1, actor_of, snapshot, old
):
    set_status(conversation_a, old)
    snap = snapshot()
    services.conversation_set_status(
        conversation=conversation_a, status=Status.OPEN, actor=actor_of(customer_1)
    )
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    assert [t[4] for t in snap.timeline()] == [{"from": old, "to": "open"}]
    assert [a[2] for a in snap.audit()] == ["conversation.status_changed"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Status.NEW, Status.OPEN),
        (Status.OPEN, Status.PENDING),
        (Status.OPEN, Status.ON_HOLD),
        (Status.OPEN, Status.SOLVED),
        (Status.PENDING, Status.OPEN),
        (Status.ON_HOLD, Status.OPEN),
        (Status.CLOSED, Status.SOLVED),
    ],
)
def test_customer_cannot_make_other_status_changes(
    conversation_a, customer_1, actor_of, snapshot, old, new
):
    set_status(conversation_a, old)
    snap = snapshot()
    with pytest.raises(PermissionDenied) as excinfo:
        services.conversation_set_status(
            conversation=conversation_a, status=new, actor=actor_of(customer_1)
        )
    assert excinfo.value.message == "You can only close or reopen your request."
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.status == old


def test_customer_cannot_change_another_customers_conversation(
    conversation_b, customer_1, actor_of, snapshot
):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_set_status(
            conversation=conversation_b, status=Status.CLOSED, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()


def test_invalid_transition_message_is_translated(conversation_a, agent_a, actor_of):
    set_status(conversation_a, Status.CLOSED)
    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as excinfo:
        services.conversation_set_status(
            conversation=conversation_a, status=Status.SOLVED, actor=actor_of(agent_a)
        )
    assert excinfo.value.message == "无法将状态从“已关闭”更改为“已解决”。"


def test_audit_failure_rolls_back_the_status_change(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_set_status(
            conversation=conversation_a, status=Status.OPEN, actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.NEW
