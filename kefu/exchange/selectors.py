"""Reads of the exchange app's own tables: the diagnosis policy.

Lookups of a customer's exchange data are not here: they go through the audited services in
``kefu.exchange.services``.
"""

from __future__ import annotations

from django.core.cache import cache

from kefu.exchange.models import DiagnosisPolicy
from kefu.exchange.service_levels import DEFAULT, ServiceLevels

POLICY_PK = 1
POLICY_CACHE_KEY = "exchange:diagnosis-policy:v1"
# The saving process drops the cached value on commit, and with Redis every process shares it;
# without Redis (one in-memory cache per process) another process sees a change within this.
POLICY_CACHE_SECONDS = 60


def diagnosis_policy_row() -> DiagnosisPolicy:
    """The saved policy row, or (until an admin saves one) the defaults, unsaved. Uncached:
    for the management page."""
    policy = DiagnosisPolicy.objects.filter(pk=POLICY_PK).first()
    return policy if policy is not None else DiagnosisPolicy(pk=POLICY_PK)


def diagnosis_policy_get() -> ServiceLevels:
    """The service levels in force (at most one query, then cached; a save invalidates it)."""
    levels = cache.get(POLICY_CACHE_KEY)
    if isinstance(levels, ServiceLevels):
        return levels
    row = DiagnosisPolicy.objects.filter(pk=POLICY_PK).first()
    levels = row.levels() if row is not None else DEFAULT
    cache.set(POLICY_CACHE_KEY, levels, timeout=POLICY_CACHE_SECONDS)
    return levels


def diagnosis_policy_forget() -> None:
    """Drop the cached policy (called on commit of a save)."""
    cache.delete(POLICY_CACHE_KEY)
