"""Deflection: articles suggested to someone about to contact support, and whether they
contacted support anyway. A suggestion that was shown and not followed by a submission is a
deflected contact."""

from __future__ import annotations

import secrets

from django.db import transaction

from kefu.helpcenter.models import SearchSource, SuggestionShown

TOKEN_LENGTH = 22


def suggestions_shown(
    *,
    source: str,
    language: str,
    query: str,
    article_ids: list[int],
    previous_token: str | None = None,
) -> str | None:
    """Record that ``article_ids`` were suggested for ``query``; return the token the client
    sends back when it opens one or submits anyway. Nothing is recorded when nothing was shown.

    Suggestions refresh as the reader types: with the ``previous_token`` of the same typing
    session (not yet submitted) the row is updated, not duplicated, so one attempt to contact
    support counts once. Anonymous and unaudited: a count of what readers saw, not a change
    anyone decided."""
    if not article_ids or source not in SearchSource.values:
        return None
    if _valid(previous_token):
        with transaction.atomic():
            row = (
                SuggestionShown.objects.select_for_update()
                .filter(token=previous_token, source=source, submitted=False)
                .first()
            )
            if row is not None:
                row.query = query.strip()[:200]
                merged = list(dict.fromkeys([*row.article_ids, *article_ids]))
                row.article_ids = merged[:20]
                row.save(update_fields=["query", "article_ids"])
                return row.token
    token = secrets.token_urlsafe(16)[:TOKEN_LENGTH]
    SuggestionShown.objects.create(
        token=token,
        source=source,
        language=language[:16],
        query=query.strip()[:200],
        article_ids=article_ids[:20],
    )
    return token


def _valid(token: str | None) -> bool:
    return bool(token) and isinstance(token, str) and 0 < len(token) <= 32


def suggestion_opened(*, token: str | None, article_id: int) -> None:
    """Note that the reader opened one of the suggested articles (unknown tokens are ignored)."""
    if not _valid(token):
        return
    with transaction.atomic():
        row = SuggestionShown.objects.select_for_update().filter(token=token).first()
        if row is not None and article_id in row.article_ids and row.opened_article_id is None:
            row.opened_article_id = article_id
            row.save(update_fields=["opened_article_id"])


def suggestion_submitted(*, token: str | None) -> None:
    """Note that the reader contacted support after seeing the suggestions (not deflected)."""
    if not _valid(token):
        return
    SuggestionShown.objects.filter(token=token, submitted=False).update(submitted=True)
