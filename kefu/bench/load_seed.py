"""Accounts and content for ``kefu bench load`` (idempotent): a team, agents with a known
password, a chat site, customers for the API, an API key and help-center articles. Written to
a JSON file the Locust scenario (kefu/bench/load.py) reads. Bench databases only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kefu.accounts.models import ApiKey, Role, Team, User, UserKind
from kefu.accounts.services import actor_for_user, apikey_create
from kefu.bench.helpcenter import seed_articles
from kefu.contacts.models import Contact
from kefu.inbox.models import ChatSite

PASSWORD = "kefu-load-Bench-2026"  # noqa: S105 - synthetic bench accounts on throwaway databases
SITE_KEY = "load-site"
AGENTS = 6
CUSTOMERS = 200
ARTICLES_PER_LANGUAGE = 40
CHAT_TEXTS = [
    "My USDT withdrawal has been pending for 3 hours",
    "Deposit not credited, TRC20, tx attached",
    "How do I reset my 2FA?",
    "我的提现一直在处理中",
    "Can you check my account verification status?",
]
REPLY_TEXTS = [
    "Thanks, we are checking it now.",
    "Your withdrawal is in the risk review queue; expect it within 2 hours.",
    "感谢耐心等待，我们正在处理。",
]
SEARCHES = [
    ("en", "withdrawal"),
    ("en", "deposit not credited"),
    ("en", "2FA"),
    ("zh-hans", "提现"),
    ("zh-hans", "充值"),
]


def seed(path: Path, log: Callable[[str], None]) -> dict[str, object]:
    team, _ = Team.objects.get_or_create(name="Load", defaults={"languages": ["en", "zh-hans"]})
    agents = []
    for i in range(AGENTS):
        email = f"load.agent{i}@kefu.bench"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                PASSWORD,
                kind=UserKind.STAFF,
                role=Role.AGENT_L1,
                display_name=f"Load agent {i}",
            )
            user.teams.add(team)
        agents.append(email)
    admin = User.objects.filter(email="load.admin@kefu.bench").first() or User.objects.create_user(
        "load.admin@kefu.bench", PASSWORD, kind=UserKind.STAFF, role=Role.ADMIN
    )
    ChatSite.objects.get_or_create(key=SITE_KEY, defaults={"name": "Load", "team": team})
    have = Contact.objects.filter(email__endswith="@load.bench").count()
    Contact.objects.bulk_create(
        Contact(email=f"c{i}@load.bench", name=f"Load customer {i}", uid=f"L{900000 + i}")
        for i in range(have, CUSTOMERS)
    )
    customer_ids = list(
        Contact.objects.filter(email__endswith="@load.bench").values_list("pk", flat=True)
    )
    ApiKey.objects.filter(name="load").delete()
    _, token = apikey_create(
        name="load", scopes=["conversations:write"], actor=actor_for_user(admin)
    )
    log(f"  {ARTICLES_PER_LANGUAGE} help-center articles per language...")
    seed_articles(ARTICLES_PER_LANGUAGE, log=log)
    config: dict[str, object] = {
        "site_key": SITE_KEY,
        "agents": agents,
        "password": PASSWORD,
        "api_token": token,
        "customer_ids": customer_ids,
        "chat_texts": CHAT_TEXTS,
        "reply_texts": REPLY_TEXTS,
        "searches": SEARCHES,
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    path.chmod(0o600)
    return config
