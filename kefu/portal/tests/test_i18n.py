from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

PO_FILE = Path(__file__).resolve().parents[1] / "locale/zh_Hans/LC_MESSAGES/django.po"


@pytest.mark.django_db
def test_accept_language_renders_chinese_home_page():
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    content = response.content.decode()
    assert '<html lang="zh-hans">' in content
    assert "我们能为您做些什么？" in content
    assert "官方联系方式" in content


def test_customer_language_preference_renders_chinese(client_1, customer_1, conversation_a):
    customer_1.language = "zh-hans"
    customer_1.save(update_fields=["language"])
    content = client_1.get(reverse("portal:request_list")).content.decode()
    assert "我的工单" in content
    assert "最近更新" in content
    content = client_1.get(reverse("portal:request_detail", args=[conversation_a.pk])).content
    assert "发送回复" in content.decode()


def test_chinese_catalogue_is_complete():
    text = PO_FILE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = [e for e in text.split("\n\n") if "msgid" in e]
    empty = []
    for entry in entries[1:]:  # the first entry is the header
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', entry, flags=re.M)
        if not strings or any(not (head + tail.replace('"', "").strip()) for head, tail in strings):
            empty.append(entry)
    assert empty == []
    assert PO_FILE.with_suffix(".mo").exists()
