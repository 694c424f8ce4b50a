"""The two secrets of a callback: the customer's code and the agent's phrase.

- The **customer code** (six digits) is shown only on the customer's own portal page. The agent
  asks the customer to read it out and types it into the workspace: a caller who is not the
  account holder cannot know it.
- The **agent phrase** (three everyday words) is shown to the assigned agent in the workspace
  and to the customer in the portal ("the agent who calls you will say ..."): a caller who is
  not our staff cannot know it.

Both are sealed at rest (kefu.core.secretbox) rather than hashed, because the portal and the
workspace must show them again. They never go into audit data or logs.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata

from kefu.core import secretbox
from kefu.trust import phrases

CODE_DIGITS = 6
_CODE_PURPOSE = b"kefu.callbacks.customer-code"
_PHRASE_PURPOSE = b"kefu.callbacks.agent-phrase"
_SEPARATORS = re.compile(r"[\s\-_.·]+")


def new_customer_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_agent_phrase(language: str) -> str:
    return phrases.generate(language, count=3)


def seal_code(code: str) -> str:
    return secretbox.seal(code, purpose=_CODE_PURPOSE)


def seal_phrase(phrase: str) -> str:
    return secretbox.seal(phrase, purpose=_PHRASE_PURPOSE)


def open_code(sealed: str) -> str:
    return secretbox.unseal(sealed, purpose=_CODE_PURPOSE).plaintext


def open_phrase(sealed: str) -> str:
    return secretbox.unseal(sealed, purpose=_PHRASE_PURPOSE).plaintext


def normalise_code(entered: str) -> str | None:
    """The entered code as six ASCII digits (full-width digits and spaces are forgiven), or None
    when it cannot be a code at all."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", entered or ""))
    if len(text) != CODE_DIGITS or not text.isascii() or not text.isdigit():
        return None
    return text


def code_matches(sealed: str, entered: str) -> bool:
    """Constant-time comparison of a normalised entered code with the sealed one."""
    return hmac.compare_digest(open_code(sealed).encode(), entered.encode())
