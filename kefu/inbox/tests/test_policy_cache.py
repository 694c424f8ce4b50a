"""The per-process policy cache on the inbound path (ADR 0028): the next message after a
committed change sees it, a rolled-back change is never seen, and a cached message reads no
policy row."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kefu.automation.models import AutomationRule
from kefu.conversations.models import Conversation, Message
from kefu.core import policy_cache
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.inbound import inbound_process
from kefu.inbox.models import InboundEvent, InboundState
from kefu.inbox.tests.email_corpus import PDF, mail
from kefu.routing import services as routing
from kefu.routing.models import RoutingRule
from kefu.sla.models import SlaPolicy, SlaTimer
from kefu.sla.timers import policy_for
from kefu.testing import factories

POLICY_TABLES = (
    "sla_slapolicy",
    "routing_routingrule",
    "routing_routingpolicy",
    "automation_automationrule",
    "integrations_webhookendpoint",
)


def _ingest(n: int, sender: str = "ann@example.com") -> Conversation:
    """A new mail from ``sender`` stored and processed, committed (the worker's path)."""
    event, _ = email_ingest(
        raw=mail(sender=sender, message_id=f"<m{n}@x.example>", subject=f"Case {n}"),
        account="support@localhost",
        source="test",
    )
    event = InboundEvent.objects.get(pk=event.pk)
    if event.state == InboundState.RECEIVED:  # the job runs on commit, or here as the worker
        inbound_process(event_pk=event.pk, attempts=event.attempts)
        event = InboundEvent.objects.get(pk=event.pk)
    assert event.state == InboundState.PROCESSED, event.last_error
    return Conversation.objects.get(pk=event.conversation_id)


def _reads(queries: list[dict[str, str]], table: str) -> int:
    return sum(
        1 for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    )


@pytest.mark.django_db(transaction=True)
def test_a_committed_policy_change_is_seen_by_the_next_message_in_this_process():
    team = factories.TeamFactory(name="Mail desk")
    first = _ingest(1)  # caches "no SLA policy, no rules"
    assert not SlaTimer.objects.filter(conversation=first).exists()
    assert routing.rule_for(first) is None

    SlaPolicy.objects.create(name="All", position=1, first_response_minutes=30)
    second = _ingest(2)
    assert SlaTimer.objects.filter(conversation=second).exists()

    RoutingRule.objects.create(name="mail", position=1, team=team, channels=["email"])
    assert routing.rule_for(second).team == team

    # Changes by QuerySet.update() (no save(), no service) are seen as well.
    RoutingRule.objects.update(active=False)
    SlaPolicy.objects.update(active=False)
    third = _ingest(3)
    assert not SlaTimer.objects.filter(conversation=third).exists()
    assert routing.rule_for(third) is None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_policy_change_is_never_served():
    first = _ingest(1)  # cached: no SLA policy

    def change_then_roll_back() -> None:
        with transaction.atomic():
            SlaPolicy.objects.create(name="All", position=1, first_response_minutes=30)
            # Read (and cached) inside the transaction that is about to roll back.
            assert policy_for(first) is not None
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_roll_back()
    assert not SlaPolicy.objects.exists()
    second = _ingest(2)
    assert not SlaTimer.objects.filter(conversation=second).exists()
    assert policy_for(second) is None


@pytest.mark.django_db(transaction=True)
def test_a_deleted_team_cascades_into_the_cache():
    team = factories.TeamFactory(name="Mail desk")
    RoutingRule.objects.create(name="mail", position=1, team=team, channels=["email"])
    conversation = factories.ConversationFactory(channel="email")
    assert routing.rule_for(conversation).team == team
    team.delete()  # the rule goes by cascade: no RoutingRule.delete() is called
    assert routing.rule_for(conversation) is None


@pytest.mark.django_db(transaction=True)
def test_a_cached_message_reads_no_policy_row_and_the_version_once():
    team = factories.TeamFactory(name="Phone desk")
    RoutingRule.objects.create(name="phone", position=1, team=team, channels=["phone"])
    SlaPolicy.objects.create(name="All", position=1, first_response_minutes=30)
    AutomationRule.objects.create(name="unused", trigger="waiting", is_active=True)
    routing.policy_get()  # its first read creates the row (a write: a new version)
    _ingest(1)  # fills the cache
    with CaptureQueriesContext(connection) as captured:
        conversation = _ingest(2, sender="bob@example.com")
    assert SlaTimer.objects.filter(conversation=conversation).exists()
    queries = captured.captured_queries
    for table in POLICY_TABLES:
        assert _reads(queries, table) == 0, table
    # The token comes with the event's claim query: no query of its own.
    version = [q for q in queries if 'FROM "core_policyversion"' in q["sql"]]
    assert len(version) == 1
    assert 'FROM "inbox_inboundevent"' in version[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_the_uncached_path_reads_every_policy_table():
    """The counterpart of the test above: without a version row nothing is cached."""
    _ingest(1)
    from kefu.core.models import PolicyVersion

    PolicyVersion.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        _ingest(2, sender="bob@example.com")
    queries = captured.captured_queries
    for table in POLICY_TABLES:
        assert _reads(queries, table) >= 1, table


# --- one attachment sniff per file on the inbound path ----------------------------------------


@pytest.mark.django_db
def test_the_pipeline_sniffs_each_attachment_once(django_capture_on_commit_callbacks):
    from kefu.conversations import attachments

    raw = mail(attachments=[("receipt.pdf", "application/pdf", PDF)])
    with (
        mock.patch.object(attachments, "sniff_type", wraps=attachments.sniff_type) as sniff,
        django_capture_on_commit_callbacks(execute=True),
    ):
        event, _ = email_ingest(raw=raw, account="support@localhost", source="test")
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    assert sniff.call_count == 1  # was 3: the pipeline, the guard, the service
    message = Message.objects.get(pk=event.message_id)
    assert [a.content_type for a in message.attachments.all()] == ["application/pdf"]


def test_the_sniffed_type_cannot_be_passed_by_a_caller():
    from kefu.conversations.attachments import UploadedFile, type_of, validated_upload

    with pytest.raises(TypeError):
        UploadedFile(filename="x.pdf", content=b"not a pdf", sniffed_type="application/pdf")  # type: ignore[call-arg]
    plain = UploadedFile(filename="x.pdf", content=b"not a pdf")
    assert type_of(plain) is None
    marked = validated_upload(UploadedFile(filename="r.pdf", content=PDF))
    assert (marked.sniffed_type, type_of(marked)) == ("application/pdf", "application/pdf")


def test_every_watched_table_has_its_trigger(db):
    assert set(POLICY_TABLES) <= set(policy_cache.watched())
    assert policy_cache.installed() == policy_cache.watched()
