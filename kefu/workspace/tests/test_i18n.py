"""The workspace speaks Simplified Chinese: a complete catalogue, used on every page."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

from kefu.conversations import services
from kefu.conversations.models import Conversation
from kefu.testing import factories
from kefu.workspace.tests.conftest import login

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(po: str) -> list[tuple[str, str, str, str]]:
    """(flags, msgctxt, msgid, msgstr) of every entry, multi-line strings joined."""
    entries = []
    for block in po.split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        parts = re.findall(r'^(msgctxt|msgid|msgstr)\s+((?:".*"\n?)+)', block + "\n", flags=re.M)
        values = {key: "".join(re.findall(r'"(.*)"', raw)) for key, raw in parts}
        if "msgid" in values:
            entries.append(
                (flags, values.get("msgctxt", ""), values["msgid"], values.get("msgstr", ""))
            )
    return entries


def test_catalogue_is_complete_and_not_fuzzy():
    entries = _entries((LOCALE / "django.po").read_text(encoding="utf-8"))

    assert len(entries) > 100
    for flags, _context, msgid, msgstr in entries:
        assert "fuzzy" not in flags, msgid
        if msgid:
            assert msgstr, f"untranslated: {msgid}"
            placeholders = sorted(re.findall(r"%\(\w+\)s", msgid))
            assert sorted(re.findall(r"%\(\w+\)s", msgstr)) == placeholders, msgid


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    for _flags, context, msgid, msgstr in _entries(
        (LOCALE / "django.po").read_text(encoding="utf-8")
    ):
        if not msgid:
            continue
        msgid, msgstr = msgid.replace('\\"', '"'), msgstr.replace('\\"', '"')
        if context:
            assert compiled.pgettext(context, msgid) == msgstr, msgid
        else:
            assert compiled.gettext(msgid) == msgstr, msgid


@pytest.fixture
def chinese_agent(agent_a):
    agent_a.language = "zh-hans"
    agent_a.save(update_fields=["language"])
    return agent_a


def test_inbox_in_chinese(chinese_agent, conversation_a):
    html = login(chinese_agent).get("/agent/?view=unassigned").content.decode()

    assert '<a class="brand" href="/agent/">Kefu 客服工作台</a>' in html
    assert '<a href="/agent/" aria-current="page">收件箱</a>' in html
    assert ">退出登录</button>" in html
    assert '<h1 id="inbox-heading">未分配</h1>' in html
    assert ">应用筛选</button>" in html
    assert '<th scope="col">最近更新</th>' in html


def test_conversation_page_in_chinese(chinese_agent, actor_of, conversation_a):
    services.note_add(
        conversation=conversation_a, body="内部备注内容", actor=actor_of(chinese_agent)
    )
    services.conversation_escalate(
        conversation=conversation_a,
        reason="需要高级客服处理",
        actor=actor_of(factories.StaffFactory(role="supervisor")),
    )
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=chinese_agent)

    html = login(chinese_agent).get(f"/agent/c/{conversation_a.pk}/").content.decode()

    assert '<span class="badge ws-note-label">内部备注</span>' in html
    assert "已从第 1 层升级到第 2 层。" in html
    assert '<span class="ws-reason">原因： 需要高级客服处理</span>' in html
    assert ">发送回复</button>" in html
    assert "<dt>姓名</dt>" in html
    assert '<h2 id="customer-heading">客户</h2>' in html


def test_flash_messages_in_chinese(chinese_agent, conversation_a):
    client = login(chinese_agent)

    response = client.post(f"/agent/c/{conversation_a.pk}/priority", {"priority": "2"})

    page = client.get(response["Location"])
    # The priority's own label comes from the conversations app's catalogue.
    (message,) = [str(m) for m in page.context["messages"]]
    assert message.startswith("优先级已设为“")
    assert message.endswith("”。")


def test_invalid_cursor_message_in_chinese(chinese_agent):
    html = login(chinese_agent).get("/agent/?cursor=broken").content.decode()

    assert "此分页链接已失效，请从第一页重新开始。" in html
