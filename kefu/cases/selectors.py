"""Reads for verified cases: staff only (every active agent may see the queue and review; the
approval rules are in ``services``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    CaseDocument,
    CasePolicy,
    VerificationCase,
)
from kefu.core import clock
from kefu.core.errors import NotFound, PermissionDenied


def case_policy() -> CasePolicy:
    """The policy row, or an unsaved one holding the defaults."""
    return CasePolicy.objects.order_by("pk").first() or CasePolicy()


def _require_staff(viewer: User) -> None:
    if not viewer.is_agent:
        raise PermissionDenied(_("Only support staff may work on verified cases."))


@dataclass(frozen=True, slots=True)
class QueueRow:
    case: VerificationCase
    age: timedelta
    overdue: bool  # open longer than the policy's review target


def case_queue(*, viewer: User, closed: bool = False, limit: int = 200) -> list[QueueRow]:
    """Open cases oldest first (or the latest closed ones), each flagged when it has waited
    longer than the review target."""
    _require_staff(viewer)
    now: datetime = clock.now()
    target = timedelta(hours=case_policy().review_target_hours)
    qs: QuerySet[VerificationCase] = VerificationCase.objects.select_related(
        "contact", "reviewer", "approver"
    )
    if closed:
        qs = qs.filter(state__in=CLOSED_STATES).order_by("-closed_at", "-id")
    else:
        qs = qs.filter(state__in=OPEN_STATES).order_by("created_at", "id")
    return [
        QueueRow(
            case=case,
            age=now - case.created_at,
            overdue=case.is_open and now - case.created_at > target,
        )
        for case in qs[:limit]
    ]


def case_get(*, viewer: User, pk: int) -> VerificationCase:
    _require_staff(viewer)
    case = (
        VerificationCase.objects.select_related("contact", "reviewer", "approver")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case."))
    return case


def case_document_get(*, viewer: User, case: VerificationCase, kind: str) -> CaseDocument:
    _require_staff(viewer)
    document = CaseDocument.objects.filter(case=case, kind=kind).first()
    if document is None:
        raise NotFound(_("This document does not exist or was deleted."))
    return document
