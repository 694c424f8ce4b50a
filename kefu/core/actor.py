"""Who performs an action. Services take an explicit Actor; nothing reads it from a thread-local."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"
    ASSISTANT = "assistant"
    API = "api"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    user_id: int | None = None
    contact_id: int | None = None
    api_key_id: int | None = None
    label: str = ""
    ip: str | None = None
    # The user row the actor was made from, when the caller already read it (a signed-in
    # agent): services take the author's display name from it instead of reading it again.
    # Never compared, hashed or shown; ``user_id`` stays the identity.
    user: Any = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)

    @property
    def ref(self) -> str:
        """A stable short reference such as ``agent:12`` for audit rows."""
        ident = self.user_id or self.contact_id or self.api_key_id
        return f"{self.kind}:{ident}" if ident else str(self.kind)
