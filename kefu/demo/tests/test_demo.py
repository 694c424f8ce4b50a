from io import StringIO

from django.core.management import call_command
from django.db.models import Count

from kefu.accounts.models import Role, Team, User, UserKind
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations.models import (
    Conversation,
    Macro,
    Message,
    MessageKind,
    Tag,
    TimelineEntry,
    TimelineKind,
)
from kefu.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, demo_is_loaded


def _row_counts() -> dict[str, int]:
    models = (User, Team, Contact, Conversation, Message, TimelineEntry, Tag, Macro, AuditEntry)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_loads_required_data_once_and_second_run_changes_nothing(db):
    out = StringIO()
    call_command("demo", stdout=out)

    assert demo_is_loaded()
    assert DEMO_PASSWORD in out.getvalue()
    staff = User.objects.filter(kind=UserKind.STAFF)
    assert staff.count() >= 8
    roles = dict(staff.values_list("role").annotate(n=Count("id")))
    assert roles[Role.AGENT_L1] >= 3
    assert roles[Role.AGENT_L2] == 2
    assert roles[Role.SUPERVISOR] == 1
    assert roles[Role.ADMIN] == 1
    assert Team.objects.count() >= 3
    assert set(Team.objects.get(name="Verification (KYC)").languages) == {"zh-hans"}
    for _role, email in DEMO_LOGINS:
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    customer = User.objects.get(email="customer@kefu.demo")
    assert customer.kind == UserKind.CUSTOMER
    assert customer.contact.conversations.count() >= 3

    contacts = Contact.objects.all()
    assert contacts.count() >= 50
    assert not contacts.filter(uid__isnull=True).exists()
    assert set(contacts.values_list("language", flat=True)) == {"en", "zh-hans"}
    assert contacts.filter(vip_tier__gte=2).exists()

    # The forum has boards in both languages and an answered question by the demo customer,
    # answered by staff (badge) and visible to readers.
    from kefu.community.models import Board, Thread, Visibility

    assert set(Board.objects.values_list("language", flat=True)) == {"en", "zh-hans"}
    answered = Thread.objects.filter(visibility=Visibility.VISIBLE, accepted_post__isnull=False)
    assert answered.count() == 2
    assert {t.author_id for t in answered} == {customer.pk}
    assert all(t.accepted_post.author.is_agent for t in answered)

    # The locked demo account has an unlock request waiting in the verified-case queue.
    from kefu.cases.models import CaseState, VerificationCase

    [case] = VerificationCase.objects.all()
    assert case.state == CaseState.SUBMITTED
    assert case.contact is not None
    assert case.documents.count() == 2

    conversations = Conversation.objects.all()
    assert conversations.count() >= 300
    assert set(conversations.values_list("language", flat=True)) == {"en", "zh-hans"}
    assert len(set(conversations.values_list("channel", flat=True))) >= 5
    assert len(set(conversations.values_list("status", flat=True))) == 6
    assert len(set(conversations.values_list("category", flat=True))) >= 8
    assert conversations.filter(tier__gte=2).count() >= 10
    assert conversations.filter(assignee__isnull=False).count() >= 100
    assert conversations.filter(tags__isnull=False).distinct().count() >= 50
    # Every conversation has its history, written by the services.
    assert not conversations.filter(timeline__isnull=True).exists()
    assert not conversations.exclude(timeline__kind=TimelineKind.CREATED).exists()
    assert (
        TimelineEntry.objects.filter(kind=TimelineKind.ESCALATION).exclude(data__reason="").exists()
    )
    assert Message.objects.filter(kind=MessageKind.NOTE).count() >= 50
    assert conversations.filter(subject__contains="提现").exists()
    assert conversations.filter(subject__icontains="withdrawal").exists()
    # Seeded replies never trigger "you have a reply" mails.
    assert not Message.objects.filter(
        kind=MessageKind.REPLY, author_kind="agent", customer_notified_at__isnull=True
    ).exists()
    assert Tag.objects.count() >= 10
    assert Macro.objects.count() >= 8
    for macro in Macro.objects.all():
        for text in (macro.body_en, macro.body_zh):
            assert "{{ customer_name }}" in text
            assert "{{ reference }}" in text
            assert "{{ agent_name }}" in text

    before = _row_counts()
    again = StringIO()
    call_command("demo", stdout=again)

    assert "already loaded" in again.getvalue()
    assert _row_counts() == before
