"""Fill a macro's placeholders for one conversation."""

from __future__ import annotations

import re

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, Macro

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
