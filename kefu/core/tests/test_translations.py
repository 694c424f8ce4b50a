"""Every Simplified Chinese catalog is complete, compiled, and actually used."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

import kefu
from kefu.conversations.models import Category, Status
from kefu.core.errors import ValidationFailed

KEFU_DIR = Path(kefu.__file__).resolve().parent
CATALOGS = sorted(KEFU_DIR.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
# The apps whose catalogs this suite owns: every string in them must reach the user as written.
CORE_APPS = (
    "core",
    "audit",
    "accounts",
    "contacts",
    "conversations",
    "realtime",
    "inbox",
    "sla",
    "helpcenter",
    "community",
    "status",
    "transcripts",
    "trust",
    "integrations",
    "privacy",
    "exchange",
    "cases",
    "callbacks",
    "assistant",
    "routing",
    "csat",
    "automation",
    "trends",
    "analytics",
)
CORE_CATALOGS = [p for p in CATALOGS if p.relative_to(KEFU_DIR).parts[0] in CORE_APPS]
_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1 for a singular msgstr
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def parse_po(path: Path) -> list[Entry]:
    """A small .po parser (the stdlib has none). Entries are separated by blank lines."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [line.strip() for line in block.strip().splitlines()]
        if not lines or all(
            line.startswith("#~") or not line.startswith(("msg", '"'))
            for line in lines
            if not line.startswith("#,")
        ):
            continue  # comments only, or an obsolete (#~) entry
        entry = Entry()
        target: tuple[str, int] | None = None
        for line in lines:
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert target is not None, f"{path}: stray string {line!r}"
                _append(entry, target, ast.literal_eval(line))
            else:
                keyword, _, rest = line.partition(" ")
                if keyword.startswith("msgstr"):
                    target = ("msgstr", int(keyword[7:-1]) if "[" in keyword else -1)
                    entry.msgstr[target[1]] = ""
                else:
                    assert keyword in ("msgctxt", "msgid", "msgid_plural"), line
                    target = (keyword, 0)
                    setattr(entry, keyword, "")
                _append(entry, target, ast.literal_eval(rest))
        entries.append(entry)
    return entries


def _append(entry: Entry, target: tuple[str, int], value: str) -> None:
    if target[0] == "msgstr":
        entry.msgstr[target[1]] += value
    else:
        setattr(entry, target[0], getattr(entry, target[0]) + value)


def expected_catalog(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt compiles the entries into, keyed like gettext.GNUTranslations._catalog."""
    catalog: dict[object, str] = {}
    for e in entries:
        if e.msgid_plural is not None:
            for index, text in e.msgstr.items():
                catalog[(e.key, index)] = text
        else:
            catalog[e.key] = e.msgstr[-1]
    return catalog


def _placeholders(text: str) -> list[str]:
    return sorted(p for p in _PLACEHOLDER.findall(text) if p != "%%")


def _header_fields(header: str) -> dict[str, str]:
    fields = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
    fields.pop("POT-Creation-Date", None)
    return fields


def _catalog_id(path: Path) -> str:
    return str(path.relative_to(KEFU_DIR).parts[0])


def test_the_core_apps_have_catalogs():
    assert {_catalog_id(p) for p in CORE_CATALOGS} == set(CORE_APPS)


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_every_message_is_translated_and_none_is_fuzzy(po):
    entries = parse_po(po)
    header = [e for e in entries if e.key == ""]
    assert len(header) == 1, "the catalog needs exactly one header"
    assert "fuzzy" not in header[0].flags, "remove the fuzzy flag from the header"
    assert "charset=UTF-8" in header[0].msgstr[-1]
    assert "Plural-Forms: nplurals=1; plural=0;" in header[0].msgstr[-1]
    messages = [e for e in entries if e.key != ""]
    assert messages
    assert [e.msgid for e in messages if "fuzzy" in e.flags] == []
    assert [e.msgid for e in messages if not all(s.strip() for s in e.msgstr.values())] == []
    keys = [e.key for e in messages]
    assert len(keys) == len(set(keys)), "duplicate msgids"


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_translations_keep_every_placeholder(po):
    for e in parse_po(po):
        if e.key == "" or ("python-format" not in e.flags and "%(" not in e.msgid):
            continue
        for text in e.msgstr.values():
            assert _placeholders(text) == _placeholders(e.msgid), e.msgid


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_msgfmt_accepts_the_catalog(po, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(tmp_path / "check.mo"), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_compiled_catalog_matches_the_po_file(po):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"compile it: cd {po.parent} && msgfmt -o django.mo django.po"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected = expected_catalog(parse_po(po))
    # msgfmt drops the POT-Creation-Date from the header; every other field must match.
    assert _header_fields(compiled._catalog.pop("")) == _header_fields(expected.pop(""))
    assert compiled._catalog == expected, f"the .mo is stale: recompile {po}"


def _core_entries():
    for po in CORE_CATALOGS:
        for entry in parse_po(po):
            if entry.key:
                yield pytest.param(entry, id=f"{_catalog_id(po)}:{entry.key[:40]}")


@pytest.mark.parametrize("entry", list(_core_entries()))
def test_django_serves_our_translation(entry):
    """No other catalog (Django's own, or another app's) shadows a core-app translation."""
    with translation.override("zh-hans"):
        if entry.msgid_plural is not None:
            served = (
                translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt
                else translation.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
            assert served == entry.msgstr[0]
        elif entry.msgctxt is not None:
            assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[-1]
        else:
            assert translation.gettext(entry.msgid) == entry.msgstr[-1]


@pytest.mark.parametrize("app", CORE_APPS)
def test_every_source_string_is_in_the_catalog(app, tmp_path, monkeypatch):
    """Run makemessages on a copy of the app: it must find nothing new to translate."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.skip("GNU gettext tools are not installed")
    copy = tmp_path / app
    shutil.copytree(
        KEFU_DIR / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
    )
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    entries = parse_po(copy / "locale/zh_Hans/LC_MESSAGES/django.po")
    untranslated = [
        e.msgid for e in entries if e.key and ("fuzzy" in e.flags or not all(e.msgstr.values()))
    ]
    assert untranslated == [], (
        f"run makemessages in kefu/{app} and translate these, then compile with msgfmt"
    )


def test_parser_reads_contexts_plurals_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid ""\n"long "\n"text %(n)s"\nmsgstr "长文本 %(n)s"\n\n'
        'msgctxt "button"\nmsgid "Change"\nmsgstr "切换"\n\n'
        'msgid "one file"\nmsgid_plural "%(n)d files"\nmsgstr[0] "%(n)d 个文件"\n\n'
        '#~ msgid "old"\n#~ msgstr "旧"\n',
        encoding="utf-8",
    )
    entries = parse_po(po)
    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.msgstr) for e in entries] == [
        (None, "", None, {-1: "Language: zh_Hans\n"}),
        (None, "long text %(n)s", None, {-1: "长文本 %(n)s"}),
        ("button", "Change", None, {-1: "切换"}),
        (None, "one file", "%(n)d files", {0: "%(n)d 个文件"}),
    ]
    assert entries[1].flags == {"python-format"}
    assert expected_catalog(entries)["button\x04Change"] == "切换"
    assert expected_catalog(entries)[("one file", 0)] == "%(n)d 个文件"


# --- the translations in use ----------------------------------------------------------------


def test_service_errors_come_out_in_chinese(conversation_a, agent_a, actor_of):
    from kefu.conversations import services

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        services.message_reply(conversation=conversation_a, body="  ", actor=actor_of(agent_a))
    assert excinfo.value.message == "请输入消息内容。"
    assert excinfo.value.fields == {"body": ["请输入消息内容。"]}

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        services.conversation_escalate(
            conversation=conversation_a, reason="", actor=actor_of(agent_a)
        )
    assert excinfo.value.message == "请说明需要升级的原因。"


def test_account_and_contact_errors_come_out_in_chinese(supervisor, actor_of, system_actor):
    from kefu.accounts.services import team_save
    from kefu.contacts.services import contact_create

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        team_save(name=" ", languages=[], skills=[], actor=actor_of(supervisor))
    assert excinfo.value.message == "请填写名称。"
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        contact_create(actor=system_actor)
    assert excinfo.value.message == "请填写电子邮箱或交易所账户 ID。"


def test_choices_and_language_names_are_translated():
    with translation.override("zh-hans"):
        assert str(Status.PENDING.label) == "等待客户回复"
        assert str(Category.DEPOSIT.label) == "充值未到账"
        assert str(dict(settings.LANGUAGES)["zh-hans"]) == "简体中文"
    with translation.override("en"):
        assert str(Status.PENDING.label) == "Pending on customer"
