"""Load the demo data set: staff, teams, customers, tags, macros, service hours, official
contact options, the demo chat site and ~320 conversations.

Every row is written by the service that owns it, so the demo has the same timeline and audit
rows real use would leave. Three things are special:

* History is replayed on a simulated clock: while a conversation's turns are written,
  ``kefu.core.clock.now`` returns the moment the turn "happened", so created / activity / closed
  times, messages and timeline rows are consistent and spread over the last two months. Audit
  rows keep the real time (they record when the rows were written). Contacts and staff get a
  backdated ``created_at`` / ``date_joined`` afterwards, with a queryset update.
* Agent replies enqueue a "you have a reply" email job. Seeded replies are marked
  ``customer_notified_at`` before the transaction commits, so those jobs find nothing to do and
  loading the demo never mails hundreds of (reserved, example.*) addresses.
* Chat sites get a random key; the demo site is given the fixed key ``demo-site`` (the demo
  host page embeds it) with a queryset update, recorded in its own audit row.

Idempotent: everything runs in one transaction that ends by writing a ``demo.loaded`` audit row;
if that row exists, loading again does nothing. Deterministic: one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kefu.accounts import permissions
from kefu.accounts.models import KbRole, Role, SecurityPolicy, Team, User
from kefu.accounts.services import actor_for_user, staff_create, staff_update, team_save
from kefu.accounts.twofactor import security_policy_set
from kefu.assistant.demo import seed_assistant_demo
from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.cases.demo import seed_demo_cases
from kefu.contacts.models import Contact, VipTier
from kefu.contacts.services import contact_create, customer_signup
from kefu.conversations import services as conv
from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Conversation,
    ConversationType,
    Macro,
    Message,
    MessageKind,
    Priority,
    Status,
    Tag,
)
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.demo import content, scenarios
from kefu.demo.community import load_community
from kefu.demo.content import CustomerSeed, StaffSeed
from kefu.demo.scenarios import Scenario
from kefu.exchange.demo_data import seed_demo_ledger
from kefu.helpcenter.models import Article, ContactOption
from kefu.helpcenter.services import contact_option_save
from kefu.helpcenter.transfer import kb_import
from kefu.inbox.models import ChatSite
from kefu.inbox.sites import chat_site_save
from kefu.sla.models import BusinessCalendar, SlaPolicy
from kefu.sla.services import calendar_save
from kefu.sla.services import policy_save as sla_policy_save
from kefu.status.demo import seed_status_demo
from kefu.trust.demo import seed_trust_demo

DEMO_PASSWORD = "kefu-demo-2026"  # noqa: S105 - published on purpose; demo installs only
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("Admin", "admin@kefu.demo"),
    ("Supervisor", "supervisor@kefu.demo"),
    ("Senior agent", "senior@kefu.demo"),
    ("Agent", "agent@kefu.demo"),
    ("Customer", "customer@kefu.demo"),
)
MARKER_ACTION = "demo.loaded"
DEFAULT_CONVERSATIONS = 320
DEFAULT_SEED = 2026

# How often each final status occurs, and how old conversations in it are (hours).
STATUS_PLAN: tuple[tuple[str, int, float, float], ...] = (
    (Status.NEW, 12, 0.1, 8),
    (Status.OPEN, 24, 1, 120),
    (Status.PENDING, 18, 2, 168),
    (Status.ON_HOLD, 8, 24, 240),
    (Status.SOLVED, 22, 24, 720),
    (Status.CLOSED, 16, 120, 1440),
)
CHANNEL_WEIGHTS: tuple[tuple[str, int], ...] = (
    (Channel.WEB, 25), (Channel.CHAT, 20), (Channel.EMAIL, 25), (Channel.PHONE, 8),
    (Channel.TELEGRAM, 12), (Channel.SOCIAL, 10),
)  # fmt: skip
SYSTEM = Actor.system("demo")

# Service hours: live chat runs around the clock (as at most exchanges); the phone hotline keeps
# office hours, kept as a second calendar so the backoffice shows a weekly schedule too.
_OFFICE_DAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS: tuple[tuple[str, str, bool, dict[str, list[list[str]]], bool], ...] = (
    ("Customer service", "Asia/Shanghai", True, {}, True),
    (
        "Phone hotline",
        "Asia/Shanghai",
        False,
        {day: [["09:00", "18:00"]] for day in _OFFICE_DAYS},
        False,
    ),
)
# Complaints' own SLA policy (conditions: type = complaint; the default calendar's hours).
COMPLAINT_POLICY = "Complaints"
# (kind, label en, label zh, value, url, hours note en, hours note zh)
CONTACT_OPTIONS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("chat", "Live chat", "在线客服", "", "", "Every day, 24 hours", "全天 24 小时"),
    (
        "email",
        "Email",
        "电子邮件",
        "support@demo-exchange.com",
        "mailto:support@demo-exchange.com",
        "Replies within 24 hours",
        "24 小时内回复",
    ),
    (
        "phone",
        "Phone hotline",
        "客服热线",
        "+86 400 000 0000",
        "tel:+864000000000",
        "Mon–Fri 09:00–18:00 (UTC+8)",
        "周一至周五 09:00–18:00（北京时间）",
    ),
    (
        "telegram",
        "Telegram",
        "Telegram",
        "@DemoExchangeSupport",
        "https://t.me/DemoExchangeSupport",
        "",
        "",
    ),
    (
        "phone",
        "English hotline",
        "英文热线",
        "+65 3000 0000",
        "tel:+6530000000",
        "",
        "",
    ),
    ("help_center", "Help center", "帮助中心", "", "/help/", "", ""),
    (
        "other",
        "X (Twitter)",
        "X（推特）",
        "@DemoExchange",
        "https://x.com/DemoExchange",
        "",
        "",
    ),
)
# The contact page's extra facts per option (by English label); "calendar" is a calendar name.
# The hours notes stay: the chat widget shows them; the contact page adds the calendar's hours.
CONTACT_SERVICE: dict[str, dict[str, Any]] = {
    "Live chat": {
        "calendar": "Customer service",
        "expected_response_minutes": 3,
    },
    "Email": {"expected_response_minutes": 24 * 60},
    "Phone hotline": {
        "calendar": "Phone hotline",
        "language": "zh-hans",
        "expected_response_minutes": 2,
        "notice_en": "The phone hotline is closed over the Spring Festival; "
        "live chat and email stay open.",
        "notice_zh": "春节期间客服热线暂停服务，在线客服和邮件照常。",
    },
    "English hotline": {
        "calendar": "Phone hotline",
        "language": "en",
        "expected_response_minutes": 2,
    },
    "Telegram": {"expected_response_minutes": 60},
}
DEMO_KB = Path(__file__).resolve().parent.parent / "helpcenter" / "demo_kb"
# Who writes the demo help center: an L1 agent drafts, a senior agent reviews and publishes.
KB_ROLES = (("agent3@kefu.demo", KbRole.AUTHOR), ("senior2@kefu.demo", KbRole.EDITOR))
# The demo host page embeds the widget with this fixed key.
DEMO_SITE_KEY = "demo-site"
DEMO_SITE_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def demo_is_loaded() -> bool:
    return AuditEntry.objects.filter(action=MARKER_ACTION).exists()


def load_demo(
    *,
    conversations: int = DEFAULT_CONVERSATIONS,
    seed: int = DEFAULT_SEED,
    log: Callable[[str], None] = lambda _msg: None,
) -> DemoResult:
    """Load the demo data set once; return what was created (nothing if already loaded)."""
    if demo_is_loaded():
        _demo_security_policy()  # a demo loaded before two-factor sign-in existed
        emails = [c.email for c in content.customers()]
        seed_demo_ledger(Contact.objects.filter(email__in=emails))  # ... or the exchange ledger
        return DemoResult(created=False)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        if demo_is_loaded():  # re-check inside the write lock
            return DemoResult(created=False)
        _demo_security_policy()
        world = _World(rng=rng, real_now=clock.now())
        world.load_people(log)
        log(f"Writing {conversations} conversations...")
        world.load_conversations(conversations)
        world.finish()
        log("Writing the community forum...")
        asker = Contact.objects.get(email="customer@kefu.demo").user
        assert asker is not None
        world.forum_threads = load_community(
            supervisor=world.staff["supervisor@kefu.demo"],
            agent=world.staff["agent@kefu.demo"],
            asker=asker,
        )
        audit_record(
            actor=SYSTEM,
            action=MARKER_ACTION,
            object_type="demo",
            object_id="demo",
            data={"conversations": conversations, "seed": seed},
        )
    return DemoResult(created=True, counts=world.counts())


def _demo_security_policy() -> None:
    """The published demo logins work with the password alone, so the demo does not require
    two-factor sign-in (production requires it of admins and supervisors). Only when nobody
    has chosen a policy yet: an admin's choice is never overwritten."""
    if not SecurityPolicy.objects.exists():
        security_policy_set(required_2fa_roles=[], actor=SYSTEM)


# --- the simulated clock ----------------------------------------------------------------------


class _SimClock:
    """A clock that services read while a conversation's past is replayed."""

    def __init__(self, limit: datetime) -> None:
        self.limit = limit
        self.at = limit

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = min(at, self.limit)

    def advance(self, rng: random.Random, low_minutes: float, high_minutes: float) -> None:
        self.set(self.at + timedelta(minutes=rng.uniform(low_minutes, high_minutes)))


@contextmanager
def _clock_at(sim: _SimClock) -> Iterator[None]:
    with mock.patch.object(clock, "now", sim.now):
        yield


# --- the loader -------------------------------------------------------------------------------


@dataclass
class _Customer:
    contact: Contact
    actor: Actor
    portal: bool


class _World:
    def __init__(self, *, rng: random.Random, real_now: datetime) -> None:
        self.rng = rng
        self.real_now = real_now
        self.teams: dict[str, Team] = {}
        self.staff: dict[str, User] = {}
        self.forum_threads = 0
        self.customers: list[_Customer] = []
        self.conversation_ids: list[int] = []
        self._team_cache: dict[int, set[int]] | None = None

    # people, teams, tags, macros (get-or-create by their fixed natural keys)

    def load_people(self, log: Callable[[str], None]) -> None:
        admin = self._admin()
        admin_actor = actor_for_user(admin)
        for name, languages, skills in content.TEAMS:
            team = Team.objects.filter(name__iexact=name).first()
            self.teams[name] = team or team_save(
                name=name, languages=languages, skills=skills, actor=admin_actor
            )
        for person in content.STAFF:
            self.staff[person.email] = self._staff(person, admin_actor)
        log(f"Staff: {len(self.staff) + 1}, teams: {len(self.teams)}")
        supervisor_actor = actor_for_user(self.staff["supervisor@kefu.demo"])
        existing_tags = {t.lower() for t in Tag.objects.values_list("name", flat=True)}
        for tag in content.TAGS:
            if tag.lower() not in existing_tags:
                conv.tag_save(name=tag, actor=supervisor_actor)
        existing_macros = {m.lower() for m in Macro.objects.values_list("name", flat=True)}
        for name, body_en, body_zh in content.MACROS:
            if name.lower() not in existing_macros:
                conv.macro_save(name=name, body_en=body_en, body_zh=body_zh, actor=supervisor_actor)
        self._service_policy(admin_actor, supervisor_actor)
        for i, seed in enumerate(content.customers()):
            self.customers.append(self._customer(i, seed))
        log(f"Customers: {len(self.customers)}")
        seed_demo_ledger([c.contact for c in self.customers])  # the exchange's demo back office
        seed_demo_cases()  # an unlock request waiting in the verified-case queue
        year_ago = self.real_now - timedelta(days=365)
        User.objects.filter(email__endswith="@kefu.demo", date_joined__gt=year_ago).update(
            date_joined=year_ago
        )
        Contact.objects.filter(pk__in=[c.contact.pk for c in self.customers]).update(
            created_at=year_ago
        )

    def _service_policy(self, admin_actor: Actor, supervisor_actor: Actor) -> None:
        """Service hours, official contact options and the demo chat site."""
        for name, tz, always_open, weekly_hours, is_default in CALENDARS:
            if not BusinessCalendar.objects.filter(name__iexact=name).exists():
                calendar_save(
                    name=name,
                    timezone=tz,
                    always_open=always_open,
                    weekly_hours=weekly_hours,
                    is_default=is_default,
                    actor=supervisor_actor,
                )
        if not SlaPolicy.objects.filter(name__iexact=COMPLAINT_POLICY).exists():
            # Complaints have their own service level (issue 9); other requests are untimed
            # in the demo until an admin adds policies at Manage -> SLA policies.
            sla_policy_save(
                name=COMPLAINT_POLICY,
                position=0,
                conversation_types=[ConversationType.COMPLAINT],
                first_response_minutes=4 * 60,
                next_response_minutes=8 * 60,
                resolution_minutes=3 * 24 * 60,
                business_time=True,
                actor=supervisor_actor,
            )
        if not ContactOption.objects.exists():
            for order, option in enumerate(CONTACT_OPTIONS):
                kind, label_en, label_zh, value, url, hours_en, hours_zh = option
                extra = dict(CONTACT_SERVICE.get(label_en, {}))
                calendar_name = extra.pop("calendar", None)
                if calendar_name is not None:
                    extra["calendar_id"] = BusinessCalendar.objects.get(name=calendar_name).pk
                if "notice_en" in extra:  # always current in the demo
                    extra["notice_until"] = (self.real_now + timedelta(days=14)).date()
                contact_option_save(
                    kind=kind,
                    label_en=label_en,
                    label_zh=label_zh,
                    value=value,
                    url=url,
                    **{"hours_note_en": hours_en, "hours_note_zh": hours_zh, **extra},
                    order=(order + 1) * 10,
                    actor=supervisor_actor,
                )
        self._knowledge_base(admin_actor, supervisor_actor)
        seed_trust_demo(admin_actor)  # official channels, after the staff they name
        seed_assistant_demo(supervisor_actor)  # where the assistant's hand-offs go
        if not ChatSite.objects.filter(key=DEMO_SITE_KEY).exists():
            site = chat_site_save(
                name="Demo Exchange website",
                allowed_origins=DEMO_SITE_ORIGINS,
                identity_required=False,
                team=self.teams[content.TEAMS[0][0]],
                greeting_en="Hi! How can we help you today?",
                greeting_zh="您好！请问有什么可以帮您？",
                is_active=True,
                assistant_first=True,  # the demo shows the assistant answering first
                actor=admin_actor,
            )
            # Sites get a random key; the demo host page needs a known one.
            ChatSite.objects.filter(pk=site.pk).update(key=DEMO_SITE_KEY)
            audit_record(
                actor=SYSTEM,
                action="chat_site.updated",
                object_type="chat_site",
                object_id=site.pk,
                data={"site_key": DEMO_SITE_KEY},
            )

    def _knowledge_base(self, admin_actor: Actor, supervisor_actor: Actor) -> None:
        """The demo help center (kefu/helpcenter/demo_kb, imported like any KB export), a
        knowledge-base author and editor, and the status page's demo incidents."""
        if not Article.objects.exists():
            kb_import(root=DEMO_KB, actor=supervisor_actor)
        for email, kb_role in KB_ROLES:
            user = self.staff.get(email)
            if user is not None and user.kb_role != kb_role:
                staff_update(user=user, kb_role=kb_role, actor=admin_actor)
        seed_status_demo(supervisor_actor)

    def _admin(self) -> User:
        """The demo admin. Nobody can act before the first admin exists, so it is created like
        ``createsuperuser`` does (the user manager), with its audit row written here."""
        seed = content.ADMIN
        admin = User.objects.filter(email=seed.email).first()
        if admin is None:
            admin = User.objects.create_superuser(
                seed.email, DEMO_PASSWORD, display_name=seed.name, language=seed.language
            )
            audit_record(
                actor=SYSTEM,
                action="staff.created",
                object_type="user",
                object_id=admin.pk,
                data={"email": seed.email, "role": Role.ADMIN},
            )
        return admin

    def _staff(self, person: StaffSeed, actor: Actor) -> User:
        user = User.objects.filter(email=person.email).first()
        if user is not None:
            return user
        return staff_create(
            email=person.email,
            display_name=person.name,
            role=person.role,
            password=DEMO_PASSWORD,
            team_ids=[self.teams[t].pk for t in person.teams],
            language=person.language,
            actor=actor,
        )

    def _customer(self, i: int, seed: CustomerSeed) -> _Customer:
        contact = Contact.objects.filter(email=seed.email).first()
        if contact is None:
            tier = self.rng.choices(VipTier.values, weights=(60, 20, 12, 8))[0]
            if seed.email == "customer@kefu.demo":
                tier = VipTier.VIP1
            phone = (
                f"+44 7700 900{i:03d}" if seed.language == "en" else f"+86 138 0013 {8000 + i:04d}"
            )
            contact = contact_create(
                email=seed.email,
                uid=str(31_000_000 + i * 7_919),
                name=seed.name,
                phone=phone,
                language=seed.language,
                vip_tier=tier,
                actor=SYSTEM,
            )
        if seed.portal and contact.user_id is None:
            customer_signup(
                email=seed.email,
                password=DEMO_PASSWORD,
                name=seed.name,
                language=seed.language,
                actor=SYSTEM,
            )
            contact.refresh_from_db()
        if contact.user is not None:
            return _Customer(contact, actor_for_user(contact.user), portal=True)
        # No portal login: the customer writes in through a channel, still as themselves.
        actor = Actor(kind=ActorKind.CUSTOMER, contact_id=contact.pk, label=str(contact))
        return _Customer(contact, actor, portal=False)

    # conversations

    def load_conversations(self, count: int) -> None:
        rng = self.rng
        plans = []
        statuses = [s for s, *_ in STATUS_PLAN]
        status_weights = [w for _, w, *_ in STATUS_PLAN]
        ages = {s: (lo, hi) for s, _, lo, hi in STATUS_PLAN}
        portal = [c for c in self.customers if c.portal]
        for i in range(count):
            # The main portal customer gets a handful of requests to look at.
            customer = portal[0] if i % 50 == 0 else rng.choice(self.customers)
            status = rng.choices(statuses, weights=status_weights)[0]
            low, high = ages[status]
            start = self.real_now - timedelta(hours=rng.uniform(low, high))
            plans.append((start, i, customer, status))
        plans.sort(key=lambda plan: (plan[0], plan[1]))
        for start, _i, customer, status in plans:
            self._conversation(customer, status, start)

    def _conversation(self, customer: _Customer, final: str, start: datetime) -> None:
        rng = self.rng
        scenario = rng.choices(
            scenarios.SCENARIOS, weights=[s.weight for s in scenarios.SCENARIOS]
        )[0]
        contact = customer.contact
        language = (
            contact.language
            if rng.random() < 0.9
            else ("en" if contact.language != "en" else "zh-hans")
        )
        texts = scenario.texts(language)
        short = "zh" if language.startswith("zh") else "en"
        values = self._values(scenario, contact)
        channel = (
            rng.choice((Channel.WEB, Channel.CHAT))
            if customer.portal
            else rng.choices(
                [c for c, _ in CHANNEL_WEIGHTS], weights=[w for _, w in CHANNEL_WEIGHTS]
            )[0]
        )
        team = self.teams[scenario.team] if scenario.team else None
        if contact.vip_tier >= VipTier.VIP2 and rng.random() < 0.5:
            team = self.teams[content.VIP]
        if rng.random() < 0.08:
            team = None  # not routed yet
        priority = scenario.priority
        if contact.vip_tier >= VipTier.VIP2:
            priority = min(priority + 1, Priority.URGENT)
        elif rng.random() < 0.2:
            priority = max(priority - 1, Priority.LOW)

        def fill(template: str) -> str:
            return template.format(**values)

        sim = _SimClock(self.real_now - timedelta(seconds=30))
        sim.set(start)
        customer_actor = customer.actor
        with _clock_at(sim):
            conversation = conv.conversation_create(
                contact=contact,
                subject=fill(rng.choice(texts.subjects))[:200],
                body=fill(rng.choice(texts.bodies)),
                category=scenario.category,
                channel=channel,
                language=language,
                priority=priority,
                tx_id=values["txid"] if scenario.has_txid else "",
                asset=values["asset"],
                network=values["network"],
                team=team,
                author=AuthorKind.CUSTOMER,
                actor=customer_actor,
            )
            self.conversation_ids.append(conversation.pk)
            supervisor = self.staff["supervisor@kefu.demo"]
            sup_actor = actor_for_user(supervisor)
            tags = self._tags(scenario, contact, values)
            if final == Status.NEW:
                sim.advance(rng, 1, 30)
                if rng.random() < 0.4 and tags:
                    conv.conversation_set_tags(
                        conversation=conversation, names=tags, actor=sup_actor
                    )
                if rng.random() < 0.25:
                    conv.conversation_assign(
                        conversation=conversation, assignee=self._agent(team, 1), actor=sup_actor
                    )
                return

            # First response: an L1 agent picks it up (or the supervisor assigns it).
            sim.advance(rng, 3, 90)
            agent = self._agent(team, 1)
            agent_actor = actor_for_user(agent)
            conv.conversation_assign(
                conversation=conversation,
                assignee=agent,
                actor=agent_actor if rng.random() < 0.6 else sup_actor,
            )
            sim.advance(rng, 1, 20)
            conv.message_reply(
                conversation=conversation,
                body=fill(rng.choice(texts.replies)),
                set_status=Status.PENDING if rng.random() < 0.6 else None,
                actor=agent_actor,
            )
            if tags:
                conv.conversation_set_tags(conversation=conversation, names=tags, actor=agent_actor)
            if rng.random() < 0.45:
                sim.advance(rng, 1, 30)
                conv.note_add(
                    conversation=conversation, body=fill(rng.choice(texts.notes)), actor=agent_actor
                )

            # Some need a senior (and the worst security cases, management).
            if texts.escalations and rng.random() < scenario.escalate_rate:
                sim.advance(rng, 10, 240)
                conversation = conv.conversation_escalate(
                    conversation=conversation,
                    reason=fill(rng.choice(texts.escalations)),
                    actor=agent_actor,
                )
                sim.advance(rng, 5, 60)
                agent = self._agent(team, 2)
                agent_actor = actor_for_user(agent)
                conv.conversation_assign(
                    conversation=conversation,
                    assignee=agent,
                    actor=sup_actor if rng.random() < 0.5 else agent_actor,
                )
                sim.advance(rng, 5, 60)
                conv.note_add(
                    conversation=conversation,
                    body=rng.choice(scenarios.SENIOR_NOTES[short]),
                    actor=agent_actor,
                )
                if texts.escalations_l3 and rng.random() < 0.4:
                    sim.advance(rng, 30, 600)
                    conversation = conv.conversation_escalate(
                        conversation=conversation,
                        reason=fill(rng.choice(texts.escalations_l3)),
                        actor=agent_actor,
                    )
                    sim.advance(rng, 5, 120)
                    conv.conversation_assign(
                        conversation=conversation, assignee=supervisor, actor=sup_actor
                    )
                    agent, agent_actor = supervisor, sup_actor

            sim.advance(rng, 10, 360)
            if final == Status.OPEN:
                conv.message_reply(
                    conversation=conversation,
                    body=rng.choice(scenarios.FOLLOW_UPS[short]),
                    actor=customer_actor,
                    author=AuthorKind.CUSTOMER,
                )
            elif final == Status.PENDING:
                conv.message_reply(
                    conversation=conversation,
                    body=fill(rng.choice(texts.replies)),
                    set_status=Status.PENDING,
                    actor=agent_actor,
                )
            elif final == Status.ON_HOLD:
                conv.note_add(
                    conversation=conversation,
                    body=fill(rng.choice(texts.hold_notes or texts.notes)),
                    actor=agent_actor,
                )
                conv.conversation_set_status(
                    conversation=conversation, status=Status.ON_HOLD, actor=agent_actor
                )
            else:  # solved or closed
                conv.message_reply(
                    conversation=conversation,
                    body=rng.choice(scenarios.THANKS[short]),
                    actor=customer_actor,
                    author=AuthorKind.CUSTOMER,
                )
                sim.advance(rng, 5, 120)
                conv.message_reply(
                    conversation=conversation,
                    body=fill(rng.choice(scenarios.CLOSING_REPLIES[short])),
                    set_status=Status.SOLVED,
                    actor=agent_actor,
                )
                if final == Status.CLOSED:
                    sim.advance(rng, 60 * 24, 60 * 24 * 4)
                    conv.conversation_set_status(
                        conversation=conversation,
                        status=Status.CLOSED,
                        actor=Actor.system("auto-close") if rng.random() < 0.7 else agent_actor,
                    )

    def _values(self, scenario: Scenario, contact: Contact) -> dict[str, str]:
        rng = self.rng
        asset, network = rng.choice(scenario.assets) if scenario.assets else ("", "")
        return {
            "name": contact.name or contact.email or "",
            "email": contact.email or "",
            "uid": contact.uid or "",
            "asset": asset,
            "network": network,
            "amount": scenarios.sample_amount(rng, asset),
            "txid": scenarios.sample_txid(rng, network),
            "hours": str(rng.choice((2, 3, 5, 6, 8, 12, 20, 36))),
        }

    def _tags(self, scenario: Scenario, contact: Contact, values: dict[str, str]) -> list[str]:
        """Some of the scenario's tags, the asset / network tags that fit, and "vip"."""
        rng = self.rng
        tags = [t for t in scenario.tags if rng.random() < 0.7]
        if scenario.assets and rng.random() < 0.6:
            tags += [
                t
                for t, hit in (
                    ("usdt", values["asset"] == "USDT"),
                    ("trc20", values["network"] == "TRC20"),
                    ("erc20", values["network"] == "ERC20"),
                )
                if hit
            ]
        if contact.vip_tier >= VipTier.VIP2:
            tags.append("vip")
        return tags

    def _agent(self, team: Team | None, tier: int) -> User:
        """A staff member of ``team`` who works on ``tier`` (any such member if no team)."""
        people = [
            u
            for u in self.staff.values()
            if u.role in (Role.AGENT_L1, Role.AGENT_L2) and permissions.max_tier(u) >= tier
        ]
        if tier == 1:
            people = [u for u in people if u.role == Role.AGENT_L1]
        members = [u for u in people if team is not None and team.pk in self._team_ids(u)]
        return self.rng.choice(members or people)

    def _team_ids(self, user: User) -> set[int]:
        if self._team_cache is None:
            self._team_cache = {
                u.pk: set(u.teams.values_list("pk", flat=True)) for u in self.staff.values()
            }
        return self._team_cache.get(user.pk, set())

    def finish(self) -> None:
        """Mark seeded replies as already notified (see the module docstring)."""
        Message.objects.filter(
            conversation_id__in=self.conversation_ids,
            kind=MessageKind.REPLY,
            customer_notified_at__isnull=True,
        ).exclude(author_kind=AuthorKind.CUSTOMER).update(customer_notified_at=timezone.now())

    def counts(self) -> dict[str, int]:
        ids = self.conversation_ids
        return {
            "staff": User.objects.filter(email__endswith="@kefu.demo", role__gt="").count(),
            "forum_threads": self.forum_threads,
            "teams": len(self.teams),
            "customers": len(self.customers),
            "conversations": len(ids),
            "messages": Message.objects.filter(conversation_id__in=ids).count(),
            "notes": Message.objects.filter(conversation_id__in=ids, kind=MessageKind.NOTE).count(),
            "escalated": Conversation.objects.filter(pk__in=ids).filter(~Q(tier=1)).count(),
            "tags": Tag.objects.count(),
            "macros": Macro.objects.count(),
        }
