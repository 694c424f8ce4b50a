"""Public reads of the official contact options (no permission needed: customers see them)."""

from __future__ import annotations

from typing import TypedDict

from kefu.helpcenter.models import ContactOption


class PublicContactOption(TypedDict):
    kind: str
    label: str
    value: str
    url: str
    hours: str


def public_contact_options(language: str) -> list[PublicContactOption]:
    """The active options in display order, labelled in ``language`` (Chinese for ``zh-*``,
    English otherwise). A missing Chinese hours note falls back to the English one."""
    chinese = (language or "").lower().startswith("zh")
    return [
        {
            "kind": option.kind,
            "label": option.label_zh if chinese else option.label_en,
            "value": option.value,
            "url": option.url,
            "hours": (option.hours_note_zh or option.hours_note_en)
            if chinese
            else option.hours_note_en,
        }
        for option in ContactOption.objects.filter(is_active=True).order_by("order", "id")
    ]
