"""Small display filters for the workspace templates."""

from __future__ import annotations

from django import template

from kefu.accounts.models import Language

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """``zh-hans`` -> "Simplified Chinese" (translated); unknown codes are shown as they are."""
    labels = dict(Language.choices)
    return str(labels[code]) if code in labels else code
