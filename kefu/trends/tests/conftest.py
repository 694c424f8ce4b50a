from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.conversations.models import Conversation, Message
from kefu.testing import factories

# A Wednesday, 14:20 UTC: the current hour is 14:00, the previous 13:00.
NOW = datetime(2026, 12, 2, 14, 20, tzinfo=UTC)
HOUR = NOW.replace(minute=0)

ZH_SUBJECT = "提现没到账"
ZH_BODY = "我的USDT TRC20提现两个小时了还没到账"


def make_conversation(at: datetime, *, subject: str = ZH_SUBJECT, body: str = ZH_BODY, **kwargs):
    """A conversation opened (with its first customer message) at ``at``."""
    conversation = factories.ConversationFactory(subject=subject, body=body, **kwargs)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=at, last_activity_at=at)
    Message.objects.filter(conversation=conversation).update(created_at=at)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def history(db):
    return make_history()


def make_history():
    """Two Chinese TRC20 withdrawal conversations in every baseline hour of HOUR (the same hour
    on each of the last 7 days and 4 weeks), and one English 2FA one; returns the contact."""
    from kefu.trends.worker import baseline_hours

    contact = factories.ContactFactory()
    for hour in baseline_hours(HOUR, weeks=4, days=7):
        make_conversation(hour + timedelta(minutes=5), contact=contact)
        make_conversation(hour + timedelta(minutes=6), contact=contact)
        make_conversation(
            hour + timedelta(minutes=7),
            subject="2FA",
            body="How do I reset my 2FA?",
            contact=contact,
        )
    return contact
