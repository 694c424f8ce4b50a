"""tag_save, tag_delete, macro_save, macro_delete: supervisors and admins only."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import Macro, Tag
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed
from kefu.testing import factories


@pytest.fixture
def refused_actor(request, agent_a, senior, customer_1, actor_of):
    """Everyone who may not manage tags and macros."""
    return {
        "agent_l1": lambda: actor_of(agent_a),
        "agent_l2": lambda: actor_of(senior),
        "customer": lambda: actor_of(customer_1),
        "system": lambda: Actor.system("test"),
        "inactive_supervisor": lambda: actor_of(
            factories.StaffFactory(role="supervisor", is_active=False)
        ),
    }[request.param]()


REFUSED = ["agent_l1", "agent_l2", "customer", "system", "inactive_supervisor"]


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["supervisor", "admin_user"])
def test_managers_create_and_rename_tags(request, actor_of, snapshot, manager):
    user = request.getfixturevalue(manager)
    actor = actor_of(user)
    snap = snapshot()
    tag = services.tag_save(name="  KYC  ", actor=actor)
    assert Tag.objects.get(pk=tag.pk).name == "KYC"
    services.tag_save(tag=tag, name="KYC-review", actor=actor)
    assert Tag.objects.get(pk=tag.pk).name == "KYC-review"
    assert snap.audit() == [
        ("agent", f"agent:{user.pk}", "tag.created", "tag", str(tag.pk), {"name": "KYC"}),
        ("agent", f"agent:{user.pk}", "tag.renamed", "tag", str(tag.pk), {"name": "KYC-review"}),
    ]
    assert snap.timeline() == []


def test_a_tag_may_change_only_its_case(supervisor, actor_of):
    tag = factories.TagFactory(name="vip")
    services.tag_save(tag=tag, name="VIP", actor=actor_of(supervisor))
    assert Tag.objects.get(pk=tag.pk).name == "VIP"


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "a,b"])
def test_invalid_tag_names_are_refused(supervisor, actor_of, snapshot, name):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.tag_save(name=name, actor=actor_of(supervisor))
    assert list(excinfo.value.fields) == ["name"]
    snap.assert_nothing_written()
    assert not Tag.objects.exists()


def test_duplicate_tag_name_is_a_conflict_whatever_the_case(supervisor, actor_of, snapshot):
    factories.TagFactory(name="Withdrawal")
    other = factories.TagFactory(name="Deposit")
    snap = snapshot()
    with pytest.raises(Conflict):
        services.tag_save(name="WITHDRAWAL", actor=actor_of(supervisor))
    with pytest.raises(Conflict):
        services.tag_save(tag=other, name="withdrawal", actor=actor_of(supervisor))
    snap.assert_nothing_written()
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Deposit", "Withdrawal"]


@pytest.mark.parametrize("refused_actor", REFUSED, indirect=True)
def test_others_cannot_save_tags(refused_actor, snapshot):
    tag = factories.TagFactory(name="old")
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.tag_save(name="new", actor=refused_actor)
    with pytest.raises(PermissionDenied):
        services.tag_save(tag=tag, name="renamed", actor=refused_actor)
    snap.assert_nothing_written()
    assert list(Tag.objects.values_list("name", flat=True)) == ["old"]


def test_deleting_a_tag_removes_it_from_conversations(
    conversation_a, supervisor, agent_a, actor_of, snapshot
):
    tag = factories.TagFactory(name="spam")
    services.conversation_set_tags(
        conversation=conversation_a, names=["spam"], actor=actor_of(agent_a)
    )
    tag_pk = tag.pk
    snap = snapshot()
    services.tag_delete(tag=tag, actor=actor_of(supervisor))
    assert not Tag.objects.filter(pk=tag_pk).exists()
    assert list(conversation_a.tags.all()) == []
    assert snap.audit() == [
        ("agent", f"agent:{supervisor.pk}", "tag.deleted", "tag", str(tag_pk), {"name": "spam"}),
    ]


@pytest.mark.parametrize("refused_actor", REFUSED, indirect=True)
def test_others_cannot_delete_tags(refused_actor, snapshot):
    tag = factories.TagFactory(name="keep")
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.tag_delete(tag=tag, actor=refused_actor)
    snap.assert_nothing_written()
    assert Tag.objects.filter(pk=tag.pk).exists()


# --- macros ---------------------------------------------------------------------------------


def test_supervisor_creates_and_updates_a_macro(supervisor, actor_of, snapshot):
    actor = actor_of(supervisor)
    snap = snapshot()
    macro = services.macro_save(
        name=" Greeting ",
        body_en=" Hello {{ customer_name }} ",
        body_zh=" {{ customer_name }}您好 ",
        actor=actor,
    )
    macro.refresh_from_db()
    assert (macro.name, macro.body_en, macro.body_zh) == (
        "Greeting",
        "Hello {{ customer_name }}",
        "{{ customer_name }}您好",
    )
    services.macro_save(macro=macro, name="Greeting v2", body_en="Hi", body_zh="你好", actor=actor)
    macro.refresh_from_db()
    assert (macro.name, macro.body_en, macro.body_zh) == ("Greeting v2", "Hi", "你好")
    ref = f"agent:{supervisor.pk}"
    assert snap.audit() == [
        ("agent", ref, "macro.created", "macro", str(macro.pk), {"name": "Greeting"}),
        ("agent", ref, "macro.updated", "macro", str(macro.pk), {"name": "Greeting v2"}),
    ]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("name", {"name": ""}),
        ("name", {"name": "n" * 101}),
        ("body_en", {"body_en": "  "}),
        ("body_zh", {"body_zh": ""}),
    ],
)
def test_invalid_macros_are_refused(admin_user, actor_of, snapshot, field, kwargs):
    data = {"name": "Refund", "body_en": "Refunded", "body_zh": "已退款"} | kwargs
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.macro_save(actor=actor_of(admin_user), **data)
    assert list(excinfo.value.fields) == [field]
    snap.assert_nothing_written()
    assert not Macro.objects.exists()


def test_duplicate_macro_name_is_a_conflict(supervisor, actor_of, snapshot):
    factories.MacroFactory(name="Refund")
    snap = snapshot()
    with pytest.raises(Conflict):
        services.macro_save(name="refund", body_en="x", body_zh="x", actor=actor_of(supervisor))
    snap.assert_nothing_written()


@pytest.mark.parametrize("refused_actor", REFUSED, indirect=True)
def test_others_cannot_save_or_delete_macros(refused_actor, snapshot):
    macro = factories.MacroFactory(name="Keep", body_en="en", body_zh="zh")
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.macro_save(name="New", body_en="en", body_zh="zh", actor=refused_actor)
    with pytest.raises(PermissionDenied):
        services.macro_save(
            macro=macro, name="Changed", body_en="x", body_zh="x", actor=refused_actor
        )
    with pytest.raises(PermissionDenied):
        services.macro_delete(macro=macro, actor=refused_actor)
    snap.assert_nothing_written()
    macro.refresh_from_db()
    assert (macro.name, macro.body_en) == ("Keep", "en")
    assert Macro.objects.count() == 1


def test_admin_deletes_a_macro(admin_user, actor_of, snapshot):
    macro = factories.MacroFactory(name="Old")
    pk = macro.pk
    snap = snapshot()
    services.macro_delete(macro=macro, actor=actor_of(admin_user))
    assert not Macro.objects.filter(pk=pk).exists()
    assert snap.audit() == [
        ("agent", f"agent:{admin_user.pk}", "macro.deleted", "macro", str(pk), {"name": "Old"}),
    ]
