"""The help center's contact page: the contact_page selector and the public view."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.test import Client

from kefu.core import clock
from kefu.helpcenter.contact_page import (
    contact_page,
    open_windows,
    response_time_text,
    valid_timezone,
)
from kefu.helpcenter.services import contact_option_save
from kefu.sla.hours import DAYS, CalendarSpec
from kefu.sla.services import calendar_save
from kefu.testing import factories

WEEKDAYS = {day: [["09:00", "18:00"]] for day in DAYS[:5]}
# Monday 13 January 2025, 03:00 UTC = 11:00 in Shanghai (open), 03:00 in London (GMT).
WINTER_MONDAY = datetime(2025, 1, 13, 3, 0, tzinfo=UTC)
# Saturday 18 January 2025, 12:00 UTC: closed until Monday 09:00 in Shanghai (01:00 UTC).
WINTER_SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)
# Monday 14 July 2025, 03:00 UTC: London is on summer time (BST, UTC+1).
SUMMER_MONDAY = datetime(2025, 7, 14, 3, 0, tzinfo=UTC)

EN = "/help/en/contact/"
ZH = "/help/zh-hans/contact/"
WARNING = (
    "Our support staff will never ask for your password, 2FA codes, private keys or seed phrase."
)


@pytest.fixture
def frozen(monkeypatch):
    """frozen(at): the view's clock reads ``at``."""

    def freeze(at: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze


@pytest.fixture
def shanghai(supervisor, actor_of):
    return calendar_save(
        name="Shanghai office",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours=WEEKDAYS,
        is_default=True,
        actor=actor_of(supervisor),
    )


@pytest.fixture
def channels(supervisor, actor_of, shanghai):
    """One option of every kind (the phone twice: a line per language) and an inactive one."""
    actor = actor_of(supervisor)

    def save(**kwargs):
        return contact_option_save(**kwargs, actor=actor)

    return {
        "chat": save(
            kind="chat",
            label_en="Live chat",
            label_zh="在线客服",
            url="/portal/",
            calendar_id=shanghai.pk,
            expected_response_minutes=3,
            order=10,
        ),
        "email": save(
            kind="email",
            label_en="Email support",
            label_zh="邮件客服",
            value="support@demo-exchange.com",
            url="mailto:support@demo-exchange.com",
            hours_note_en="We answer every day.",
            hours_note_zh="每天回复。",
            expected_response_minutes=1440,
            order=20,
        ),
        "phone_zh": save(
            kind="phone",
            label_en="Chinese hotline",
            label_zh="中文热线",
            value="+86 400 000 0000",
            url="tel:+864000000000",
            calendar_id=shanghai.pk,
            language="zh-hans",
            order=30,
        ),
        "phone_en": save(
            kind="phone",
            label_en="English hotline",
            label_zh="英文热线",
            value="+44 20 0000 0000",
            url="tel:+442000000000",
            calendar_id=shanghai.pk,
            language="en",
            order=31,
        ),
        "telegram": save(
            kind="telegram",
            label_en="Telegram",
            label_zh="Telegram 官方客服",
            value="@DemoExchangeSupport",
            url="https://t.me/DemoExchangeSupport",
            order=40,
        ),
        "forum": save(
            kind="forum",
            label_en="Community forum",
            label_zh="社区论坛",
            url="/community/",
            order=50,
        ),
        "x": save(
            kind="other",
            label_en="X (Twitter)",
            label_zh="X（推特）",
            value="@DemoExchange",
            url="https://x.com/DemoExchange",
            order=60,
        ),
        "old": save(
            kind="telegram",
            label_en="Old Telegram group",
            label_zh="旧 Telegram 群",
            value="@OldDemoGroup",
            url="https://t.me/OldDemoGroup",
            is_active=False,
            order=1,
        ),
    }


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def days_of(page, label):
    """[(day label, "01:00–10:00, …" or "closed")] of the option labelled ``label``."""
    option = next(o for g in page.groups for o in g.options if o.label == label)
    return [
        (day.label, ", ".join(f"{r.start_text}–{r.end_text}" for r in day.ranges) or "closed")
        for day in option.hours.days
    ]


# --- the selector ----------------------------------------------------------------------------


def test_options_are_grouped_by_kind_in_the_managers_order(channels, django_assert_num_queries):
    with django_assert_num_queries(2):  # the options (with calendars), the default calendar
        page = contact_page(language="en", viewer_timezone=None, now=WINTER_MONDAY)
    assert [(g.kind, g.heading, [o.label for o in g.options]) for g in page.groups] == [
        ("chat", "Live chat", ["Live chat"]),
        ("email", "Email", ["Email support"]),
        ("phone", "Phone hotlines", ["Chinese hotline", "English hotline"]),
        ("telegram", "Telegram", ["Telegram"]),
        ("forum", "Community", ["Community forum"]),
        ("other", "Other official accounts", ["X (Twitter)"]),
    ]
    phones = page.groups[2].options
    assert [(o.language, o.language_name) for o in phones] == [
        ("zh-hans", "Simplified Chinese"),
        ("en", "English"),
    ]
    assert page.viewer_timezone == "Asia/Shanghai"  # the default calendar's
    with django_assert_num_queries(1):
        assert contact_page(language="en", viewer_timezone="UTC", now=WINTER_MONDAY)


def test_options_in_chinese(channels):
    page = contact_page(language="zh-hans", viewer_timezone=None, now=WINTER_MONDAY)
    options = [o for g in page.groups for o in g.options]
    assert [o.label for o in options] == [
        "在线客服",
        "邮件客服",
        "中文热线",
        "英文热线",
        "Telegram 官方客服",
        "社区论坛",
        "X（推特）",
    ]
    assert [o.language_name for o in options[2:4]] == ["简体中文", "英语"]
    assert options[1].hours_note == "每天回复。"
    assert options[0].hours.described == "周一至周五 09:00–18:00（Asia/Shanghai）"


def test_links_and_values(channels):
    page = contact_page(language="en", viewer_timezone=None, now=WINTER_MONDAY)
    assert [(o.kind, o.url, o.link_text) for g in page.groups for o in g.options] == [
        ("chat", "/portal/", "Open live chat"),
        ("email", "mailto:support@demo-exchange.com", "support@demo-exchange.com"),
        ("phone", "tel:+864000000000", "+86 400 000 0000"),
        ("phone", "tel:+442000000000", "+44 20 0000 0000"),
        ("telegram", "https://t.me/DemoExchangeSupport", "@DemoExchangeSupport"),
        ("forum", "/community/", "Community forum"),
        ("other", "https://x.com/DemoExchange", "@DemoExchange"),
    ]


def test_a_link_that_is_no_longer_safe_is_not_shown(channels):
    # Written around the service (an old row, a bad import): the page still refuses it.
    type(channels["x"]).objects.filter(pk=channels["x"].pk).update(url="javascript:alert(1)")
    page = contact_page(language="en", viewer_timezone=None, now=WINTER_MONDAY)
    x = page.groups[-1].options[0]
    assert (x.url, x.value) == ("", "@DemoExchange")


def test_open_now_and_next_opening(channels):
    page = contact_page(language="en", viewer_timezone="Europe/London", now=WINTER_MONDAY)
    chat = page.groups[0].options[0].hours
    assert (chat.open_now, chat.next_open, chat.next_open_text) == (True, None, "")
    page = contact_page(language="en", viewer_timezone="Europe/London", now=WINTER_SATURDAY)
    chat = page.groups[0].options[0].hours
    assert (chat.open_now, chat.next_open, chat.next_open_text, chat.next_open_iso) == (
        False,
        datetime(2025, 1, 20, 1, 0, tzinfo=UTC),
        "Mon 20 Jan 01:00",
        "2025-01-20T01:00:00Z",
    )


def test_hours_are_converted_to_the_viewers_timezone_in_winter(channels):
    page = contact_page(language="en", viewer_timezone="Europe/London", now=WINTER_MONDAY)
    hours = page.groups[0].options[0].hours
    assert (hours.converted, hours.calendar_timezone) == (True, "Asia/Shanghai")
    assert hours.described == "Mon–Fri 09:00–18:00 (Asia/Shanghai)"
    assert days_of(page, "Live chat") == [
        ("Mon 13 Jan", "01:00–10:00"),
        ("Tue 14 Jan", "01:00–10:00"),
        ("Wed 15 Jan", "01:00–10:00"),
        ("Thu 16 Jan", "01:00–10:00"),
        ("Fri 17 Jan", "01:00–10:00"),
        ("Sat 18 Jan", "closed"),
        ("Sun 19 Jan", "closed"),
    ]


def test_hours_are_converted_to_the_viewers_timezone_in_summer(channels):
    page = contact_page(language="en", viewer_timezone="Europe/London", now=SUMMER_MONDAY)
    assert days_of(page, "Live chat")[:2] == [
        ("Mon 14 Jul", "02:00–11:00"),
        ("Tue 15 Jul", "02:00–11:00"),
    ]


def test_the_week_the_viewers_clocks_change(channels):
    # London goes to summer time on Sunday 30 March 2025.
    friday = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
    page = contact_page(language="en", viewer_timezone="Europe/London", now=friday)
    assert days_of(page, "Live chat") == [
        ("Fri 28 Mar", "01:00–10:00"),
        ("Sat 29 Mar", "closed"),
        ("Sun 30 Mar", "closed"),
        ("Mon 31 Mar", "02:00–11:00"),
        ("Tue 1 Apr", "02:00–11:00"),
        ("Wed 2 Apr", "02:00–11:00"),
        ("Thu 3 Apr", "02:00–11:00"),
    ]


def test_hours_across_the_viewers_midnight_are_cut_at_midnight(channels):
    # 09:00–18:00 in Shanghai is 20:00–05:00 the evening before in New York (EST).
    page = contact_page(language="en", viewer_timezone="America/New_York", now=WINTER_MONDAY)
    assert days_of(page, "Live chat") == [
        ("Sun 12 Jan", "20:00–24:00"),
        ("Mon 13 Jan", "00:00–05:00, 20:00–24:00"),
        ("Tue 14 Jan", "00:00–05:00, 20:00–24:00"),
        ("Wed 15 Jan", "00:00–05:00, 20:00–24:00"),
        ("Thu 16 Jan", "00:00–05:00, 20:00–24:00"),
        ("Fri 17 Jan", "00:00–05:00"),
        ("Sat 18 Jan", "closed"),
    ]
    hours = page.groups[0].options[0].hours
    # Uncut, for the browser to regroup in its own timezone, from two days earlier (midnight
    # on Friday the 10th in New York) to two days later.
    assert hours.windows_attr.split(" ")[:2] == [
        "2025-01-10T05:00:00Z/2025-01-10T10:00:00Z",
        "2025-01-13T01:00:00Z/2025-01-13T10:00:00Z",
    ]
    assert hours.windows_attr.split(" ")[-1] == "2025-01-21T01:00:00Z/2025-01-21T05:00:00Z"


def test_same_timezone_is_not_marked_converted(channels):
    page = contact_page(language="en", viewer_timezone="Asia/Shanghai", now=WINTER_MONDAY)
    hours = page.groups[0].options[0].hours
    assert hours.converted is False
    assert days_of(page, "Live chat")[0] == ("Mon 13 Jan", "09:00–18:00")


def test_24_7_calendar(supervisor, actor_of):
    actor = actor_of(supervisor)
    always = calendar_save(
        name="Always",
        timezone="UTC",
        always_open=True,
        weekly_hours={},
        is_default=True,
        actor=actor,
    )
    contact_option_save(
        kind="chat", label_en="Chat", label_zh="聊天", calendar_id=always.pk, actor=actor
    )
    page = contact_page(language="en", viewer_timezone="Asia/Tokyo", now=WINTER_SATURDAY)
    hours = page.groups[0].options[0].hours
    assert (hours.open_now, hours.next_open, hours.described, hours.days) == (
        True,
        None,
        "Every day, 24 hours",
        (),
    )


def test_open_windows_merge_ranges_that_touch():
    # Open until midnight and from midnight: one opening, whatever the days.
    spec = CalendarSpec.from_weekly_hours(
        timezone="Europe/Berlin",
        always_open=False,
        weekly_hours={"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"], ["09:00", "10:00"]]},
    )
    start = datetime(2025, 1, 13, 0, 0, tzinfo=UTC)
    assert open_windows(spec, start, datetime(2025, 1, 15, tzinfo=UTC)) == [
        (datetime(2025, 1, 13, 19, 0, tzinfo=UTC), datetime(2025, 1, 14, 1, 0, tzinfo=UTC)),
        (datetime(2025, 1, 14, 8, 0, tzinfo=UTC), datetime(2025, 1, 14, 9, 0, tzinfo=UTC)),
    ]


def test_open_windows_on_the_calendars_own_clock_change():
    # Berlin springs forward at 02:00 on Sunday 30 March 2025 (01:00 UTC): a range ending at
    # 02:30 closes when the clocks jump, and one from 01:00 to 04:00 lasts two hours.
    spec = CalendarSpec.from_weekly_hours(
        timezone="Europe/Berlin", always_open=False, weekly_hours={"sun": [["01:00", "02:30"]]}
    )
    start = datetime(2025, 3, 29, tzinfo=UTC)
    assert open_windows(spec, start, datetime(2025, 3, 31, tzinfo=UTC)) == [
        (datetime(2025, 3, 30, 0, 0, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC))
    ]
    spec = CalendarSpec.from_weekly_hours(
        timezone="Europe/Berlin", always_open=False, weekly_hours={"sun": [["01:00", "04:00"]]}
    )
    assert open_windows(spec, start, datetime(2025, 3, 31, tzinfo=UTC)) == [
        (datetime(2025, 3, 30, 0, 0, tzinfo=UTC), datetime(2025, 3, 30, 2, 0, tzinfo=UTC))
    ]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "about 1 minute"),
        (5, "about 5 minutes"),
        (59, "about 59 minutes"),
        (60, "within 1 hour"),
        (90, "within 2 hours"),
        (1440, "within 24 hours"),
        (2880, "within 48 hours"),
        (2881, "within 3 days"),
        (10080, "within 7 days"),
    ],
)
def test_response_time_in_words(minutes, text):
    assert response_time_text(minutes) == text


def test_expected_response_is_the_configured_one(channels):
    page = contact_page(language="en", viewer_timezone=None, now=WINTER_MONDAY)
    assert [
        (o.label, o.expected_response_minutes, o.expected_response)
        for g in page.groups
        for o in g.options
    ][:3] == [
        ("Live chat", 3, "about 3 minutes"),
        ("Email support", 1440, "within 24 hours"),
        ("Chinese hotline", None, ""),
    ]


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/London", "Europe/London"),
        ("UTC", "UTC"),
        (" Asia/Shanghai ", "Asia/Shanghai"),
        ("Mars/Olympus_Mons", None),
        ("../../etc/passwd", None),
        ("/etc/localtime", None),
        ("", None),
        (None, None),
        ("x" * 300, None),
    ],
)
def test_valid_timezone(name, valid):
    assert valid_timezone(name) == valid


# --- notices ---------------------------------------------------------------------------------


@pytest.fixture
def noticed(supervisor, actor_of, shanghai):
    """Notices ending on 13 January 2025: on an option with the Shanghai calendar and on one
    without a calendar (UTC dates)."""
    actor = actor_of(supervisor)
    common = {
        "notice_en": "Closed for the Spring Festival.",
        "notice_zh": "春节期间休息。",
        "notice_until": date(2025, 1, 13),
    }
    contact_option_save(
        kind="phone",
        label_en="Hotline",
        label_zh="热线",
        calendar_id=shanghai.pk,
        order=1,
        actor=actor,
        **common,
    )
    contact_option_save(
        kind="email", label_en="Email", label_zh="邮件", order=2, actor=actor, **common
    )
    contact_option_save(
        kind="telegram",
        label_en="Telegram",
        label_zh="Telegram",
        notice_en="New handle from 1 February.",
        order=3,
        actor=actor,
    )


def notices_of(page):
    return [(o.label, o.notice) for g in page.groups for o in g.options]


def test_notices_until_a_day_are_shown_through_that_day(noticed):
    page = contact_page(
        language="en", viewer_timezone=None, now=datetime(2025, 1, 13, 12, tzinfo=UTC)
    )
    # 12:00 UTC on the 13th is 20:00 on the 13th in Shanghai: both still show it.
    assert notices_of(page) == [
        ("Hotline", "Closed for the Spring Festival."),
        ("Email", "Closed for the Spring Festival."),
        ("Telegram", "New handle from 1 February."),
    ]
    assert [(n.text, n.until, n.until_text, n.channels) for n in page.notices] == [
        (
            "Closed for the Spring Festival.",
            date(2025, 1, 13),
            "Jan. 13, 2025",
            ("Hotline", "Email"),
        ),
        ("New handle from 1 February.", None, "", ("Telegram",)),
    ]


def test_expired_notices_are_hidden_by_the_calendars_date(noticed):
    # 20:00 UTC on the 13th is already the 14th in Shanghai: the hotline's notice has ended,
    # the email's (no calendar: UTC) has not.
    page = contact_page(
        language="en", viewer_timezone=None, now=datetime(2025, 1, 13, 20, tzinfo=UTC)
    )
    assert notices_of(page) == [
        ("Hotline", ""),
        ("Email", "Closed for the Spring Festival."),
        ("Telegram", "New handle from 1 February."),
    ]
    assert [n.channels for n in page.notices] == [("Email",), ("Telegram",)]
    page = contact_page(
        language="en", viewer_timezone=None, now=datetime(2025, 1, 14, 0, 1, tzinfo=UTC)
    )
    assert notices_of(page) == [
        ("Hotline", ""),
        ("Email", ""),
        ("Telegram", "New handle from 1 February."),
    ]


def test_future_notices_are_shown_in_the_page_language(noticed):
    page = contact_page(
        language="zh-hans", viewer_timezone=None, now=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert notices_of(page) == [
        ("热线", "春节期间休息。"),
        ("邮件", "春节期间休息。"),
        ("Telegram", "New handle from 1 February."),  # no Chinese notice: the English one
    ]


# --- the page --------------------------------------------------------------------------------


def test_page_shows_every_active_option_and_the_warning(client, channels, frozen):
    frozen(WINTER_MONDAY)
    html = html_of(client.get(EN))
    assert "<title>Contact us · " in html
    assert '<h2 id="hc-safety-heading">Keep your account safe</h2>' in html
    assert f"<strong>{WARNING}</strong>" in html
    for heading in (
        "Live chat",
        "Email",
        "Phone hotlines",
        "Telegram",
        "Community",
        "Other official accounts",
    ):
        assert f'-heading">{heading}</h2>' in html
    for label in (
        "Live chat",
        "Email support",
        "Chinese hotline",
        "English hotline",
        "Telegram",
        "Community forum",
        "X (Twitter)",
    ):
        assert f"<h3>{label}</h3>" in html
    assert "Old Telegram group" not in html
    assert "@OldDemoGroup" not in html
    assert '<a class="button" href="/portal/">Open live chat</a>' in html
    assert '<a href="mailto:support@demo-exchange.com">support@demo-exchange.com</a>' in html
    assert '<a href="tel:+864000000000">+86 400 000 0000</a>' in html
    assert '<a href="https://t.me/DemoExchangeSupport">@DemoExchangeSupport</a>' in html
    assert "<dt>Language</dt>\n        <dd>Simplified Chinese</dd>" in html
    assert "<dd>about 3 minutes</dd>" in html
    assert "<dd>within 24 hours</dd>" in html
    assert "<p>We answer every day.</p>" in html
    assert '<p class="hc-status hc-status-open">Open now</p>' in html
    assert '<script src="/static/helpcenter/contact.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/helpcenter/contact.css">' in html
    assert (
        '<link rel="alternate" hreflang="zh-hans" href="http://testserver/help/zh-hans/contact/">'
        in html
    )
    assert '<link rel="canonical" href="http://testserver/help/en/contact/">' in html


def test_page_in_chinese(client, channels, frozen):
    frozen(WINTER_MONDAY)
    response = client.get(ZH)
    html = html_of(response)
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in html
    assert 'id="hc-safety-heading"' in html
    for label in ("在线客服", "邮件客服", "中文热线", "英文热线", "Telegram 官方客服", "社区论坛"):
        assert f"<h3>{label}</h3>" in html
    assert "旧 Telegram 群" not in html
    assert "<p>周一至周五 09:00–18:00（Asia/Shanghai）</p>" in html
    assert "<dd>简体中文</dd>" in html
    assert "<p>每天回复。</p>" in html


def test_closed_channel_shows_its_next_opening_in_the_viewers_timezone(client, channels, frozen):
    frozen(WINTER_SATURDAY)
    html = html_of(client.get(EN + "?tz=Europe/London"))
    assert (
        '<p class="hc-status hc-status-closed">Closed now · Next opening: '
        '<time datetime="2025-01-20T01:00:00Z" data-format="datetime">Mon 20 Jan 01:00</time></p>'
    ) in html
    assert "Open now" not in html


def test_converted_hours_on_the_page(client, channels, frozen):
    frozen(WINTER_MONDAY)
    html = html_of(client.get(EN + "?tz=Europe/London"))
    assert 'data-tz="Europe/London" data-tz-source="query"' in html
    assert "<strong data-tz-label>Europe/London</strong>" in html
    assert '<div class="hc-local-hours">' in html  # shown: London is not Shanghai
    assert (
        '<li><span class="hc-day">Mon 13 Jan</span> <span class="hc-ranges">'
        '<time datetime="2025-01-13T01:00:00Z">01:00</time>–'
        '<time datetime="2025-01-13T10:00:00Z">10:00</time></span></li>'
    ) in html
    assert (
        '<li><span class="hc-day">Sat 18 Jan</span> <span class="hc-ranges">Closed</span></li>'
        in html
    )
    assert 'data-windows="2025-01-13T01:00:00Z/2025-01-13T10:00:00Z 2025-01-14T01' in html


def test_in_summer_the_converted_hours_move_an_hour(client, channels, frozen):
    frozen(SUMMER_MONDAY)
    html = html_of(client.get(EN + "?tz=Europe/London"))
    assert (
        '<time datetime="2025-07-14T01:00:00Z">02:00</time>–'
        '<time datetime="2025-07-14T10:00:00Z">11:00</time>'
    ) in html


def test_without_tz_the_default_calendars_timezone_is_used(client, channels, frozen):
    frozen(WINTER_MONDAY)
    html = html_of(client.get(EN))
    assert 'data-tz="Asia/Shanghai" data-tz-source="default"' in html
    assert '<div class="hc-local-hours" hidden>' in html  # same timezone: the words suffice
    assert '<time datetime="2025-01-13T01:00:00Z">09:00</time>' in html


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "../../etc/passwd", "", "Europe%2FNowhere"])
def test_an_invalid_tz_is_ignored(client, channels, frozen, tz):
    frozen(WINTER_MONDAY)
    html = html_of(client.get(f"{EN}?tz={tz}"))
    assert 'data-tz="Asia/Shanghai" data-tz-source="default"' in html


def test_without_any_calendar_times_are_in_utc(client, supervisor, actor_of, frozen):
    frozen(WINTER_MONDAY)
    contact_option_save(
        kind="email",
        label_en="Email",
        label_zh="邮件",
        hours_note_en="Any time",
        actor=actor_of(supervisor),
    )
    html = html_of(client.get(EN))
    assert 'data-tz="UTC" data-tz-source="default"' in html
    assert "<p>Any time</p>" in html


def test_a_signed_in_users_timezone_wins(client, channels, frozen):
    frozen(WINTER_MONDAY)
    user = factories.CustomerUserFactory(timezone="America/New_York")
    client.force_login(user)
    html = html_of(client.get(EN + "?tz=Europe/London"))
    assert 'data-tz="America/New_York" data-tz-source="user"' in html
    assert (
        '<li><span class="hc-day">Sun 12 Jan</span> <span class="hc-ranges">'
        '<time datetime="2025-01-13T01:00:00Z">20:00</time>–'
        '<time datetime="2025-01-13T05:00:00Z">24:00</time></span></li>'
    ) in html


def test_notices_on_the_page(client, noticed, frozen):
    frozen(datetime(2025, 1, 13, 20, tzinfo=UTC))
    html = html_of(client.get(EN))
    assert '<h2 id="hc-notices-heading">Notices</h2>' in html
    assert "<li><p>Closed for the Spring Festival.</p>" in html
    assert 'Applies to: Email · Until: <time datetime="2025-01-13">Jan. 13, 2025</time>' in html
    assert "Applies to: Telegram</p>" in html
    frozen(datetime(2025, 1, 14, 0, 1, tzinfo=UTC))
    html = html_of(client.get(EN))
    assert "Closed for the Spring Festival." not in html
    assert "New handle from 1 February." in html


def test_no_notices_no_notice_section(client, channels, frozen):
    frozen(WINTER_MONDAY)
    assert "hc-notices" not in html_of(client.get(EN))


def test_empty_page(client, db, frozen):
    frozen(WINTER_MONDAY)
    html = html_of(client.get(EN))
    assert f"<strong>{WARNING}</strong>" in html
    assert "No contact options are published yet. Please check back later." in html


def test_unknown_language_is_404(client, db):
    assert Client().get("/help/fr/contact/").status_code == 404


def test_the_nav_links_here(client, db):
    html = html_of(client.get(EN))
    assert '<a href="/help/en/contact/" aria-current="page">Contact us</a>' in html


# --- the catalogue (appended by hand; the lead compiles it) ----------------------------------

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_the_contact_page_strings_have_chinese(tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("GNU gettext tools are not installed")
    mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-c", "-o", str(mo), str(PO)], check=True)  # noqa: S607
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert (
        catalogue.gettext(WARNING) == "我们的客服人员绝不会向您索要密码、两步验证码、私钥或助记词。"
    )
    assert catalogue.pgettext("contact page", "Open now") == "正在服务"
    assert catalogue.pgettext("contact page section", "Phone hotlines") == "客服热线"
    assert catalogue.pgettext("contact page: Django date format of a day", "D j M") == "n月j日 D"
    assert catalogue.ngettext("about %(count)d minute", "about %(count)d minutes", 5) == (
        "约 %(count)d 分钟"
    )
