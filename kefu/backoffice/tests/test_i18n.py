import re
from pathlib import Path

import pytest

from kefu.accounts.models import Role
from kefu.backoffice.tests.conftest import assert_hidden
from kefu.testing import factories

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def chinese_supervisor(db):
    return factories.StaffFactory(
        email="zh.sup@kefu.test", role=Role.SUPERVISOR, language="zh-hans"
    )


def test_index_renders_in_chinese(client_for, chinese_supervisor):
    response = client_for(chinese_supervisor).get("/agent/manage/")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<h1>管理工作台</h1>" in html
    assert ">员工<" in html


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/agent/manage/staff/", "<h1>员工</h1>"),
        ("/agent/manage/staff/new/", "<h1>添加员工</h1>"),
        ("/agent/manage/teams/", "<h1>团队</h1>"),
        ("/agent/manage/tags/", "<h1>标签</h1>"),
        ("/agent/manage/macros/new/", "<h1>添加快捷回复</h1>"),
        ("/agent/manage/audit/", "<h1>审计日志</h1>"),
    ],
)
def test_pages_render_in_chinese(client_for, chinese_supervisor, url, heading):
    assert heading in client_for(chinese_supervisor).get(url).content.decode()


def test_service_errors_and_flash_render_in_chinese(client_for, chinese_supervisor):
    client = client_for(chinese_supervisor)
    response = client.post(
        "/agent/manage/macros/new/", {"name": "问候", "body_en": "Hello", "body_zh": ""}
    )
    assert "请填写中文内容。" in response.content.decode()
    response = client.post("/agent/manage/tags/new/", {"name": "大客户"}, follow=True)
    assert "标签“大客户”已保存。" in response.content.decode()


def test_chinese_user_still_gets_404_without_access(client_for, db):
    agent = factories.StaffFactory(role=Role.AGENT_L1, language="zh-hans")
    assert_hidden(client_for(agent), "get", "/agent/manage/")


def test_every_message_is_translated():
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first block is the header
    assert entries
    for entry in entries:
        if entry.startswith("#~") or "msgid" not in entry:
            continue
        assert "#, fuzzy" not in entry, entry
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        assert strings, entry
        for block in strings:
            assert "".join(re.findall(r'"(.*)"', block)), entry
    assert PO.with_suffix(".mo").exists()
