"""The retention policy and its enforcement: what goes, what stays, legal holds, the audit."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Attachment, Message, MessageKind
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.ops.periodic import SCHEDULE
from kefu.privacy.models import LegalHold, RetentionPolicy
from kefu.privacy.services import holds, retention
from kefu.privacy.services.common import RETENTION_MARKER
from kefu.privacy.tasks import enforce_retention
from kefu.privacy.tests.conftest import file_exists, stored_files

SYSTEM = Actor.system("test")


def _policy(admin_user, actor_of, **days):
    values = {"message_days": None, "attachment_days": None, "identity_document_days": None}
    values.update(days)
    return retention.policy_update(**values, actor=actor_of(admin_user))


def test_admin_sets_the_policy_and_it_is_audited(admin_user, actor_of):
    _policy(admin_user, actor_of, message_days=365, attachment_days=90)

    policy = RetentionPolicy.load()
    assert (policy.message_days, policy.attachment_days) == (365, 90)
    entry = AuditEntry.objects.get(action="retention.policy_changed")
    assert entry.data["to"]["message_days"] == 365
    assert entry.data["from"]["message_days"] is None


def test_saving_the_same_policy_writes_nothing(admin_user, actor_of):
    _policy(admin_user, actor_of, message_days=30)
    _policy(admin_user, actor_of, message_days=30)

    assert AuditEntry.objects.filter(action="retention.policy_changed").count() == 1


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "customer_1"])
def test_only_admins_change_the_policy(persona, request, actor_of):
    with pytest.raises(PermissionDenied):
        _policy(request.getfixturevalue(persona), actor_of, message_days=1)

    assert RetentionPolicy.load().message_days is None
    assert AuditEntry.objects.count() == 0


def test_zero_days_is_refused(admin_user, actor_of):
    with pytest.raises(ValidationFailed):
        _policy(admin_user, actor_of, message_days=0)


def test_with_no_policy_nothing_is_removed(make_conversation, customer_1):
    conversation = make_conversation(customer_1.contact, closed_days_ago=5000)

    report = retention.retention_enforce(actor=SYSTEM)

    assert report.changed is False
    assert not Message.objects.filter(conversation=conversation, body=RETENTION_MARKER).exists()


def test_old_closed_conversations_lose_text_and_files_new_and_open_ones_keep_them(
    admin_user, actor_of, make_conversation, customer_1, django_capture_on_commit_callbacks
):
    old = make_conversation(customer_1.contact, closed_days_ago=40)
    recent = make_conversation(customer_1.contact, closed_days_ago=10)
    still_open = make_conversation(customer_1.contact)
    old_files = stored_files(old)
    assert old_files
    assert all(file_exists(n) for n in old_files)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)

    with django_capture_on_commit_callbacks(execute=True):
        report = retention.retention_enforce(actor=SYSTEM)

    assert report.conversations_with_messages_purged == [old.pk]
    assert report.messages_purged == 3  # the customer's message, the reply and the note
    assert report.attachments_purged == 1
    assert set(Message.objects.filter(conversation=old).values_list("body", flat=True)) == {
        RETENTION_MARKER
    }
    assert not Attachment.objects.filter(message__conversation=old).exists()
    assert not any(file_exists(n) for n in old_files)
    for kept in (recent, still_open):
        assert not Message.objects.filter(conversation=kept, body=RETENTION_MARKER).exists()
        assert Attachment.objects.filter(message__conversation=kept).count() == 1
    old.refresh_from_db()
    assert old.subject == "Deposit missing"  # metadata stays


def test_the_audit_records_counts_never_content(
    admin_user, actor_of, make_conversation, customer_1
):
    old = make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)
    before = AuditEntry.objects.count()

    retention.retention_enforce(actor=SYSTEM)

    entries = list(AuditEntry.objects.order_by("pk")[before:])
    actions = [e.action for e in entries]
    assert actions == [
        "conversation.retention_messages_purged",
        "conversation.retention_attachments_purged",
        "retention.enforced",
    ]
    assert entries[0].object_id == str(old.pk)
    assert entries[0].data == {"messages": 3}
    assert entries[2].data["messages"] == 3
    assert entries[2].data["attachments"] == 1
    assert "secret stuff" not in str([e.data for e in entries])


def test_the_audit_log_is_never_purged(admin_user, actor_of, make_conversation, customer_1):
    make_conversation(customer_1.contact, closed_days_ago=4000)
    first = AuditEntry.objects.count()
    _policy(admin_user, actor_of, message_days=1, attachment_days=1)

    retention.retention_enforce(actor=SYSTEM)

    assert AuditEntry.objects.count() > first


def test_a_second_run_changes_nothing(admin_user, actor_of, make_conversation, customer_1):
    make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)
    retention.retention_enforce(actor=SYSTEM)
    before = AuditEntry.objects.count()

    report = retention.retention_enforce(actor=SYSTEM)

    assert report.changed is False
    assert AuditEntry.objects.count() == before


def test_customers_and_conversations_under_legal_hold_are_never_purged(
    admin_user, actor_of, make_conversation, customer_1, customer_2
):
    held_customer = make_conversation(customer_1.contact, closed_days_ago=400)
    other = make_conversation(customer_2.contact, closed_days_ago=400)
    held_conversation = make_conversation(customer_2.contact, closed_days_ago=400)
    holds.hold_place(subject=customer_1.contact, reason="Court order", actor=actor_of(admin_user))
    holds.hold_place(subject=held_conversation, reason="Fraud case", actor=actor_of(admin_user))
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)

    report = retention.retention_enforce(actor=SYSTEM)

    assert report.conversations_with_messages_purged == [other.pk]
    assert report.skipped_for_legal_hold == 4  # two conversations, for messages and files
    for kept in (held_customer, held_conversation):
        assert not Message.objects.filter(conversation=kept, body=RETENTION_MARKER).exists()
        assert Attachment.objects.filter(message__conversation=kept).count() == 1


def test_released_hold_lets_retention_apply(admin_user, actor_of, make_conversation, customer_1):
    conversation = make_conversation(customer_1.contact, closed_days_ago=400)
    hold = holds.hold_place(
        subject=customer_1.contact, reason="Investigation", actor=actor_of(admin_user)
    )
    _policy(admin_user, actor_of, message_days=30)
    assert retention.retention_enforce(actor=SYSTEM).changed is False

    holds.hold_release(hold=hold, actor=actor_of(admin_user))

    assert retention.retention_enforce(actor=SYSTEM).conversations_with_messages_purged == [
        conversation.pk
    ]
    assert LegalHold.objects.count() == 0
    assert AuditEntry.objects.filter(action="legal_hold.released").count() == 1


def test_dry_run_reports_and_changes_nothing(admin_user, actor_of, make_conversation, customer_1):
    old = make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)
    before = AuditEntry.objects.count()

    report = retention.retention_enforce(actor=SYSTEM, dry_run=True)

    assert report.conversations_with_messages_purged == [old.pk]
    assert report.messages_purged == 3
    assert report.attachments_purged == 1
    assert AuditEntry.objects.count() == before
    assert not Message.objects.filter(body=RETENTION_MARKER).exists()
    assert Attachment.objects.filter(message__conversation=old).count() == 1


def test_cli_dry_run_prints_what_would_go_and_run_removes_it(
    admin_user, actor_of, make_conversation, customer_1, capsys
):
    make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)

    call_command("retention", "run", "--dry-run")
    dry = capsys.readouterr().out
    assert "Would remove the text of 3 messages in 1 conversations" in dry
    assert "Would remove 1 attachments" in dry
    assert not Message.objects.filter(body=RETENTION_MARKER).exists()

    call_command("retention", "run")
    done = capsys.readouterr().out
    assert "Removed the text of 3 messages in 1 conversations" in done
    assert Message.objects.filter(body=RETENTION_MARKER).count() == 3


def test_cli_says_when_the_policy_keeps_everything(db, capsys):
    call_command("retention", "run")
    assert "keeps everything" in capsys.readouterr().out


def test_the_worker_runs_retention_periodically(
    admin_user, actor_of, make_conversation, customer_1
):
    assert "kefu.privacy.tasks.enforce_retention" in [job.task for job in SCHEDULE]
    make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30)

    enforce_retention.call()

    assert Message.objects.filter(body=RETENTION_MARKER).count() == 3
    assert AuditEntry.objects.get(action="retention.enforced").actor_kind == "system"


def test_purged_replies_are_not_notes_leaking(admin_user, actor_of, make_conversation, customer_1):
    """Retention replaces every kind of message, notes included (no text survives)."""
    conversation = make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30)

    retention.retention_enforce(actor=SYSTEM)

    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert note.body == RETENTION_MARKER


def test_dry_run_query_count_is_bounded(admin_user, actor_of, make_conversation, customer_1):
    for _ in range(3):
        make_conversation(customer_1.contact, closed_days_ago=40)
    _policy(admin_user, actor_of, message_days=30, attachment_days=30)

    with CaptureQueriesContext(connection) as queries:
        retention.retention_enforce(actor=SYSTEM, dry_run=True)

    assert len(queries) <= 10
