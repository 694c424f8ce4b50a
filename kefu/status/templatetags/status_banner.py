"""``{% status_banner hc_lang %}``: the open-incidents banner on every help-center page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from kefu.helpcenter.languages import best_language
from kefu.status import selectors

register = template.Library()


@register.inclusion_tag("status/_banner.html")
def status_banner(language: str | None = None) -> dict[str, Any]:
    """Open incidents and current or imminent maintenance, linked to their pages (cached a few
    seconds; nothing is rendered when there are none)."""
    lang = best_language(language or get_language())
    return {"items": selectors.open_banner_cached(lang), "lang": lang}
