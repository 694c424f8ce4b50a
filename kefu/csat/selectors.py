"""Reads of surveys and follow-up tasks, scoped to who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation
from kefu.core.errors import NotFound
from kefu.csat.models import FollowUp, FollowUpStatus, Survey


def survey_current(conversation_id: int) -> Survey | None:
    """The conversation's latest survey that is still the one being asked (not superseded)."""
    return (
        Survey.objects.filter(conversation_id=conversation_id, superseded=False)
        .order_by("-created_at", "-id")
        .first()
    )


def survey_get_for_customer(*, contact: Contact, conversation_id: int) -> Survey:
    """The current survey of one of the customer's own conversations; NotFound otherwise."""
    survey = (
        Survey.objects.filter(
            conversation_id=conversation_id,
            conversation__contact=contact,
            superseded=False,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if survey is None:
        raise NotFound("survey")
    return survey


def surveys_for_agent(conversation: Conversation) -> list[Survey]:
    """Every survey of a conversation the agent may already see (newest first)."""
    return list(Survey.objects.filter(conversation_id=conversation.pk).order_by("-created_at"))


def followups_for_supervisor(
    *, user: User, status: str = FollowUpStatus.OPEN
) -> QuerySet[FollowUp]:
    if not permissions.sees_all(user):
        return FollowUp.objects.none()
    return (
        FollowUp.objects.filter(status=status)
        .select_related("survey", "conversation", "assignee", "completed_by")
        .order_by("-created_at", "-id")
    )


def followup_get_for_supervisor(*, user: User, pk: int) -> FollowUp:
    task = followups_for_supervisor(user=user, status=FollowUpStatus.OPEN).filter(pk=pk).first()
    if task is None:
        task = followups_for_supervisor(user=user, status=FollowUpStatus.DONE).filter(pk=pk).first()
    if task is None:
        raise NotFound("follow-up")
    return task
