"""Fixtures: a locked demo account owned by a contact, real JPEG/PNG photos made with Pillow,
and helpers to submit and move cases."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from kefu.cases import services
from kefu.cases.models import CaseKind, VerificationCase
from kefu.core.actor import Actor, ActorKind
from kefu.exchange.connector import AccountStatus
from kefu.exchange.demo_data import seed_demo_ledger
from kefu.exchange.models import DemoAccount
from kefu.exchange.tests.conftest import CUSTOMERS
from kefu.testing import factories

LOCKED = CUSTOMERS[1]


def photo(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), exif: bool = True) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 16):  # some detail so the encoder has work to do
        for y in range(0, size[1], 16):
            image.putpixel((x, y), (x % 255, y % 255, 90))
    out = io.BytesIO()
    if fmt == "JPEG" and exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam Ltd"  # Make
        data[0x0131] = "GPS-TRACKER 1.0"  # Software
        data[0x0112] = 6  # Orientation: rotate 90° clockwise to show
        image.save(out, format=fmt, exif=data, comment=b"secret comment")
    else:
        image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def locked_contact(db):
    """A contact whose demo exchange account is locked."""
    contact = factories.ContactFactory(
        email=LOCKED.email, uid=LOCKED.uid, name=LOCKED.name, phone=LOCKED.phone
    )
    others = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS
        if c.uid != LOCKED.uid
    ]
    seed_demo_ledger([others[0], contact, *others[1:]])
    account = DemoAccount.objects.get(uid=LOCKED.uid)
    account.status = AccountStatus.LOCKED
    account.save(update_fields=["status"])
    return contact


@pytest.fixture
def visitor() -> Actor:
    return Actor(kind=ActorKind.SYSTEM, label="verification-form", ip="203.0.113.9")


@pytest.fixture
def submit(visitor) -> Callable[..., VerificationCase]:
    def make(**overrides: object) -> VerificationCase:
        values: dict[str, object] = {
            "kind": CaseKind.UNLOCK,
            "email": LOCKED.email,
            "phone": "",
            "description": "Too many wrong passwords, now it says locked.",
            "id_document": photo(),
            "selfie": photo("PNG"),
            "language": "en",
            "ip": "203.0.113.9",
            "actor": visitor,
        }
        values.update(overrides)
        return services.case_submit(**values)  # type: ignore[arg-type]

    return make
