"""The service levels a diagnosis quotes to customers ("reviews are usually finished within 24
hours") and checks records against ("pending review longer than that: tell an agent").

Pure: the values an exchange's admins choose live in ``DiagnosisPolicy`` (one row, edited at
/agent/manage/diagnosis-policy/) and reach ``diagnose`` as a ``ServiceLevels``; ``DEFAULT``
holds the values used until an admin saves the policy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceLevels:
    review_hours: int = 24  # a withdrawal or deposit review
    processing_minutes: int = 30  # an approved withdrawal being sent
    whitelist_lock_hours: int = 24  # a newly whitelisted address before it can be used
    recovery_days: int = 7  # a wrong-network deposit recovery (working days)


DEFAULT = ServiceLevels()

# (smallest, largest) value an admin may choose for each field.
BOUNDS: dict[str, tuple[int, int]] = {
    "review_hours": (1, 720),
    "processing_minutes": (1, 1440),
    "whitelist_lock_hours": (1, 720),
    "recovery_days": (1, 90),
}
FIELDS = tuple(BOUNDS)
