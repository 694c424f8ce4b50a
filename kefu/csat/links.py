"""The one-click rating links in survey emails: signed with django.core.signing, expiring.

A link carries the survey and the rating it stands for. Opening it only shows a confirmation
page (mail scanners that prefetch links must not vote); the page's POST records the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "kefu.csat.rating-link"


@dataclass(frozen=True)
class LinkClaim:
    survey_id: int
    rating: int


def rating_token(*, survey_id: int, rating: int) -> str:
    return signing.dumps({"s": survey_id, "r": rating}, salt=SALT, compress=False)


def rating_url(*, survey_id: int, rating: int) -> str:
    """The absolute URL of the signed rating page (email links; Telegram's "add a comment")."""
    token = rating_token(survey_id=survey_id, rating=rating)
    return settings.KEFU_PUBLIC_URL.rstrip("/") + reverse("csat:rate", args=[token])


def read_token(token: str, *, max_age_seconds: float) -> LinkClaim | None:
    """The claim in a genuine, unexpired token; None for anything forged, altered or old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=int(max_age_seconds))
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    survey_id, rating = data.get("s"), data.get("r")
    if not isinstance(survey_id, int) or not isinstance(rating, int) or not 1 <= rating <= 5:
        return None
    return LinkClaim(survey_id=survey_id, rating=rating)
