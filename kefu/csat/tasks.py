"""Background jobs for surveys: put the question to the customer on the conversation's channel.

Live chat needs no job: the widget's conversation object carries the open survey
(docs/subsystems/realtime.md). Email (and web-form requests) get one-click links; Telegram gets
inline keyboard buttons.
"""

from __future__ import annotations

import smtplib

from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from kefu.conversations.models import Channel
from kefu.core.errors import RetryableError
from kefu.core.jobs import run_with_retry
from kefu.csat.links import rating_url
from kefu.csat.models import Survey
from kefu.inbox.adapters.email.compose import compose_customer_email

EMAIL_CHANNELS = (Channel.EMAIL, Channel.WEB)


def rating_links(survey: Survey) -> list[tuple[int, str]]:
    return [(n, rating_url(survey_id=survey.pk, rating=n)) for n in range(1, 6)]


def _send_email(survey: Survey) -> None:
    conversation = survey.conversation
    contact = conversation.contact
    if not contact.email:
        return
    with translation.override(contact.language or conversation.language or "en"):
        context = {
            "conversation": conversation,
            "links": rating_links(survey),
            "open_until": survey.open_until,
        }
        email = compose_customer_email(
            to=contact.email,
            subject=render_to_string("csat/email/survey_subject.txt", context),
            text=render_to_string("csat/email/survey_body.txt", context),
            auto_submitted="auto-generated",
        )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableError(str(exc)) from exc


@task()
def survey_deliver(*, survey_id: int, attempt: int = 1) -> None:
    """Send a survey on its channel (once: a superseded or answered survey is not sent)."""

    def send() -> None:
        survey = Survey.objects.select_related("conversation__contact").filter(pk=survey_id).first()
        if survey is None or survey.superseded or survey.answered:
            return
        if survey.channel in EMAIL_CHANNELS:
            _send_email(survey)
        elif survey.channel == Channel.TELEGRAM:
            from kefu.csat.telegram import send_survey_buttons

            send_survey_buttons(survey)

    run_with_retry(survey_deliver, send, attempt=attempt, survey_id=survey_id)
