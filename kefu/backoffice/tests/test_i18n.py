import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

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
        ("/agent/manage/calendars/", "<h1>服务时间</h1>"),
        ("/agent/manage/calendars/new/", "<h1>添加日历</h1>"),
        ("/agent/manage/contacts/", "<h1>联系方式</h1>"),
        ("/agent/manage/contacts/new/", "<h1>添加联系方式</h1>"),
    ],
)
def test_pages_render_in_chinese(client_for, chinese_supervisor, url, heading):
    assert heading in client_for(chinese_supervisor).get(url).content.decode()


@pytest.fixture
def chinese_admin(db):
    return factories.StaffFactory(email="zh.admin@kefu.test", role=Role.ADMIN, language="zh-hans")


def test_chat_site_pages_render_in_chinese(client_for, chinese_admin):
    client = client_for(chinese_admin)
    assert "<h1>在线客服站点</h1>" in client.get("/agent/manage/chat-sites/").content.decode()
    response = client.post(
        "/agent/manage/chat-sites/new/",
        {"name": "官网", "allowed_origins": "https://www.example.com", "is_active": "on"},
        follow=True,
    )
    html = response.content.decode()
    assert "在线客服站点“官网”已保存。" in html
    assert '<h2 id="embed-heading">嵌入客服窗口</h2>' in html
    assert "必填。客户在贵交易所的用户 ID。" in html


def test_calendar_hours_and_errors_render_in_chinese(client_for, chinese_supervisor):
    client = client_for(chinese_supervisor)
    days = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-21:00")
    response = client.post(
        "/agent/manage/calendars/new/",
        {"name": "客服", "timezone": "Asia/Shanghai", **days, "sat": "18:00-10:00"},
    )
    assert "每个时间段的结束时间必须晚于开始时间。" in response.content.decode()
    response = client.post(
        "/agent/manage/calendars/new/",
        {"name": "客服", "timezone": "Asia/Shanghai", **days, "sat": "10:00-18:00"},
        follow=True,
    )
    html = response.content.decode()
    assert "日历“客服”已保存。" in html
    assert "周一至周五 09:00–21:00，周六 10:00–18:00（Asia/Shanghai）" in html
    assert (
        '<label for="id_mon">周一</label>'
        in client.get("/agent/manage/calendars/new/").content.decode()
    )


def test_contact_kinds_and_link_errors_render_in_chinese(client_for, chinese_supervisor):
    client = client_for(chinese_supervisor)
    response = client.post(
        "/agent/manage/contacts/new/",
        {
            "kind": "help_center",
            "label_en": "Help",
            "label_zh": "帮助",
            "url": "javascript:x",
            "order": "1",
            "is_active": "on",
        },
    )
    html = response.content.decode()
    assert "请使用以 https://、mailto: 或 tel: 开头的链接，或本站路径（例如 /help/）。" in html
    assert '<option value="help_center" selected>帮助中心</option>' in html


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


def test_every_source_string_is_in_the_catalog(tmp_path, monkeypatch):
    """makemessages on a copy of the app finds nothing new (or fuzzy) to translate."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.skip("GNU gettext tools are not installed")
    app = PO.parents[3]
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    text = (copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    gaps = []
    for entry in text.split("\n\n")[1:]:
        if "msgid" not in entry or entry.startswith("#~"):
            continue
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        if "#, fuzzy" in entry or not all(
            "".join(re.findall(r'"(.*)"', block)) for block in strings
        ):
            gaps.append(entry)
    assert gaps == [], "run makemessages in kefu/backoffice, translate, compile with msgfmt"
