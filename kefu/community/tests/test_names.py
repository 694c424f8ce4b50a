"""Display names cannot pose as staff or the exchange."""

from __future__ import annotations

import pytest

from kefu.community import services
from kefu.core.errors import PermissionDenied, ValidationFailed


@pytest.mark.parametrize(
    "name",
    [
        "Support",
        "Supp0rt Team",
        "ｓｕｐｐｏｒｔ",
        "Ѕupport",  # Cyrillic S
        "admin",
        "Official_Help",
        "客服小王",
        "官方助手",
        "Demo Exchange",
        "demoexchange-help",
        "dem0-exchange",
        "Agent 7",  # a staff member's display name, below
        "Аgent 7",  # ... with a Cyrillic A
        "✔ Verified",  # imitates the badge: symbols are not name characters
        "Mike ✅",
        "Mike✓",
        "Verified",
        "认证用户",
        "Mike\u200bAdmin",  # a zero-width space cannot hide a reserved word either
    ],
)
def test_lookalike_names_are_refused(customer_1, agent_a, official, actor_of, name):
    agent_a.display_name = "Agent 7"
    agent_a.save(update_fields=["display_name"])
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(user=customer_1, display_name=name, actor=actor_of(customer_1))
    assert "display_name" in exc.value.fields
    assert services.profile_for(customer_1).display_name == f"member-{customer_1.pk}"


@pytest.mark.parametrize(
    "name", ["Alice", "小明", "crypto fan 42", "Zhang Wei", "O'Brien", "jean-luc_2.0", "Nguyễn Văn"]
)
def test_ordinary_names_are_accepted(customer_1, official, actor_of, name):
    services.profile_update(user=customer_1, display_name=name, actor=actor_of(customer_1))
    assert services.profile_for(customer_1).display_name == name


def test_two_members_cannot_share_a_lookalike_name(customer_1, customer_2, actor_of):
    services.profile_update(user=customer_1, display_name="Alice", actor=actor_of(customer_1))
    with pytest.raises(ValidationFailed):
        services.profile_update(user=customer_2, display_name="AIice", actor=actor_of(customer_2))


def test_cannot_rename_someone_else(customer_1, customer_2, actor_of):
    with pytest.raises(PermissionDenied):
        services.profile_update(user=customer_2, display_name="Bob", actor=actor_of(customer_1))


def test_staff_profile_uses_their_staff_name(agent_a):
    assert services.profile_for(agent_a).display_name == agent_a.display_name
