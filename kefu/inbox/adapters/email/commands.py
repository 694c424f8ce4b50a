"""Commands a customer can give by email: for now one, "escalate" (docs/subsystems/routing.md,
"Customers asking to escalate").

A message is a command only when its cleaned subject, or the first line of its new text, IS
the command word or phrase (case, spaces, a trailing "!"/"." ignored), optionally followed by a
colon or dash and a reason on the same line ("Escalate: three days and no answer"); the whole
message is stored as usual and its text becomes the request's reason. A sentence
that merely mentions the word ("do I need to escalate this?") is an ordinary message: a
customer must never trigger an escalation by accident.

"投诉" (complaint) is deliberately not a command: complaints are their own conversation type,
filed from the portal with a required written resolution; an email saying 投诉 is handled by
an agent who can turn it into one.
"""

from __future__ import annotations

import re

ESCALATE = "escalate"

# Compared after ``_normalise``: lower case, inner spaces collapsed, end punctuation dropped.
ESCALATE_PHRASES = frozenset(
    {
        "escalate",
        "escalate please",
        "please escalate",
        "escalate this",
        "please escalate this",
        "escalation",
        "升级",
        "请升级",
        "我要升级",
        "申请升级",
        "要求升级",
        "升级处理",
    }
)

_SEPARATOR = re.compile(r"\s*[:：\-–—]\s*")
_END_PUNCTUATION = " .!！。"  # not "?": "escalate?" is a question, not a command


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split()).strip(_END_PUNCTUATION)


def _is_command(line: str) -> bool:
    line = line.strip()
    if _normalise(line) in ESCALATE_PHRASES:
        return True
    parts = _SEPARATOR.split(line, maxsplit=1)
    return len(parts) == 2 and _normalise(parts[0]) in ESCALATE_PHRASES


def email_command(*, subject: str, text: str) -> str:
    """The command a message gives in its cleaned subject or the first line of its new text
    ("escalate"), or "". The handler reads the reason from the stored (secret-screened) body,
    never from here."""
    first = next((line for line in (text or "").splitlines() if line.strip()), "")
    if _is_command(first) or _is_command(subject or ""):
        return ESCALATE
    return ""
