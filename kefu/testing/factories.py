"""factory_boy factories. Objects with domain rules are created through the services."""

from __future__ import annotations

from typing import Any

import factory

from kefu.accounts.models import Role, Team, User, UserKind
from kefu.contacts.models import Contact
from kefu.conversations import services as conv_services
from kefu.conversations.models import Conversation, Macro, Tag
from kefu.core.actor import Actor

PASSWORD = "correct-horse-battery-9"  # noqa: S105 - test-only password


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    languages = factory.LazyFunction(lambda: ["en"])
    skills = factory.LazyFunction(list)


class StaffFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@kefu.test")
    display_name = factory.Sequence(lambda n: f"Agent {n}")
    kind = UserKind.STAFF
    role = Role.AGENT_L1
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def teams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.teams.set(extracted)


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    uid = factory.Sequence(lambda n: f"U{100000 + n}")
    language = "en"


class CustomerUserFactory(factory.django.DjangoModelFactory[User]):
    """A customer with a portal login and a linked contact (``user.contact``)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    kind = UserKind.CUSTOMER
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def contact(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            ContactFactory(user=self, email=self.email, name=self.display_name, **kwargs)


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class MacroFactory(factory.django.DjangoModelFactory[Macro]):
    class Meta:
        model = Macro

    name = factory.Sequence(lambda n: f"Macro {n}")
    body_en = "Hello {{ customer_name }}, about {{ reference }}: we are on it. {{ agent_name }}"
    body_zh = "{{ customer_name }}您好，关于 {{ reference }}：我们正在处理。{{ agent_name }}"


class ConversationFactory:
    """Creates a conversation through conversation_create, as a customer would."""

    def __new__(  # type: ignore[misc]
        cls,
        *,
        contact: Contact | None = None,
        subject: str = "Withdrawal not received",
        body: str = "My USDT withdrawal has not arrived after two hours.",
        **kwargs: Any,
    ) -> Conversation:
        contact = contact or ContactFactory()
        actor = kwargs.pop("actor", None) or Actor.system("factory")
        extra = {k: kwargs.pop(k) for k in ("assignee", "status", "tier") if k in kwargs}
        conversation = conv_services.conversation_create(
            contact=contact, subject=subject, body=body, actor=actor, author="customer", **kwargs
        )
        if extra:
            Conversation.objects.filter(pk=conversation.pk).update(**extra)
            conversation.refresh_from_db()
        return conversation
