"""The demo exchange's official channels (``kefu demo``): the same domain, addresses, numbers
and accounts as its contact options (kefu/demo/seed.py), plus public staff ids."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.conversations import services as conversation_services
from kefu.conversations.models import Tag
from kefu.core.actor import Actor
from kefu.trust import services
from kefu.trust.models import OfficialChannel
from kefu.trust.services import REPORT_TAG

# (kind, value, platform, label en, label zh)
CHANNELS: tuple[tuple[str, str, str, str, str], ...] = (
    ("domain", "demo-exchange.com", "", "Website and app", "官网和应用"),
    ("email", "support@demo-exchange.com", "", "Support email", "客服邮箱"),
    ("email_domain", "notice.demo-exchange.com", "", "Notification emails", "通知邮件"),
    ("phone", "+86 400 000 0000", "", "Phone hotline", "客服热线"),
    ("phone", "+65 3000 0000", "", "English hotline", "英文热线"),
    ("telegram", "@DemoExchangeSupport", "", "Telegram support", "Telegram 客服"),
    ("social", "@DemoExchange", "x", "X (Twitter)", "X（推特）"),
    # Retired: the checker tells people it is no longer ours.
    ("domain", "demo-exchange.net", "", "Old website (retired)", "旧官网（已停用）"),
)
# Public staff ids: (staff email, id).
STAFF_IDS: tuple[tuple[str, str], ...] = (
    ("supervisor@kefu.demo", "DX-1001"),
    ("senior2@kefu.demo", "DX-1002"),
    ("agent@kefu.demo", "DX-1003"),
    ("agent2@kefu.demo", "DX-1004"),
    ("agent3@kefu.demo", "DX-1005"),
)


def seed_trust_demo(admin_actor: Actor) -> None:
    """Register the demo registry once (nothing happens if any channel exists)."""
    if not Tag.objects.filter(name__iexact=REPORT_TAG).exists():
        conversation_services.tag_save(name=REPORT_TAG, actor=admin_actor)
    if OfficialChannel.objects.exists():
        return
    for kind, value, platform, label_en, label_zh in CHANNELS:
        services.official_channel_save(
            kind=kind,
            value=value,
            platform=platform,
            label_en=label_en,
            label_zh=label_zh,
            is_active="retired" not in label_en,
            actor=admin_actor,
        )
    for email, staff_id in STAFF_IDS:
        user = User.objects.filter(email=email).first()
        if user is not None:
            services.official_channel_save(
                kind="staff", value=staff_id, user=user, actor=admin_actor
            )
