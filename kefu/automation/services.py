"""Evaluate automation rules on a conversation and apply their actions.

Rules are evaluated by the worker (``kefu.automation.tasks``): on "conversation created", on
"customer message", and every minute for time conditions ("waiting"). A rule fires at most once
per conversation per trigger (``RuleFiring`` is claimed first, unique), so a repeat of the same
event, two workers, or a rule whose action would match it again change nothing: that is the
loop guard too (actions never start another evaluation). Every action goes through the usual
conversation service with a system actor labelled ``rule: <name>``, so the audit and the
timeline name the rule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from kefu.audit.services import audit_record
from kefu.automation.models import AutomationRule, RuleFiring, Trigger
from kefu.conversations import services as conversation_services
from kefu.conversations.models import Conversation, Message, MessageKind, Status
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied
from kefu.core.validation import field_error
from kefu.sla.services import staff_alert_notify


def rule_actor(rule: AutomationRule) -> Actor:
    return Actor.system(f"rule: {rule.name}"[:120])


def _matches(rule: AutomationRule, conversation: Conversation, text: str) -> bool:
    if rule.channel and conversation.channel != rule.channel:
        return False
    if rule.category and conversation.category != rule.category:
        return False
    if rule.language and not conversation.language.startswith(rule.language):
        return False
    if rule.priority is not None and conversation.priority != rule.priority:
        return False
    if rule.status and conversation.status != rule.status:
        return False
    if rule.vip_only and not conversation.contact.vip_tier:
        return False
    if rule.has_tag_id is not None and not conversation.tags.filter(pk=rule.has_tag_id).exists():
        return False
    if rule.text_contains and rule.text_contains.casefold() not in text.casefold():
        return False
    quiet_since = clock.now() - timedelta(minutes=rule.waiting_minutes or 0)
    return rule.waiting_minutes is None or conversation.last_activity_at <= quiet_since


def _latest_customer_text(conversation: Conversation) -> str:
    message = (
        Message.objects.filter(
            conversation=conversation, kind=MessageKind.REPLY, author_kind="customer"
        )
        .order_by("-seq")
        .first()
    )
    return f"{conversation.subject}\n{message.body if message else ''}"


def _apply(rule: AutomationRule, conversation: Conversation) -> list[str]:
    actor = rule_actor(rule)
    done: list[str] = []
    if rule.add_tag_id is not None:
        names = set(conversation.tags.values_list("name", flat=True))
        if rule.add_tag and rule.add_tag.name not in names:
            conversation_services.conversation_set_tags(
                conversation=conversation, names=names | {rule.add_tag.name}, actor=actor
            )
            done.append("tag")
    if rule.set_priority is not None and conversation.priority != rule.set_priority:
        conversation_services.conversation_set_priority(
            conversation=conversation, priority=rule.set_priority, actor=actor
        )
        done.append("priority")
    if rule.route_to_team_id is not None and conversation.team_id != rule.route_to_team_id:
        conversation_services.conversation_set_team(
            conversation=conversation, team=rule.route_to_team, actor=actor
        )
        done.append("team")
    if rule.notify:
        # On the timeline (an internal note) and to people: an alert to the assignee and the
        # team's supervisors, with the live badge (kefu.sla.services.staff_alert_notify).
        conversation_services.note_add(
            conversation=conversation, body=f"[{rule.name}] {rule.notify}", actor=actor
        )
        staff_alert_notify(
            conversation=conversation, text=f"[{rule.name}] {rule.notify}", actor=actor
        )
        done.append("notify")
    return done


def automation_evaluate(*, conversation: Conversation, trigger: str) -> list[str]:
    """Fire every active rule of ``trigger`` whose conditions the conversation meets (each at
    most once per conversation and trigger); the names of the rules fired."""
    rules = list(
        AutomationRule.objects.filter(is_active=True, trigger=trigger).select_related(
            "add_tag", "route_to_team"
        )
    )
    if not rules:
        return []
    conversation = Conversation.objects.select_related("contact").get(pk=conversation.pk)
    if conversation.status == Status.CLOSED:
        return []
    text = _latest_customer_text(conversation) if any(r.text_contains for r in rules) else ""
    fired: list[str] = []
    for rule in rules:
        if not _matches(rule, conversation, text):
            continue
        try:
            with transaction.atomic():
                RuleFiring.objects.create(
                    rule=rule, conversation=conversation, trigger=trigger, created_at=clock.now()
                )
                done = _apply(rule, conversation)
                audit_record(
                    actor=rule_actor(rule),
                    action="automation.fired",
                    object_type="conversation",
                    object_id=conversation.pk,
                    data={"rule": rule.pk, "name": rule.name, "trigger": trigger, "actions": done},
                )
        except IntegrityError:
            continue  # fired before (a repeat, or another worker)
        conversation.refresh_from_db()
        fired.append(rule.name)
    return fired


def automation_waiting_due(*, limit: int = 500) -> list[int]:
    """Open conversations that some active "waiting" rule may now fire on: quiet for at least
    the shortest rule's minutes, and not yet fired on by every waiting rule (bounded)."""
    rules = list(AutomationRule.objects.filter(is_active=True, trigger=Trigger.WAITING))
    if not rules:
        return []
    cutoff = clock.now() - timedelta(minutes=min(r.waiting_minutes or 0 for r in rules))
    return list(
        Conversation.objects.filter(last_activity_at__lte=cutoff)
        .exclude(status__in=(Status.SOLVED, Status.CLOSED))
        .annotate(
            fired_count=Subquery(
                RuleFiring.objects.filter(trigger=Trigger.WAITING, conversation_id=OuterRef("pk"))
                .values("conversation_id")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            )
        )
        .filter(Q(fired_count__isnull=True) | Q(fired_count__lt=len(rules)))
        .order_by("last_activity_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- the rules themselves (backoffice) -------------------------------------------------------

RULE_FIELDS = (
    "name",
    "is_active",
    "position",
    "trigger",
    "channel",
    "category",
    "language",
    "priority",
    "has_tag",
    "text_contains",
    "vip_only",
    "status",
    "waiting_minutes",
    "add_tag",
    "set_priority",
    "route_to_team",
    "notify",
)


def _require_manager(actor: Actor) -> None:
    from kefu.accounts import permissions
    from kefu.accounts.models import User

    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def automation_rule_save(
    *, rule: AutomationRule | None, data: dict[str, Any], actor: Actor
) -> AutomationRule:
    """Create or update a rule (supervisors and admins). A rule needs at least one action, and a
    "waiting" rule needs its minutes."""
    _require_manager(actor)
    if not any(
        data.get(f) not in (None, "")
        for f in ("add_tag", "set_priority", "route_to_team", "notify")
    ):
        raise field_error("notify", _("Choose at least one action."))
    if data.get("trigger") == Trigger.WAITING and not data.get("waiting_minutes"):
        raise field_error("waiting_minutes", _("Say how many minutes of waiting."))
    with transaction.atomic():
        created = rule is None
        rule = rule or AutomationRule()
        for name in RULE_FIELDS:
            if name in data:
                setattr(rule, name, data[name])
        rule.save()
        audit_record(
            actor=actor,
            action="automation.rule_created" if created else "automation.rule_updated",
            object_type="automation_rule",
            object_id=rule.pk,
            data={"name": rule.name, "trigger": rule.trigger, "active": rule.is_active},
        )
    return rule


def automation_rule_delete(*, rule: AutomationRule, actor: Actor) -> None:
    """Delete a rule (its firing history goes with it)."""
    _require_manager(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="automation.rule_deleted",
            object_type="automation_rule",
            object_id=rule.pk,
            data={"name": rule.name},
        )
        rule.delete()
