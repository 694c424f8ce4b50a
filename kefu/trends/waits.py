"""The public figure on the contact page: the current median wait per channel (issue 10).

The wait of a conversation is the time from its opening to the first reply **by a person**
(an agent's public reply; the assistant's answers do not count). The figure is the median over
the conversations of that channel opened in the last ``wait_window_hours`` (the trend policy).

Conversations still waiting have not finished waiting: leaving them out would make the figure
look better exactly when the queue is long, and counting their wait so far as final would make
it look better too. So the median is the **Kaplan–Meier** median: a conversation still open
without a human reply is *censored* at its wait so far (and one closed without any, e.g.
solved by the assistant, at its closing). When fewer than half are answered within the
observed times, the figure is "more than" the longest observed wait. Fewer than
``wait_min_sample`` conversations: "not enough data".

One query per channel set: the conversations by the ``(created_at, id)`` index, each with its
first human reply from the ``(conversation, created_at)`` message index, at most SAMPLE_MAX of
the newest. The numbers are cached for CACHE_SECONDS (shared by both languages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kefu.core import clock
from kefu.trends.models import TrendPolicy

CACHE_KEY: Final = "kefu:trends:public-waits:v1"
CACHE_SECONDS: Final = 60
SAMPLE_MAX: Final = 5000
# Contact-page kinds that have a conversation channel of the same name (phone calls are
# answered live: their wait is not a reply time).
WAIT_KINDS: Final = ("chat", "email", "telegram")


@dataclass(frozen=True, slots=True)
class WaitFigure:
    channel: str
    sample: int  # conversations opened in the window
    answered: int  # of which a person has replied to
    seconds: int | None  # the median wait; None: not enough data
    more_than: bool  # the median is beyond the longest observed wait (``seconds``)
    window_hours: int

    @property
    def enough(self) -> bool:
        return self.seconds is not None

    @property
    def text(self) -> str:
        """``about 12 minutes`` / ``more than 3 hours`` / ``not enough data``, in the active
        language."""
        if self.seconds is None:
            return _("Not enough data yet")
        amount = duration_text(self.seconds)
        if self.more_than:
            return _("more than %(duration)s") % {"duration": amount}
        return _("about %(duration)s") % {"duration": amount}


def duration_text(seconds: int) -> str:
    if seconds < 60:
        return _("less than a minute")
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = round(seconds / 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def km_median(observations: Iterable[tuple[float, bool]]) -> tuple[float | None, bool]:
    """The Kaplan–Meier median of ``(duration, observed)`` pairs (``observed`` False: still
    waiting, censored at ``duration``). Returns ``(median, False)``, or ``(longest duration,
    True)`` when the survival curve never falls to one half; ``(None, False)`` for no data."""
    rows = sorted(observations, key=lambda o: (o[0], not o[1]))  # events before censorings
    if not rows:
        return None, False
    at_risk = len(rows)
    survival = 1.0
    i = 0
    while i < len(rows):
        t = rows[i][0]
        events = censored = 0
        while i < len(rows) and rows[i][0] == t:
            if rows[i][1]:
                events += 1
            else:
                censored += 1
            i += 1
        if events:
            survival *= 1 - events / at_risk
            if survival <= 0.5:
                return t, False
        at_risk -= events + censored
    return rows[-1][0], True


def compute_waits(
    *, now: datetime, window_hours: int
) -> dict[str, tuple[int, int, int | None, bool]]:
    """``{channel: (sample, answered, median seconds or None, more_than)}`` from the database."""
    from kefu.conversations.models import AuthorKind, Conversation, Message, MessageKind, Status

    first_human = (
        Message.objects.filter(
            conversation=OuterRef("pk"), kind=MessageKind.REPLY, author_kind=AuthorKind.AGENT
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    rows = (
        Conversation.objects.filter(
            created_at__gte=now - timedelta(hours=window_hours),
            created_at__lte=now,
            channel__in=WAIT_KINDS,
        )
        .order_by("-created_at", "-id")
        .annotate(first_human=Subquery(first_human))
        .values_list("channel", "created_at", "first_human", "status", "closed_at")[:SAMPLE_MAX]
    )
    observations: dict[str, list[tuple[float, bool]]] = {kind: [] for kind in WAIT_KINDS}
    for channel, created, first, status, closed in rows:
        if first is not None:
            observations[channel].append((max(0.0, (first - created).total_seconds()), True))
        else:
            ended = now
            if status in (Status.SOLVED, Status.CLOSED) and closed is not None:
                ended = min(now, closed)
            observations[channel].append((max(0.0, (ended - created).total_seconds()), False))
    out: dict[str, tuple[int, int, int | None, bool]] = {}
    for channel, found in observations.items():
        median, more_than = km_median(found)
        answered = sum(1 for _t, seen in found if seen)
        out[channel] = (
            len(found),
            answered,
            None if median is None else int(median),
            more_than,
        )
    return out


def public_waits(now: datetime | None = None) -> dict[str, WaitFigure]:
    """The figure for each channel of WAIT_KINDS; empty when the policy hides it. A cache hit
    costs no query (the policy's three values are cached with the numbers)."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        policy = TrendPolicy.current()
        settings = (policy.wait_public, policy.wait_window_hours, policy.wait_min_sample)
        raw = (
            compute_waits(now=now or clock.now(), window_hours=policy.wait_window_hours)
            if policy.wait_public
            else {}
        )
        cached = (settings, raw)
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    (shown, window_hours, min_sample), raw = cached
    if not shown:
        return {}
    figures = {}
    for channel, (sample, answered, seconds, more_than) in raw.items():
        enough = sample >= min_sample and seconds is not None
        figures[channel] = WaitFigure(
            channel=channel,
            sample=sample,
            answered=answered,
            seconds=seconds if enough else None,
            more_than=more_than if enough else False,
            window_hours=window_hours,
        )
    return figures


def forget() -> None:
    """Drop the cached numbers (the policy changed)."""
    cache.delete(CACHE_KEY)
