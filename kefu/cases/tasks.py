"""Background jobs for verified cases: the customer's notification and the housekeeping run."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from kefu.cases.models import CaseState, VerificationCase
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.inbox.adapters.email.compose import compose_customer_email


@task()
def notify_case_decision(*, case_id: int, attempt: int = 1) -> None:
    """Email the outcome of a case to the address registered on the account (never to the one
    typed into the form), once, with the customer's anti-phishing code."""

    def send() -> None:
        case = VerificationCase.objects.select_related("contact").filter(pk=case_id).first()
        if case is None or case.notified_at is not None or case.contact is None:
            return
        if case.state not in (CaseState.COMPLETED, CaseState.REJECTED):
            return
        recipient = (case.contact.email or "").strip()
        if not recipient:
            return
        language = case.contact.language or case.language or "en"
        with translation.override(language):
            context = {
                "case": case,
                "completed": case.state == CaseState.COMPLETED,
                "reset_2fa": case.kind == "reset_2fa",
                "public_url": settings.KEFU_PUBLIC_URL.rstrip("/"),
            }
            email = compose_customer_email(
                to=recipient,
                subject=render_to_string("cases/email/decision_subject.txt", context),
                text=render_to_string("cases/email/decision_body.txt", context),
                auto_submitted="auto-generated",
            )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc
        VerificationCase.objects.filter(pk=case.pk).update(notified_at=clock.now())

    run_with_retry(notify_case_decision, send, attempt=attempt, case_id=case_id)


@task()
def housekeep_cases() -> None:
    """Expire undecided cases and delete identity documents past their retention."""
    from kefu.cases.services import cases_housekeep

    cases_housekeep(actor=Actor.system("cases-retention"))
