"""contact_option_save / contact_option_delete (supervisors and admins) and the public list."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.helpcenter.models import ContactKind, ContactOption
from kefu.helpcenter.selectors import public_contact_options
from kefu.helpcenter.services import (
    clean_contact_url,
    contact_option_delete,
    contact_option_save,
)
from kefu.sla.hours import DAYS
from kefu.sla.services import calendar_save
from kefu.testing import factories

PHONE = {
    "kind": "phone",
    "label_en": "Phone hotline",
    "label_zh": "客服热线",
    "value": "+86 400 000 0000",
    "url": "tel:+864000000000",
    "hours_note_en": "Mon–Fri 09:00–18:00 (UTC+8)",
    "hours_note_zh": "周一至周五 09:00–18:00（北京时间）",
    "order": 30,
}


def test_supervisor_creates_and_updates_an_option(supervisor, actor_of):
    actor = actor_of(supervisor)
    option = contact_option_save(**{**PHONE, "label_en": "  Phone hotline  "}, actor=actor)
    option.refresh_from_db()
    assert (option.kind, option.label_en, option.label_zh, option.url, option.is_active) == (
        "phone",
        "Phone hotline",
        "客服热线",
        "tel:+864000000000",
        True,
    )
    contact_option_save(option=option, **{**PHONE, "is_active": False, "order": 5}, actor=actor)
    option.refresh_from_db()
    assert (option.is_active, option.order) == (False, 5)
    rows = list(
        AuditEntry.objects.order_by("id").values_list("action", "object_type", "object_id", "data")
    )
    assert rows == [
        (
            "contact_option.created",
            "contact_option",
            str(option.pk),
            {
                "kind": "phone",
                "label_en": "Phone hotline",
                "label_zh": "客服热线",
                "value": "+86 400 000 0000",
                "url": "tel:+864000000000",
                "calendar_id": None,
                "language": "",
                "expected_response_minutes": None,
                "notice_en": "",
                "notice_zh": "",
                "notice_until": None,
                "order": 30,
                "is_active": True,
            },
        ),
        (
            "contact_option.updated",
            "contact_option",
            str(option.pk),
            {
                "kind": "phone",
                "label_en": "Phone hotline",
                "label_zh": "客服热线",
                "value": "+86 400 000 0000",
                "url": "tel:+864000000000",
                "calendar_id": None,
                "language": "",
                "expected_response_minutes": None,
                "notice_en": "",
                "notice_zh": "",
                "notice_until": None,
                "order": 5,
                "is_active": False,
            },
        ),
    ]
    assert AuditEntry.objects.filter(actor_ref=f"agent:{supervisor.pk}").count() == 2


def test_admin_deletes_an_option(admin_user, actor_of):
    option = contact_option_save(**PHONE, actor=actor_of(admin_user))
    pk = option.pk
    contact_option_delete(option=option, actor=actor_of(admin_user))
    assert not ContactOption.objects.exists()
    entry = AuditEntry.objects.get(action="contact_option.deleted")
    assert (entry.object_id, entry.data) == (
        str(pk),
        {"kind": "phone", "label_en": "Phone hotline", "value": "+86 400 000 0000"},
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/DemoExchangeSupport",
        "HTTPS://help.example.com/a?b=c#d",
        "https://example.com:8443/x",
        "mailto:support@demo-exchange.com",
        "mailto:support@demo-exchange.com?subject=Help",
        "tel:+864000000000",
        "tel:+86-400-000-0000",
        "/help/",
        "/",
        "",
    ],
)
def test_allowed_links(url):
    assert clean_contact_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "http://example.com/",  # plain http: not for an official link
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://",
        "https:///path",
        "https://user:pw@evil.example/",
        "https://support.example.com@evil.example/",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://localhost/",
        "mailto:",
        "mailto:nobody",
        "tel:call-me",
        "tel:+86 400 000 0000",  # spaces are not allowed in a tel: link
        "tel:",
        "ftp://example.com/",
        "help/",
        "t.me/DemoExchangeSupport",
    ],
)
def test_unsafe_or_malformed_links_are_refused(supervisor, actor_of, url):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_option_save(**{**PHONE, "url": url}, actor=actor_of(supervisor))
    assert excinfo.value.fields == {
        "url": [
            "Use a link that starts with https://, mailto: or tel:, "
            "or a path on this site such as /help/."
        ]
    }
    assert not ContactOption.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"kind": "fax"}, {"kind": ["Choose a kind from the list."]}),
        ({"label_en": " "}, {"label_en": ["Fill in this field."]}),
        ({"label_zh": ""}, {"label_zh": ["Fill in this field."]}),
        ({"label_en": "x" * 81}, {"label_en": ["Use at most 80 characters."]}),
        ({"value": "x" * 201}, {"value": ["Use at most 200 characters."]}),
        ({"hours_note_zh": "x" * 201}, {"hours_note_zh": ["Use at most 200 characters."]}),
        ({"order": -1}, {"order": ["Use a number from 0 to 32767."]}),
        ({"order": 40000}, {"order": ["Use a number from 0 to 32767."]}),
        ({"calendar_id": 999999}, {"calendar_id": ["Choose a calendar from the list."]}),
        ({"calendar_id": "1"}, {"calendar_id": ["Choose a calendar from the list."]}),
        ({"language": "fr"}, {"language": ["Choose a language from the list."]}),
        ({"language": "zh"}, {"language": ["Choose a language from the list."]}),
        (
            {"expected_response_minutes": 0},
            {"expected_response_minutes": ["Use a number of minutes from 1 to 10080."]},
        ),
        (
            {"expected_response_minutes": 10081},
            {"expected_response_minutes": ["Use a number of minutes from 1 to 10080."]},
        ),
        (
            {"expected_response_minutes": True},
            {"expected_response_minutes": ["Use a number of minutes from 1 to 10080."]},
        ),
        ({"notice_en": "x" * 301}, {"notice_en": ["Use at most 300 characters."]}),
        ({"notice_zh": "字" * 301}, {"notice_zh": ["Use at most 300 characters."]}),
        ({"notice_until": "2025-01-01"}, {"notice_until": ["Enter a valid date."]}),
    ],
)
def test_invalid_options_are_refused(supervisor, actor_of, overrides, fields):
    with pytest.raises(ValidationFailed) as excinfo:
        contact_option_save(**{**PHONE, **overrides}, actor=actor_of(supervisor))
    assert excinfo.value.fields == fields
    assert not ContactOption.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.fixture
def refused_actor(request, agent_a, senior, customer_1, actor_of):
    return {
        "agent_l1": lambda: actor_of(agent_a),
        "agent_l2": lambda: actor_of(senior),
        "customer": lambda: actor_of(customer_1),
        "system": lambda: Actor.system("test"),
        "inactive_admin": lambda: actor_of(factories.StaffFactory(role="admin", is_active=False)),
    }[request.param]()


@pytest.mark.parametrize(
    "refused_actor",
    ["agent_l1", "agent_l2", "customer", "system", "inactive_admin"],
    indirect=True,
)
def test_only_managers_change_options(refused_actor, supervisor, actor_of):
    option = contact_option_save(**PHONE, actor=actor_of(supervisor))
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        contact_option_save(**PHONE, actor=refused_actor)
    with pytest.raises(PermissionDenied):
        contact_option_save(option=option, **{**PHONE, "label_en": "Hacked"}, actor=refused_actor)
    with pytest.raises(PermissionDenied):
        contact_option_delete(option=option, actor=refused_actor)
    option.refresh_from_db()
    assert option.label_en == "Phone hotline"
    assert AuditEntry.objects.count() == before


def test_errors_come_out_in_chinese(supervisor, actor_of):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        contact_option_save(**{**PHONE, "url": "javascript:alert(1)"}, actor=actor_of(supervisor))
    assert excinfo.value.message == (
        "请使用以 https://、mailto: 或 tel: 开头的链接，或本站路径（例如 /help/）。"
    )


def test_kinds_are_translated():
    with translation.override("zh-hans"):
        assert str(ContactKind.CHAT.label) == "在线客服"
        assert str(ContactKind.HELP_CENTER.label) == "帮助中心"
        assert str(ContactKind.EMAIL.label) == "电子邮件"


# --- public_contact_options ------------------------------------------------------------------


@pytest.fixture
def options(supervisor, actor_of):
    actor = actor_of(supervisor)
    email = contact_option_save(
        kind="email",
        label_en="Email",
        label_zh="电子邮件",
        value="support@demo-exchange.com",
        url="mailto:support@demo-exchange.com",
        hours_note_en="Replies within 24 hours",
        order=20,
        actor=actor,
    )
    contact_option_save(**PHONE, actor=actor)
    contact_option_save(
        kind="telegram",
        label_en="Telegram",
        label_zh="Telegram",
        value="@OldSupport",
        order=1,
        is_active=False,
        actor=actor,
    )
    chat = contact_option_save(
        kind="chat", label_en="Live chat", label_zh="在线客服", order=20, actor=actor
    )
    return email, chat


def test_public_options_in_english(options, django_assert_num_queries):
    with django_assert_num_queries(1):
        listed = public_contact_options("en")
    assert listed == [
        {
            "kind": "email",
            "label": "Email",
            "value": "support@demo-exchange.com",
            "url": "mailto:support@demo-exchange.com",
            "hours": "Replies within 24 hours",
        },
        {"kind": "chat", "label": "Live chat", "value": "", "url": "", "hours": ""},
        {
            "kind": "phone",
            "label": "Phone hotline",
            "value": "+86 400 000 0000",
            "url": "tel:+864000000000",
            "hours": "Mon–Fri 09:00–18:00 (UTC+8)",
        },
    ]
    assert public_contact_options("fr") == listed


def test_public_options_in_chinese(options):
    listed = public_contact_options("zh-hans")
    assert [(o["kind"], o["label"], o["hours"]) for o in listed] == [
        ("email", "电子邮件", "Replies within 24 hours"),  # no Chinese note: the English one
        ("chat", "在线客服", ""),
        ("phone", "客服热线", "周一至周五 09:00–18:00（北京时间）"),
    ]
    assert public_contact_options("zh-Hans") == listed


# --- service fields: calendar, language, expected response, notice ---------------------------


@pytest.fixture
def calendar(supervisor, actor_of):
    return calendar_save(
        name="Shanghai office",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours={day: [["09:00", "18:00"]] for day in DAYS[:5]},
        is_default=True,
        actor=actor_of(supervisor),
    )


SERVICE = {
    "language": "zh-hans",
    "expected_response_minutes": 15,
    "notice_en": "  Closed 28 Jan – 4 Feb for the Spring Festival.  ",
    "notice_zh": "1月28日至2月4日春节休息。",
    "notice_until": date(2025, 2, 4),
}


def test_service_fields_are_saved_and_audited(supervisor, actor_of, calendar):
    option = contact_option_save(
        **PHONE, calendar_id=calendar.pk, **SERVICE, actor=actor_of(supervisor)
    )
    option.refresh_from_db()
    assert (
        option.calendar_id,
        option.language,
        option.expected_response_minutes,
        option.notice_en,
        option.notice_zh,
        option.notice_until,
    ) == (
        calendar.pk,
        "zh-hans",
        15,
        "Closed 28 Jan – 4 Feb for the Spring Festival.",
        "1月28日至2月4日春节休息。",
        date(2025, 2, 4),
    )
    entry = AuditEntry.objects.get(action="contact_option.created")
    assert entry.data == {
        "kind": "phone",
        "label_en": "Phone hotline",
        "label_zh": "客服热线",
        "value": "+86 400 000 0000",
        "url": "tel:+864000000000",
        "calendar_id": calendar.pk,
        "language": "zh-hans",
        "expected_response_minutes": 15,
        "notice_en": "Closed 28 Jan – 4 Feb for the Spring Festival.",
        "notice_zh": "1月28日至2月4日春节休息。",
        "notice_until": "2025-02-04",
        "order": 30,
        "is_active": True,
    }


def test_service_fields_can_be_cleared(supervisor, actor_of, calendar):
    actor = actor_of(supervisor)
    option = contact_option_save(**PHONE, calendar_id=calendar.pk, **SERVICE, actor=actor)
    contact_option_save(option=option, **PHONE, actor=actor)
    option.refresh_from_db()
    assert (
        option.calendar_id,
        option.language,
        option.expected_response_minutes,
        option.notice_en,
        option.notice_zh,
        option.notice_until,
    ) == (None, "", None, "", "", None)
    assert (
        AuditEntry.objects.filter(action="contact_option.updated").get().data["calendar_id"] is None
    )


def test_invalid_service_fields_change_nothing_on_update(supervisor, actor_of, calendar):
    actor = actor_of(supervisor)
    option = contact_option_save(**PHONE, calendar_id=calendar.pk, **SERVICE, actor=actor)
    before = AuditEntry.objects.count()
    for bad in (
        {"calendar_id": calendar.pk + 1},
        {"language": "de"},
        {"expected_response_minutes": 20000},
        {"notice_en": "x" * 301},
    ):
        with pytest.raises(ValidationFailed):
            contact_option_save(
                option=option,
                **PHONE,
                **{"calendar_id": calendar.pk, **SERVICE, **bad},
                actor=actor,
            )
    option.refresh_from_db()
    assert (option.calendar_id, option.language, option.expected_response_minutes) == (
        calendar.pk,
        "zh-hans",
        15,
    )
    assert AuditEntry.objects.count() == before


def test_public_options_are_unchanged_by_the_service_fields(supervisor, actor_of, calendar):
    contact_option_save(**PHONE, calendar_id=calendar.pk, **SERVICE, actor=actor_of(supervisor))
    assert public_contact_options("en") == [
        {
            "kind": "phone",
            "label": "Phone hotline",
            "value": "+86 400 000 0000",
            "url": "tel:+864000000000",
            "hours": "Mon–Fri 09:00–18:00 (UTC+8)",
        }
    ]


# --- the backoffice form ---------------------------------------------------------------------

FORM = {
    "kind": "phone",
    "label_en": "Chinese hotline",
    "label_zh": "中文热线",
    "value": "+86 400 000 0000",
    "url": "tel:+864000000000",
    "hours_note_en": "",
    "hours_note_zh": "",
    "language": "zh-hans",
    "expected_response_minutes": "10",
    "notice_en": "Closed for the Spring Festival.",
    "notice_zh": "春节休息。",
    "notice_until": "2025-02-04",
    "order": "30",
    "is_active": "on",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_supervisor_edits_the_service_fields_in_the_backoffice(supervisor, actor_of, calendar):
    option = contact_option_save(**PHONE, actor=actor_of(supervisor))
    url = f"/agent/manage/contacts/{option.pk}/edit/"
    client = signed_in(supervisor)
    html = client.get(url).content.decode()
    assert '<option value="" selected>No calendar (use the hours notes)</option>' in html
    assert f'<option value="{calendar.pk}">Shanghai office</option>' in html
    assert '<option value="" selected>All languages</option>' in html
    assert '<option value="zh-hans">Simplified Chinese</option>' in html
    assert 'type="date" name="notice_until"' in html
    response = client.post(url, {**FORM, "calendar_id": str(calendar.pk)})
    assert response.status_code == 302
    option.refresh_from_db()
    assert (
        option.calendar_id,
        option.language,
        option.expected_response_minutes,
        option.notice_zh,
        option.notice_until,
    ) == (calendar.pk, "zh-hans", 10, "春节休息。", date(2025, 2, 4))
    entry = AuditEntry.objects.get(action="contact_option.updated")
    assert (entry.data["calendar_id"], entry.data["notice_until"]) == (calendar.pk, "2025-02-04")
    html = client.get(url).content.decode()
    assert f'<option value="{calendar.pk}" selected>Shanghai office</option>' in html
    assert '<option value="zh-hans" selected>Simplified Chinese</option>' in html
    assert 'value="2025-02-04"' in html


def test_backoffice_form_refuses_bad_service_fields(supervisor, actor_of, calendar):
    option = contact_option_save(**PHONE, actor=actor_of(supervisor))
    url = f"/agent/manage/contacts/{option.pk}/edit/"
    before = AuditEntry.objects.count()
    for bad in (
        {"calendar_id": str(calendar.pk + 100)},
        {"language": "fr"},
        {"expected_response_minutes": "0"},
        {"notice_en": "x" * 301},
        {"notice_until": "not a date"},
    ):
        response = signed_in(supervisor).post(url, {**FORM, **bad})
        assert response.status_code == 200
        assert 'class="errorlist' in response.content.decode()
    option.refresh_from_db()
    assert (option.language, option.notice_en) == ("", "")
    assert AuditEntry.objects.count() == before


def test_backoffice_form_in_chinese(calendar, db):
    chinese = factories.StaffFactory(role="supervisor", language="zh-hans")
    html = signed_in(chinese).get("/agent/manage/contacts/new/").content.decode()
    assert '<label for="id_calendar_id">服务时间日历</label>' in html
    assert '<option value="" selected>不使用日历（显示服务时间说明）</option>' in html
    assert '<label for="id_notice_until">公告显示至</label>' in html
    assert '<option value="zh-hans">简体中文</option>' in html


def test_l1_agent_cannot_open_or_post_the_form(agent_a, supervisor, actor_of, calendar):
    option = contact_option_save(**PHONE, actor=actor_of(supervisor))
    url = f"/agent/manage/contacts/{option.pk}/edit/"
    before = AuditEntry.objects.count()
    client = signed_in(agent_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {**FORM, "calendar_id": str(calendar.pk)}).status_code == 404
    option.refresh_from_db()
    assert (option.calendar_id, option.notice_en) == (None, "")
    assert AuditEntry.objects.count() == before
