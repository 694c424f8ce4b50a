"""Every write to surveys and follow-up tasks. See docs/subsystems/csat.md.

``survey_open`` is called by the conversations service inside the transaction that solves a
conversation; everything else is called by views, the chat session and channel handlers.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_changes, audit_record
from kefu.conversations import secret_guard
from kefu.conversations.models import Conversation, TimelineKind
from kefu.conversations.timeline import timeline_add
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import field_error
from kefu.csat.models import FollowUp, FollowUpStatus, Survey, SurveyPolicy

MAX_COMMENT_CHARS = 2000
MAX_NOTE_CHARS = 2000


def _timeline(conversation_id: int, actor: Actor, data: dict[str, Any]) -> None:
    timeline_add(conversation_id, TimelineKind.SURVEY, actor, data=data)


def _audit(action: str, object_type: str, object_id: int, actor: Actor, **data: Any) -> None:
    audit_record(
        actor=actor, action=action, object_type=object_type, object_id=object_id, data=data
    )


def _supervisor(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if user is None or not permissions.sees_all(user):
        raise PermissionDenied(_("Only supervisors and admins handle follow-up tasks."))
    return user


# --- surveys --------------------------------------------------------------------------------


def survey_open(*, conversation: Conversation, actor: Actor) -> Survey | None:
    """Ask the customer to rate a conversation that was just solved (None when surveys are off).

    Call inside the transaction that solves it, holding its row lock. Earlier surveys of the
    conversation are superseded: a reopened-then-solved conversation is asked again.
    """
    policy = SurveyPolicy.current()
    if not policy.enabled:
        return None
    now = clock.now()
    Survey.objects.filter(conversation_id=conversation.pk, superseded=False).update(superseded=True)
    survey = Survey.objects.create(
        conversation_id=conversation.pk,
        channel=conversation.channel,
        created_at=now,
        open_until=now + policy.window,
    )
    Conversation.objects.filter(pk=conversation.pk).update(survey_open_until=survey.open_until)
    conversation.survey_open_until = survey.open_until
    _timeline(conversation.pk, actor, {"event": "sent", "survey": survey.pk})
    _audit("survey.sent", "survey", survey.pk, actor, conversation=conversation.pk)
    from kefu.csat.tasks import survey_deliver

    enqueue_on_commit(survey_deliver, survey_id=survey.pk, attempt=1)
    return survey


def _clean_comment(comment: str) -> tuple[str, tuple[str, ...]]:
    """The comment as it may be stored (secrets hidden, kinds found), or ValidationFailed."""
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise field_error("comment", _("The comment is too long (at most 2,000 characters)."))
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise field_error("comment", _("Remove the control characters from the comment."))
    if not text:
        return "", ()
    screened = secret_guard.screen_inbound(body=text, subject="", attachments=())
    return screened.body, screened.kinds


def survey_answer(
    *,
    survey: Survey,
    rating: int,
    resolved: bool | None,
    comment: str = "",
    actor: Actor,
) -> Survey:
    """Record (or change) the customer's answer: a rating 1-5, resolved yes/no, a comment.

    Only the conversation's own customer may answer, only while the survey is open (not
    superseded, before ``open_until``). A comment is screened by the secret guard first. A
    rating at or below the policy's threshold opens a follow-up task for supervisors (once).
    """
    conversation = Conversation.objects.only("contact_id").get(pk=survey.conversation_id)
    if actor.kind != ActorKind.CUSTOMER or actor.contact_id != conversation.contact_id:
        raise PermissionDenied(_("Only the customer can answer this survey."))
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise field_error("rating", _("Choose a rating from 1 to 5."))
    if resolved is not None and not isinstance(resolved, bool):
        raise field_error("resolved", _("Say whether your problem was resolved."))
    text, kinds = _clean_comment(comment)
    policy = SurveyPolicy.current()
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        now = clock.now()
        if survey.superseded or now >= survey.open_until:
            raise InvalidTransition(_("This survey can no longer be answered."))
        changed = survey.answered
        previous = survey.rating
        survey.rating, survey.resolved, survey.comment = rating, resolved, text
        if changed:
            survey.changed_at = now
        else:
            survey.answered_at = now
        survey.save(update_fields=["rating", "resolved", "comment", "answered_at", "changed_at"])
        data: dict[str, Any] = {
            "event": "changed" if changed else "answered",
            "survey": survey.pk,
            "rating": rating,
            "resolved": resolved,
        }
        _timeline(survey.conversation_id, actor, data)
        _audit(
            "survey.changed" if changed else "survey.answered",
            "survey",
            survey.pk,
            actor,
            conversation=survey.conversation_id,
            rating=rating,
            previous=previous,
            resolved=resolved,
            comment_chars=len(text),
            secrets_hidden=list(kinds),
        )
        if rating <= policy.low_rating_at_most:
            _followup_open(survey, actor)
    return survey


def survey_is_negative(survey: Survey) -> bool:
    policy = SurveyPolicy.current()
    return survey.rating is not None and (
        survey.rating <= policy.low_rating_at_most or survey.resolved is False
    )


def survey_request_escalation(*, survey: Survey, actor: Actor) -> bool:
    """After a negative answer, ask for escalation on the customer's behalf.

    The CSAT service vouches for the rating, so it asks ``kefu.routing`` as the system with
    ``source="csat"`` (no waiting time); the request then waits for a senior agent's decision
    like any other and is audited there. Only while the survey is open (the one being asked,
    before ``open_until``: InvalidTransition otherwise). Returns False when the stored answer is
    not negative; raises routing's errors (a request already pending, too soon after the last
    one) for the form, the chat frame and the Telegram button.
    """
    from kefu.routing.escalation import escalation_request
    from kefu.routing.models import EscalationSource

    conversation = Conversation.objects.get(pk=survey.conversation_id)
    if actor.kind != ActorKind.CUSTOMER or actor.contact_id != conversation.contact_id:
        raise PermissionDenied(_("Only the customer can answer this survey."))
    survey = Survey.objects.get(pk=survey.pk)  # the answer as stored, not as the caller holds it
    if survey.superseded or clock.now() >= survey.open_until:
        raise InvalidTransition(_("This survey can no longer be answered."))
    if not survey_is_negative(survey):
        return False
    reason = _("The customer rated the conversation %(rating)s of 5 and asked to escalate.") % {
        "rating": survey.rating
    }
    escalation_request(
        conversation=conversation,
        reason=reason,
        actor=Actor.system("csat"),
        source=EscalationSource.CSAT,
    )
    return True


# --- follow-up tasks ------------------------------------------------------------------------


def _followup_open(survey: Survey, actor: Actor) -> FollowUp | None:
    """Create the survey's follow-up task unless it has one (a changed answer adds none)."""
    if FollowUp.objects.filter(survey_id=survey.pk).exists():
        return None
    task = FollowUp.objects.create(
        survey=survey, conversation_id=survey.conversation_id, created_at=clock.now()
    )
    _audit(
        "followup.created",
        "csat_followup",
        task.pk,
        actor,
        survey=survey.pk,
        conversation=survey.conversation_id,
        rating=survey.rating,
    )
    return task


def followup_assign(*, task: FollowUp, assignee: User | None, actor: Actor) -> FollowUp:
    """Give an open follow-up task to a supervisor or admin (or take it back: None)."""
    _supervisor(actor)
    if assignee is not None and not permissions.sees_all(assignee):
        raise field_error("assignee", _("Follow-up tasks go to supervisors and admins."))
    with transaction.atomic():
        task = FollowUp.objects.select_for_update().get(pk=task.pk)
        if task.status != FollowUpStatus.OPEN:
            raise InvalidTransition(_("This task is already done."))
        old = task.assignee_id
        new = assignee.pk if assignee else None
        if old == new:
            return task
        task.assignee = assignee
        task.save(update_fields=["assignee"])
        _audit("followup.assigned", "csat_followup", task.pk, actor, **{"from": old, "to": new})
    return task


def followup_complete(*, task: FollowUp, note: str, actor: Actor) -> FollowUp:
    """Mark a follow-up task done with a note saying what was done (required)."""
    user = _supervisor(actor)
    note = (note or "").strip()
    if len(note) < 3:
        raise field_error("note", _("Say what you did."))
    if len(note) > MAX_NOTE_CHARS:
        raise field_error("note", _("The note is too long (at most 2,000 characters)."))
    with transaction.atomic():
        task = FollowUp.objects.select_for_update().get(pk=task.pk)
        if task.status != FollowUpStatus.OPEN:
            raise InvalidTransition(_("This task is already done."))
        task.status = FollowUpStatus.DONE
        task.note = note
        task.completed_at = clock.now()
        task.completed_by = user
        task.save(update_fields=["status", "note", "completed_at", "completed_by"])
        _audit("followup.completed", "csat_followup", task.pk, actor, note=note)
    return task


ANSWER_DAYS_MAX = 60


def survey_policy_save(
    *, enabled: bool, answer_days: int, low_rating_at_most: int, actor: Actor
) -> SurveyPolicy:
    """Set the survey policy (one row; supervisors and admins; audited with what changed).

    ``answer_days`` is 1..60 and ``low_rating_at_most`` 0..5 (0: no follow-up tasks);
    ValidationFailed otherwise and nothing is saved. Saving the same values writes nothing.
    """
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    if not 1 <= answer_days <= ANSWER_DAYS_MAX:
        raise field_error(
            "answer_days",
            _("Choose between 1 and %(max)d days.") % {"max": ANSWER_DAYS_MAX},
        )
    if not 0 <= low_rating_at_most <= 5:
        raise field_error("low_rating_at_most", _("Choose a rating between 0 and 5."))
    values: dict[str, Any] = {
        "enabled": bool(enabled),
        "answer_days": answer_days,
        "low_rating_at_most": low_rating_at_most,
    }
    with transaction.atomic():
        policy, _created = SurveyPolicy.objects.select_for_update().get_or_create(pk=1)
        audit_changes(
            policy, values, actor=actor, action="csat.policy_updated", object_type="survey_policy"
        )
    return policy
