"""Fill a macro's placeholders for one conversation, and apply the fields it sets."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.conversations.models import Conversation, Macro, MacroAssign
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied

PLACEHOLDERS = ("customer_name", "reference", "agent_name", "subject")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def macro_text(macro: Macro, language: str) -> str:
    return macro.body_zh if language.startswith("zh") else macro.body_en


def macro_render(*, macro: Macro, conversation: Conversation, agent: User) -> str:
    """The macro in the conversation's language with ``{{ placeholder }}`` values filled in.

    Unknown placeholders are left as written so the agent sees them before sending.
    """
    contact = conversation.contact
    values = {
        "customer_name": contact.name or contact.email or "",
        "reference": conversation.reference,
        "agent_name": agent.display_name or agent.email,
        "subject": conversation.subject,
    }

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(fill, macro_text(macro, conversation.language))


def macro_has_actions(macro: Macro) -> bool:
    return bool(
        macro.set_status
        or macro.set_priority is not None
        or macro.set_team_id is not None
        or macro.assign
        or macro.add_tags.exists()
    )


def macro_apply(*, conversation: Conversation, macro: Macro, actor: Actor) -> list[str]:
    """Apply the macro's field changes to a conversation; the names of the fields changed.

    Each change goes through its usual service (so each is checked, audited and on the
    timeline as usual); all of them or none (one transaction). Order: team, priority, tags,
    assignee, then status last (solving asks for a rating, so it should see the final state).
    A ``macro.applied`` audit row names the macro. Staff only.
    """
    from kefu.conversations import services

    if actor.kind not in (ActorKind.AGENT, ActorKind.SYSTEM, ActorKind.API):
        raise PermissionDenied(_("You do not have permission to do that."))
    changed: list[str] = []
    with transaction.atomic():
        current = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if macro.set_team_id is not None and current.team_id != macro.set_team_id:
            services.conversation_set_team(conversation=current, team=macro.set_team, actor=actor)
            changed.append("team")
        if macro.set_priority is not None and current.priority != macro.set_priority:
            services.conversation_set_priority(
                conversation=current, priority=macro.set_priority, actor=actor
            )
            changed.append("priority")
        extra = set(macro.add_tags.values_list("name", flat=True))
        have = set(current.tags.values_list("name", flat=True))
        if extra - have:
            services.conversation_set_tags(conversation=current, names=have | extra, actor=actor)
            changed.append("tags")
        if macro.assign:
            target = None
            if macro.assign == MacroAssign.ME:
                target = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
            if (target.pk if target else None) != current.assignee_id:
                services.conversation_assign(conversation=current, assignee=target, actor=actor)
                changed.append("assignee")
        current.refresh_from_db()
        if macro.set_status and current.status != macro.set_status:
            services.conversation_set_status(
                conversation=current, status=macro.set_status, actor=actor
            )
            changed.append("status")
        audit_record(
            actor=actor,
            action="macro.applied",
            object_type="conversation",
            object_id=conversation.pk,
            data={"macro": macro.pk, "name": macro.name, "changed": changed},
        )
    return changed
