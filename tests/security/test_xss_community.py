"""The community forum's inputs (board names, thread titles, tags, post Markdown, members'
posts held for review) filled with the XSS corpus through the real services, then rendered in
headless Chromium where readers, the asker and moderators see them: nothing runs, nothing is
left that could run on a click, and the text is still there to read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kefu.accounts.services import actor_for_user
from kefu.community import services
from kefu.community.services import posting
from kefu.core.errors import KefuError
from tests.security.xss import Probe, load_corpus, off_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = load_corpus()


@pytest.fixture
def probe(browser: Any, asgi_server: Any) -> Iterator[Callable[[], Probe]]:
    made: list[Probe] = []

    def make() -> Probe:
        made.append(Probe(browser, asgi_server.url))
        return made[-1]

    yield make
    for p in made:
        p.close()


def _seed(admin_user: Any, agent_a: Any, customer_1: Any) -> dict[str, Any]:
    admin, agent = actor_for_user(admin_user), actor_for_user(agent_a)
    board = services.board_save(slug="probe", language="en", name="Probe board", actor=admin)
    for p in CORPUS[:20]:
        services.board_save(
            slug=f"probe-{p.number}",
            language="en",
            name=p.line("bn", limit=120) or p.token("bn"),
            description=p.line("bd", limit=500) or "",
            actor=admin,
        )
    titles: list[str] = []
    for p in CORPUS:
        try:
            thread = services.thread_create(
                board=board,
                title=p.line("ft", limit=200) or p.token("ft"),
                body=p.block("fq"),
                tags=[p.line("fg", limit=30) or p.token("fg")],
                actor=admin,
            )
        except KefuError:
            continue
        titles.append(thread.title)
    big = services.thread_create(
        board=board, title="Probe replies", body="Replies below.", actor=admin
    )
    shown: list[str] = []
    for p in CORPUS:
        try:
            services.post_reply(thread=big, body=p.block("fr"), actor=agent)
        except KefuError:
            continue
        shown.append(p.token("fr"))
    held: list[str] = []
    for p in CORPUS[:40]:  # a new member's posts: held, seen by the author and moderators
        try:
            services.post_reply(thread=big, body=p.block("fh"), actor=actor_for_user(customer_1))
        except KefuError:
            continue
        held.append(p.token("fh"))
    return {"board": board, "big": big, "titles": titles, "shown": shown, "held": held}


def test_forum_inputs_never_run(probe, admin_user, agent_a, customer_1, monkeypatch):
    monkeypatch.setattr(posting, "POSTS_PER_MINUTE", 10_000)
    monkeypatch.setattr(posting, "POSTS_PER_HOUR", 10_000)

    seed = off_loop(lambda: _seed(admin_user, agent_a, customer_1))
    assert len(seed["titles"]) > 100
    assert len(seed["shown"]) > 100
    big = seed["big"]

    reader = probe()
    page = reader.new_page()
    reader.visit(page, "/help/en/community/")
    reader.check(page, "board list")
    reader.visit(page, "/help/en/community/b/probe/")
    reader.check(page, "thread list", show=seed["titles"][-40:])
    reader.visit(page, f"/help/en/community/t/{big.pk}/")
    reader.check(page, "thread with replies", show=seed["shown"], hide=seed["held"])
    reader.visit(page, "/help/en/search/?q=probe")
    reader.check(page, "search with forum results")

    asker = probe()
    asker.sign_in(customer_1)
    own = asker.new_page()
    asker.visit(own, f"/help/en/community/t/{big.pk}/")
    asker.check(own, "thread with the member's held posts", show=seed["held"])

    staff = probe()
    staff.sign_in(admin_user)
    desk = staff.new_page()
    staff.visit(desk, "/agent/community/")
    staff.check(desk, "moderation queue", show=seed["held"])
    staff.visit(desk, f"/help/en/community/t/{big.pk}/")
    staff.check(desk, "thread for a moderator", show=seed["shown"] + seed["held"])
