"""The survey on Telegram: inline keyboard buttons under the question, and the presses.

Presses arrive as ``callback_query`` updates through the channel pipeline (stored first,
idempotent on ``update_id``); kefu.inbox hands presses whose data starts with ``csat:`` to
:func:`button_pressed`. Button data: ``csat:<survey id>:<1-5>`` for the rating, then
``csat:<survey id>:y`` / ``:n`` for "was your problem resolved?", answered with the signed
survey page's link, where the customer can add a comment (buttons carry none). After a negative
answer (low rating or not resolved) that message also has a button "Ask a senior colleague to
review it" (``csat:<survey id>:e``), which asks kefu.routing to escalate (source csat). The press
counts for the contact behind the Telegram identity, so only the survey's own customer can
answer.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from kefu.contacts.models import Contact
from kefu.conversations.models import Channel
from kefu.core.actor import Actor
from kefu.core.errors import KefuError, PermanentError, RetryableError
from kefu.csat.links import rating_url
from kefu.csat.models import Survey
from kefu.csat.payloads import survey_can_escalate
from kefu.csat.services import survey_answer, survey_request_escalation
from kefu.inbox.adapters import get_adapter
from kefu.inbox.adapters.base import OutboundMessage
from kefu.inbox.models import ChannelIdentity


def _thread_key(survey: Survey) -> str:
    identity = (
        ChannelIdentity.objects.filter(
            channel=Channel.TELEGRAM, contact_id=survey.conversation.contact_id
        )
        .exclude(thread_key="")
        .order_by("-linked", "-pk")
        .first()
    )
    if identity is None:
        raise PermanentError("the customer has no Telegram chat")
    return identity.thread_key


def send_survey_buttons(survey: Survey) -> None:
    """Ask the rating question with five buttons (RetryableError / PermanentError as the
    adapter raises them)."""
    adapter = get_adapter(Channel.TELEGRAM)
    if adapter is None or not adapter.is_configured():
        return
    conversation = survey.conversation
    with translation.override(conversation.contact.language or conversation.language or "en"):
        text = _(
            "Your request %(ref)s has been solved. How satisfied are you with our help? "
            "(1 = very unsatisfied, 5 = very satisfied)"
        ) % {"ref": conversation.reference}
    adapter.send(
        OutboundMessage(
            thread_key=_thread_key(survey),
            text=text,
            buttons=tuple((str(n), f"csat:{survey.pk}:{n}") for n in range(1, 6)),
        )
    )


def _parse(data: str) -> tuple[int, str] | None:
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "csat" or not parts[1].isdigit():
        return None
    if parts[2] not in ("1", "2", "3", "4", "5", "y", "n", "e"):
        return None
    return int(parts[1]), parts[2]


def button_pressed(
    *, data: str, contact: Contact, actor: Actor, adapter: Any, thread_key: str
) -> str:
    """Record a survey button press; the text to send back to the chat ("" when sent here)."""
    parsed = _parse(data)
    if parsed is None:
        return ""
    survey_id, choice = parsed
    survey = Survey.objects.filter(pk=survey_id, conversation__contact=contact).first()
    if survey is None:
        return _("This survey is not available.")
    try:
        if choice == "e":
            if not survey_request_escalation(survey=survey, actor=actor):
                return _(
                    "You can ask for a review here after a low rating or an unresolved problem."
                )
            return _("Thank you. A senior colleague will review your conversation.")
        if choice in ("y", "n"):
            if survey.rating is None:
                return _("Please choose a rating first.")
            survey = survey_answer(
                survey=survey,
                rating=survey.rating,
                resolved=choice == "y",
                comment=survey.comment,
                actor=actor,
            )
            # Buttons cannot carry a comment: the signed survey page takes one (and changes).
            thanks = _(
                "Thank you for your feedback. To add a comment, or change your answer until "
                "%(until)s, open: %(url)s"
            ) % {
                "until": formats.date_format(survey.open_until, "DATE_FORMAT"),
                "url": rating_url(survey_id=survey.pk, rating=survey.rating or 1),
            }
            if not survey_can_escalate(survey):
                return thanks
            # A negative answer: offer the senior review right here (one more button).
            try:
                adapter.send(
                    OutboundMessage(
                        thread_key=thread_key,
                        text=thanks,
                        buttons=(
                            (_("Ask a senior colleague to review it"), f"csat:{survey.pk}:e"),
                        ),
                    )
                )
            except (RetryableError, PermanentError):
                return thanks  # best effort, like every bot notice: at least the link
            return ""
        survey = survey_answer(
            survey=survey,
            rating=int(choice),
            resolved=survey.resolved,
            comment=survey.comment,
            actor=actor,
        )
    except KefuError as exc:
        return exc.message
    adapter.send(
        OutboundMessage(
            thread_key=thread_key,
            text=_("Thank you! Was your problem resolved?"),
            buttons=((_("Yes"), f"csat:{survey.pk}:y"), (_("No"), f"csat:{survey.pk}:n")),
        )
    )
    return ""
