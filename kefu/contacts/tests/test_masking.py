"""Masked personal data: recognisable, never the whole value."""

from __future__ import annotations

import pytest

from kefu.contacts.masking import (
    contact_display_name,
    mask_address,
    mask_email,
    mask_phone,
    masked_value,
)
from kefu.contacts.models import Contact


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", "a***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("first.last+tag@mail.example.cn", "f***@mail.example.cn"),
        ("not-an-address", "n***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_email(value, expected):
    assert mask_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+86 13812348000", "+86 138****8000"),
        ("+86 138-1234-8000", "+86 138****8000"),
        ("+44 (20) 7946 0958", "+44 207***0958"),
        ("+8613812348000", "+861******8000"),
        ("13812348000", "138****8000"),
        ("555 0123", "*****23"),
        ("12345", "***45"),
        ("1234", "****"),
        ("ext", "***"),
        ("", ""),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


def test_a_masked_phone_never_keeps_more_than_seven_digits():
    value = "+86 13812348000"
    kept = [ch for ch in mask_phone(value).split(" ", 1)[1] if ch.isdigit()]
    assert len(kept) == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0x52908400098527886E0F7030069857D2E4169EE7", "0x52…9EE7"),
        ("12 Main St", "***"),
        ("", ""),
    ],
)
def test_mask_address(value, expected):
    assert mask_address(value) == expected


def test_masked_value_and_display_name():
    contact = Contact(pk=42, email="zoe@example.org", phone="+1 2025550173", name="")

    assert masked_value(contact, "email") == "z***@example.org"
    assert masked_value(contact, "phone") == "+1 202***0173"
    assert contact_display_name(contact) == "z***@example.org"
    assert contact_display_name(Contact(pk=42, name="Zoe", email="zoe@example.org")) == "Zoe"
    assert contact_display_name(Contact(pk=42, uid="U77")) == "U77"
    assert contact_display_name(Contact(pk=42)) == "#42"
