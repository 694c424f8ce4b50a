"""Registry services (admins only, audited), verification phrases and impersonation reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations.models import Category, Message, MessageKind, Tag
from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kefu.trust import phrases, selectors, services
from kefu.trust.check import check
from kefu.trust.models import OfficialChannel, VerificationPhrase


def test_admin_registers_a_channel_normalised_and_audited(admin_user, actor_of):
    channel = services.official_channel_save(
        kind="domain",
        value="HTTPS://WWW.Example.COM./login",
        label_en="Site",
        actor=actor_of(admin_user),
    )
    assert (channel.value, channel.label_en, channel.is_active) == ("www.example.com", "Site", True)
    entry = AuditEntry.objects.get(action="official_channel.created")
    assert (entry.object_id, entry.data["value"]) == (str(channel.pk), "www.example.com")


@pytest.mark.parametrize("who", ["supervisor", "agent_a", "customer_1"])
def test_non_admins_cannot_change_the_registry(request, who, admin_user, actor_of):
    actor = actor_of(request.getfixturevalue(who))
    channel = services.official_channel_save(
        kind="domain", value="example.com", actor=actor_of(admin_user)
    )
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.official_channel_save(kind="domain", value="evil.com", actor=actor)
    with pytest.raises(PermissionDenied):
        services.official_channel_save(channel=channel, kind="domain", value="x.com", actor=actor)
    with pytest.raises(PermissionDenied):
        services.official_channel_delete(channel=channel, actor=actor)
    assert list(OfficialChannel.objects.values_list("value", flat=True)) == ["example.com"]
    assert AuditEntry.objects.count() == before


def test_system_actor_cannot_change_the_registry(system_actor):
    with pytest.raises(PermissionDenied):
        services.official_channel_save(kind="domain", value="x.com", actor=system_actor)


@pytest.mark.parametrize(
    ("kind", "value", "platform", "field"),
    [
        ("domain", "someone@example.com", "", "value"),
        ("email", "example.com", "", "value"),
        ("phone", "call me", "", "value"),
        ("staff", "Bob", "", "value"),
        ("social", "@example", "", "platform"),
        ("social", "https://t.me/example", "x", "value"),
        ("nonsense", "x", "", "kind"),
    ],
)
def test_invalid_values_are_refused_with_a_field_error(
    admin_user, actor_of, kind, value, platform, field
):
    with pytest.raises(ValidationFailed) as excinfo:
        services.official_channel_save(
            kind=kind, value=value, platform=platform, actor=actor_of(admin_user)
        )
    assert list(excinfo.value.fields) == [field]
    assert not OfficialChannel.objects.exists()


def test_the_same_channel_cannot_be_registered_twice(admin_user, actor_of):
    services.official_channel_save(
        kind="phone", value="+86 400 000 0000", actor=actor_of(admin_user)
    )
    with pytest.raises(Conflict):
        services.official_channel_save(
            kind="phone", value="400-000-0000", actor=actor_of(admin_user)
        )
    assert OfficialChannel.objects.count() == 1


def test_update_and_delete_are_audited(admin_user, actor_of):
    actor = actor_of(admin_user)
    channel = services.official_channel_save(kind="telegram", value="@Ex", actor=actor)
    services.official_channel_save(
        channel=channel,
        kind="telegram",
        value="https://t.me/ExSupport",
        is_active=False,
        actor=actor,
    )
    channel.refresh_from_db()
    assert (channel.value, channel.display, channel.is_active) == ("exsupport", "@ExSupport", False)
    services.official_channel_delete(channel=channel, actor=actor)
    assert not OfficialChannel.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="official_channel")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["official_channel.created", "official_channel.updated", "official_channel.deleted"]


def test_registry_selector_feeds_the_checker_with_labels_in_the_language(
    admin_user, agent_a, actor_of
):
    actor = actor_of(admin_user)
    services.official_channel_save(
        kind="domain", value="example.com", label_en="Site", label_zh="官网", actor=actor
    )
    services.official_channel_save(kind="staff", value="KF-1", user=agent_a, actor=actor)
    assert check("example.com", registry=selectors.registry(language="zh-hans")).label == "官网"
    assert check("kf-1", registry=selectors.registry(language="en")).label == agent_a.display_name


def test_staff_only_for_staff_kind(admin_user, customer_1, actor_of):
    with pytest.raises(ValidationFailed):
        services.official_channel_save(
            kind="staff", value="KF-2", user=customer_1, actor=actor_of(admin_user)
        )


# --- verification phrases --------------------------------------------------------------------


def test_agent_issues_a_hashed_one_time_phrase_with_a_staff_note(
    conversation_a, agent_a, admin_user, actor_of
):
    services.official_channel_save(
        kind="staff", value="KF-77", user=agent_a, actor=actor_of(admin_user)
    )
    issued = services.verification_phrase_issue(
        conversation=conversation_a, actor=actor_of(agent_a)
    )
    record = VerificationPhrase.objects.get()
    assert record.phrase_hash == phrases.phrase_hash(issued.phrase)
    assert issued.phrase not in record.phrase_hash
    assert (record.agent_id, record.staff_id, record.conversation_id) == (
        agent_a.pk,
        "KF-77",
        conversation_a.pk,
    )
    assert record.expires_at - record.created_at == timedelta(minutes=30)
    assert len(issued.phrase.split()) == 4
    note = Message.objects.filter(conversation=conversation_a, kind=MessageKind.NOTE).get()
    assert "KF-77" in note.body
    assert issued.phrase not in note.body
    assert AuditEntry.objects.filter(action="verification_phrase.issued").count() == 1


def test_chinese_conversation_gets_chinese_words(conversation_b, agent_b, actor_of):
    conversation_b.language = "zh-hans"
    conversation_b.save(update_fields=["language"])
    issued = services.verification_phrase_issue(
        conversation=conversation_b, actor=actor_of(agent_b)
    )
    assert all(word in phrases.WORDS_ZH for word in issued.phrase.split("·"))


def test_agent_outside_the_team_cannot_issue(conversation_a, agent_b, actor_of):
    with pytest.raises(NotFound):
        services.verification_phrase_issue(conversation=conversation_a, actor=actor_of(agent_b))
    assert not VerificationPhrase.objects.exists()


def test_customer_cannot_issue(conversation_a, customer_1, actor_of):
    with pytest.raises(PermissionDenied):
        services.verification_phrase_issue(conversation=conversation_a, actor=actor_of(customer_1))


def test_phrase_is_valid_once_then_used(conversation_a, agent_a, actor_of, system_actor):
    issued = services.verification_phrase_issue(
        conversation=conversation_a, actor=actor_of(agent_a)
    )
    typed = "  " + issued.phrase.upper().replace(" ", " - ") + " "
    first = services.verification_phrase_check(phrase=typed, actor=system_actor)
    assert (first.status, first.agent_name) == ("valid", agent_a.display_name)
    assert (
        services.verification_phrase_check(phrase=issued.phrase, actor=system_actor).status
        == "used"
    )
    assert AuditEntry.objects.filter(action="verification_phrase.used").count() == 1


def test_expired_and_unknown_phrases(conversation_a, agent_a, actor_of, system_actor):
    issued = services.verification_phrase_issue(
        conversation=conversation_a, actor=actor_of(agent_a)
    )
    VerificationPhrase.objects.update(expires_at=VerificationPhrase.objects.get().created_at)
    assert (
        services.verification_phrase_check(phrase=issued.phrase, actor=system_actor).status
        == "expired"
    )
    assert (
        services.verification_phrase_check(
            phrase="maple river stone cloud", actor=system_actor
        ).status
        == "invalid"
    )
    assert services.verification_phrase_check(phrase=" -- ", actor=system_actor).status == "invalid"
    assert VerificationPhrase.objects.get().used_at is None


# --- impersonation reports -------------------------------------------------------------------


def _registry(admin_user, actor_of):
    services.official_channel_save(kind="domain", value="example.com", actor=actor_of(admin_user))
    return selectors.registry(language="en")


def test_customer_reports_an_impersonation_as_themselves(admin_user, customer_1, actor_of):
    Tag.objects.create(name="impersonation")
    verdict = check("examp1e.com", registry=_registry(admin_user, actor_of))
    conversation = services.impersonation_report(
        value="examp1e.com", verdict=verdict, details="They DMed me", contact=customer_1.contact,
        actor=actor_of(customer_1),
    )  # fmt: skip
    assert conversation.contact == customer_1.contact
    assert conversation.category == Category.SECURITY
    assert conversation.subject == "Impersonation report: examp1e.com"
    body = conversation.messages.get().body
    assert "examp1e.com" in body
    assert "suspicious" in body
    assert "They DMed me" in body
    assert list(conversation.tags.values_list("name", flat=True)) == ["impersonation"]
    assert AuditEntry.objects.filter(action="impersonation.reported").count() == 1


def test_anonymous_report_needs_a_valid_email(admin_user, actor_of, system_actor):
    verdict = check("examp1e.com", registry=_registry(admin_user, actor_of))
    with pytest.raises(ValidationFailed) as excinfo:
        services.impersonation_report(
            value="examp1e.com", verdict=verdict, email="nope", actor=system_actor
        )
    assert list(excinfo.value.fields) == ["email"]
    conversation = services.impersonation_report(
        value="examp1e.com", verdict=verdict, email="Someone@Example.org", actor=system_actor
    )
    assert conversation.contact == Contact.objects.get(email="someone@example.org")


def test_a_customer_cannot_report_for_another(admin_user, customer_1, customer_2, actor_of):
    verdict = check("examp1e.com", registry=_registry(admin_user, actor_of))
    with pytest.raises(PermissionDenied):
        services.impersonation_report(
            value="examp1e.com",
            verdict=verdict,
            contact=customer_2.contact,
            actor=actor_of(customer_1),
        )
