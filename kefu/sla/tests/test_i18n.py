"""The Simplified Chinese catalog of the sla app is complete, compiled and current."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

APP_DIR = Path(__file__).resolve().parents[1]
PO = APP_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def untranslated(po: Path) -> list[str]:
    """msgids of entries that are fuzzy or have an empty msgstr (the header excluded)."""
    missing = []
    for entry in re.split(r"\n\s*\n", po.read_text(encoding="utf-8"))[1:]:
        if entry.startswith("#~") or "msgid" not in entry:
            continue
        msgid = "".join(re.findall(r'"(.*)"', entry.split("msgstr")[0]))
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        if "#, fuzzy" in entry or not strings:
            missing.append(msgid)
            continue
        if not all("".join(re.findall(r'"(.*)"', block)) for block in strings):
            missing.append(msgid)
    return missing


def test_every_message_is_translated():
    assert untranslated(PO) == []
    assert PO.with_suffix(".mo").exists()


def test_every_source_string_is_in_the_catalog(tmp_path, monkeypatch):
    """makemessages on a copy of the app finds nothing new to translate."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.skip("GNU gettext tools are not installed")
    copy = tmp_path / APP_DIR.name
    shutil.copytree(APP_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    assert untranslated(copy / "locale/zh_Hans/LC_MESSAGES/django.po") == [], (
        f"run makemessages in kefu/{APP_DIR.name}, translate, then compile with msgfmt"
    )
