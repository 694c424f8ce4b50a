"""The intents the assistant recognises: the interface other code relies on (names fixed)."""

from __future__ import annotations

from typing import Final

OTHER: Final = "other"

INTENTS: Final[tuple[str, ...]] = (
    "withdrawal_status",
    "withdrawal_failed",
    "deposit_missing",
    "deposit_howto",
    "fees_limits",
    "trading",
    "account_access",
    "two_factor",
    "kyc",
    "security",
    "card",
    "refund_dispute",
    "account_settings",
    "eligibility",
    "human_agent",
    "official_check",
    OTHER,
)
