"""``scan(text)``: every secret in a customer's message, and the message with them redacted.

The detectors (``seeds``, ``keys``, ``credentials``) share one pass over the message's cue words
(``context``). Their findings are merged into sorted, non-overlapping spans; where two overlap
the span is their union and the kind is the more dangerous one (a seed phrase outranks a key,
a key an API secret, and so on). See docs/subsystems/guard.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kefu.guard.context import find_cues
from kefu.guard.credentials import find_credentials
from kefu.guard.keys import find_keys
from kefu.guard.seeds import SEED_KIND, find_seed_phrases

logger = logging.getLogger(__name__)

REDACTION = "█████"
KINDS = ("seed_phrase", "private_key", "api_secret", "password", "otp_code")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

# Longer messages are scanned in overlapping chunks so the work stays linear and bounded per
# chunk; a secret is far shorter than the overlap, so none is cut in two unseen.
CHUNK = 20_000
OVERLAP = 2_000
_SINGLE_PASS_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: tuple[Finding, ...]
    redacted: str


def _scan_part(text: str) -> list[tuple[str, int, int]]:
    ctx = find_cues(text)
    found: list[tuple[str, int, int]] = []
    detectors: tuple[Callable[[], list[tuple[str, int, int]]], ...] = (
        lambda: [(SEED_KIND, s, e) for s, e in find_seed_phrases(text, ctx)],
        lambda: find_keys(text, ctx),
        lambda: find_credentials(ctx),
    )
    for detector in detectors:
        try:
            found.extend(detector())
        except Exception:  # a detector's bug must not let the other secrets through
            logger.exception("guard detector failed")
    return found


def _merge(raw: list[tuple[str, int, int]]) -> tuple[Finding, ...]:
    merged: list[Finding] = []
    for kind, start, end in sorted(raw, key=lambda f: (f[1], -f[2])):
        if start >= end:
            continue
        if merged and start < merged[-1].end:
            last = merged[-1]
            stronger = kind if _RANK[kind] < _RANK[last.kind] else last.kind
            merged[-1] = Finding(stronger, last.start, max(last.end, end))
            continue
        merged.append(Finding(kind, start, end))
    return tuple(merged)


def _redact(text: str, findings: tuple[Finding, ...]) -> str:
    parts: list[str] = []
    pos = 0
    for finding in findings:
        parts.append(text[pos : finding.start])
        parts.append(REDACTION)
        pos = finding.end
    parts.append(text[pos:])
    return "".join(parts)


def scan(text: str) -> ScanResult:
    """Find the secrets in ``text``; never raises."""
    if not isinstance(text, str) or not text:
        return ScanResult((), text if isinstance(text, str) else "")
    raw: list[tuple[str, int, int]] = []
    if len(text) <= _SINGLE_PASS_LIMIT:
        raw = _scan_part(text)
    else:
        for offset in range(0, len(text), CHUNK - OVERLAP):
            part = text[offset : offset + CHUNK]
            raw.extend((k, s + offset, e + offset) for k, s, e in _scan_part(part))
            if offset + CHUNK >= len(text):
                break
    raw = [(k, s, e) for k, s, e in raw if k in _RANK and 0 <= s < e <= len(text)]
    findings = _merge(raw)
    return ScanResult(findings, _redact(text, findings))
