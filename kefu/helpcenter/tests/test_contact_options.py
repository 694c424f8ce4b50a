"""contact_option_save / contact_option_delete (supervisors and admins) and the public list."""

from __future__ import annotations

import pytest
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
