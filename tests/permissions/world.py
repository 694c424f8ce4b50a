"""The personas and the objects the permission matrix visits.

One ``World`` per test: customer 1's conversation on team A (with an attachment), customer 2's
on team B, a published help-center article with an image, an incident, and one of every
back-office object, each created through its service like production data.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from django.test import override_settings

from kefu.accounts.models import KbRole, Role, User
from kefu.accounts.services import actor_for_user, apikey_create
from kefu.conversations import services as conversation_services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment, Conversation
from kefu.core.actor import Actor
from kefu.testing import factories

# Every persona a request can come from; "anonymous" is a visitor with no session.
PERSONAS = (
    "anonymous",
    "customer_1",
    "customer_2",
    "agent_a",
    "agent_b",
    "senior",
    "kb_editor",
    "supervisor",
    "admin",
)
STAFF = ("agent_a", "agent_b", "senior", "kb_editor", "supervisor", "admin")
CUSTOMERS = ("customer_1", "customer_2")


def png_bytes() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x80\xff"))
        + chunk(b"IEND", b"")
    )


@dataclass
class World:
    users: dict[str, User]
    conversation: Conversation  # customer 1's, team A, tier 1
    other_conversation: Conversation  # customer 2's, team B
    attachment: Attachment
    article_slug: str
    image_pk: int
    image_name: str
    incident_pk: int
    team_pk: int
    tag_pk: int
    macro_pk: int
    calendar_pk: int
    contact_option_pk: int
    chat_site_pk: int
    chat_site_key: str
    api_key_pk: int
    category_pk: int
    section_pk: int
    official_channel_pk: int
    webhook_pk: int
    delivery_pk: int
    hold_pk: int
    erasure_pk: int

    def user(self, persona: str) -> User | None:
        return self.users.get(persona)


def build_world(
    *,
    team_a: Any,
    team_b: Any,
    agent_a: User,
    agent_b: User,
    senior: User,
    supervisor: User,
    admin_user: User,
    customer_1: User,
    customer_2: User,
) -> World:
    from kefu.helpcenter.services import (
        article_create,
        article_image_add,
        article_publish,
        category_save,
        section_save,
    )
    from kefu.helpcenter.services.contacts import contact_option_save
    from kefu.inbox.sites import chat_site_save
    from kefu.integrations.services import endpoint_create, endpoint_send_ping
    from kefu.privacy.services.erasure import erasure_request
    from kefu.privacy.services.holds import hold_place
    from kefu.sla.services import calendar_save
    from kefu.status.services import incident_create
    from kefu.trust.services import official_channel_save

    kb_editor = factories.StaffFactory(
        email="kb.editor@kefu.test", role=Role.AGENT_L1, teams=[team_a], kb_role=KbRole.EDITOR
    )
    system = Actor.system("permission matrix")
    admin = actor_for_user(admin_user)
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    conversation_services.message_reply(
        conversation=conversation,
        body="Here is the screenshot.",
        attachments=[UploadedFile(filename="shot.png", content=png_bytes())],
        actor=actor_for_user(customer_1),
    )
    attachment = Attachment.objects.filter(message__conversation=conversation).get()
    other = factories.ConversationFactory(contact=customer_2.contact, team=team_b)

    category = category_save(slug="matrix", names={"en": "Matrix", "zh-hans": "矩阵"}, actor=system)
    section = section_save(
        category=category, slug="matrix-s", names={"en": "S", "zh-hans": "节"}, actor=system
    )
    translation = article_create(
        section=section,
        slug="matrix-article",
        language="en",
        title="How withdrawals work",
        body="Withdrawals are reviewed.",
        actor=system,
    )
    article_publish(translation=translation, actor=system)
    image = article_image_add(
        article=translation.article,
        upload=UploadedFile(filename="diagram.png", content=png_bytes()),
        actor=system,
    )
    incident = incident_create(
        kind="incident",
        title_en="ETH withdrawals delayed",
        body_en="Network congestion.",
        state="investigating",
        actor=admin,
    )
    calendar = calendar_save(
        name="Matrix hours",
        timezone="UTC",
        always_open=True,
        weekly_hours={},
        is_default=False,
        actor=admin,
    )
    option = contact_option_save(
        kind="email",
        label_en="Email",
        label_zh="邮件",
        value="support@example.com",
        actor=admin,
    )
    site = chat_site_save(
        name="Matrix site",
        allowed_origins=["http://127.0.0.1:8000"],
        identity_required=False,
        team=team_a,
        greeting_en="Hi",
        greeting_zh="你好",
        is_active=True,
        actor=admin,
    )
    key, _secret = apikey_create(name="matrix", scopes=["conversations:read"], actor=admin)
    channel = official_channel_save(kind="domain", value="matrix-exchange.com", actor=admin)
    with override_settings(KEFU_WEBHOOKS_ALLOW_PRIVATE=True):
        webhook = endpoint_create(
            url="http://127.0.0.1:9/hook", events=["conversation.created"], actor=admin
        ).endpoint
        delivery = endpoint_send_ping(endpoint=webhook, actor=admin)
    hold = hold_place(subject=other, reason="Court order 17", actor=admin)
    erasure = erasure_request(contact=customer_2.contact, actor=actor_for_user(customer_2))
    return World(
        users={
            "customer_1": customer_1,
            "customer_2": customer_2,
            "agent_a": agent_a,
            "agent_b": agent_b,
            "senior": senior,
            "kb_editor": kb_editor,
            "supervisor": supervisor,
            "admin": admin_user,
        },
        conversation=conversation,
        other_conversation=other,
        attachment=attachment,
        article_slug="matrix-article",
        image_pk=image.pk,
        image_name=image.filename,
        incident_pk=incident.pk,
        team_pk=team_a.pk,
        tag_pk=factories.TagFactory(name="matrix-tag").pk,
        macro_pk=factories.MacroFactory().pk,
        calendar_pk=calendar.pk,
        contact_option_pk=option.pk,
        chat_site_pk=site.pk,
        chat_site_key=site.key,
        api_key_pk=key.pk,
        category_pk=category.pk,
        section_pk=section.pk,
        official_channel_pk=channel.pk,
        webhook_pk=webhook.pk,
        delivery_pk=delivery.pk,
        hold_pk=hold.pk,
        erasure_pk=erasure.pk,
    )
