"""Background jobs of analytics: the incremental refresh and the weekly report."""

from __future__ import annotations

from django_tasks import task

from kefu.core.jobs import enqueue_on_commit


@task()
def refresh_analytics() -> None:
    """Periodic: bring facts and rollups up to date with what changed (kefu.analytics.services)."""
    from kefu.analytics.services import analytics_refresh

    analytics_refresh()


@task()
def send_weekly_reports() -> None:
    """Periodic: once a week is over, mail its PDF report to every supervisor and admin."""
    from django.db import transaction

    from kefu.analytics.report import last_week
    from kefu.analytics.services import weekly_report_claim
    from kefu.core import clock

    week_start = last_week(clock.now().date())
    with transaction.atomic():
        for user_id in weekly_report_claim(week_start=week_start):
            enqueue_on_commit(
                email_weekly_report, week_start=week_start.isoformat(), user_id=user_id
            )


@task()
def email_weekly_report(*, week_start: str, user_id: int, attempt: int = 1) -> None:
    """Mail one supervisor the weekly report as a PDF (retried with backoff on SMTP errors)."""
    import smtplib
    from datetime import date

    from django.template.loader import render_to_string
    from django.utils import translation

    from kefu.accounts import permissions
    from kefu.accounts.models import User
    from kefu.analytics.report import weekly_pdf
    from kefu.core.errors import RetryableError
    from kefu.core.jobs import run_with_retry
    from kefu.inbox.adapters.base import OutboundAttachment
    from kefu.inbox.adapters.email.compose import compose_customer_email

    def send() -> None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or not user.email or not permissions.sees_all(user):
            return  # left or lost the role since the claim: nothing to send
        start = date.fromisoformat(week_start)
        with translation.override(user.language or "en"):
            pdf = weekly_pdf(user=user, week_start=start)
            context = {"start": start, "user": user}
            email = compose_customer_email(
                to=user.email,
                subject=render_to_string("analytics/email/weekly_subject.txt", context),
                text=render_to_string("analytics/email/weekly_body.txt", context),
                auto_submitted="auto-generated",
                attachments=[
                    OutboundAttachment(
                        name=f"kefu-weekly-{week_start}.pdf",
                        content_type="application/pdf",
                        content=pdf,
                    )
                ],
            )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(str(exc)) from exc

    run_with_retry(
        email_weekly_report, send, attempt=attempt, week_start=week_start, user_id=user_id
    )
