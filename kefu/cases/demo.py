"""Demo data: one verified case waiting in the queue, for the demo's locked account."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from kefu.cases import services
from kefu.cases.models import CaseKind, VerificationCase
from kefu.contacts.models import Contact
from kefu.core.actor import Actor
from kefu.exchange.connector import AccountStatus
from kefu.exchange.models import DemoAccount


def _card(name: str, *, selfie: bool) -> bytes:
    """A plainly fake ID card (and a stick figure holding it), drawn so reviewers see images."""
    image = Image.new("RGB", (800, 600) if selfie else (856, 540), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    left, top = (220, 260) if selfie else (40, 40)
    draw.rectangle((left, top, left + 520, top + 320), fill=(250, 250, 250), outline=(40, 60, 90))
    draw.rectangle((left + 20, top + 60, left + 160, top + 240), fill=(180, 190, 205))
    draw.text((left + 20, top + 20), "DEMO IDENTITY CARD - NOT A REAL DOCUMENT", fill=(160, 0, 0))
    draw.text((left + 190, top + 80), f"Name: {name}", fill=(0, 0, 0))
    draw.text((left + 190, top + 120), "No.: DEMO-000000", fill=(0, 0, 0))
    if selfie:
        draw.ellipse((330, 40, 470, 200), fill=(230, 200, 170), outline=(90, 60, 40))
        draw.line((400, 200, 400, 260), fill=(90, 60, 40), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_demo_cases() -> int:
    """A pending unlock request for each locked demo account that has none. Returns how many."""
    created = 0
    locked = DemoAccount.objects.filter(status=AccountStatus.LOCKED).values_list("uid", flat=True)
    for contact in Contact.objects.filter(uid__in=list(locked)).exclude(email=None):
        if VerificationCase.objects.filter(contact=contact).exists():
            continue
        name = contact.name or "Demo Customer"
        services.case_submit(
            kind=CaseKind.UNLOCK,
            email=contact.email or "",
            phone="",
            description=(
                "I entered the wrong password too many times and now the app says my account "
                "is locked. 密码输错太多次，账户被锁了。"
            ),
            id_document=_card(name, selfie=False),
            selfie=_card(name, selfie=True),
            language=contact.language or "en",
            ip="203.0.113.10",
            actor=Actor.system("demo"),
        )
        created += 1
    return created
