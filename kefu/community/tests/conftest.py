from __future__ import annotations

import pytest

from kefu.accounts.services import actor_for_user
from kefu.community import services
from kefu.community.models import Board, Profile
from kefu.core.actor import Actor
from kefu.trust.services import official_channel_save


@pytest.fixture
def board(db):
    return Board.objects.create(slug="withdrawals", language="en", name="Withdrawals")


@pytest.fixture
def zh_board(db):
    return Board.objects.create(slug="withdrawals", language="zh-hans", name="提现")


@pytest.fixture
def trusted(customer_1, customer_2):
    """Both customers have had a post approved, so their posts are not held as first posts."""
    for user in (customer_1, customer_2):
        services.profile_for(user)
    Profile.objects.filter(user__in=[customer_1, customer_2]).update(approved_posts=1)


@pytest.fixture
def official(admin_user):
    official_channel_save(
        kind="domain", value="demo-exchange.com", actor=actor_for_user(admin_user)
    )


@pytest.fixture
def ask(board, actor_of):
    def make(user, title="USDT withdrawal pending", body="My withdrawal is pending.", **kw):
        return services.thread_create(
            board=kw.pop("on", board), title=title, body=body, actor=actor_of(user), **kw
        )

    return make


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")
