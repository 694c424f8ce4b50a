"""The pure service-hours functions: no database, explicit datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from kefu.sla.hours import (
    DAYS,
    SEARCH_DAYS,
    CalendarSpec,
    HoursError,
    describe,
    is_open,
    next_open,
    parse_weekly_hours,
    weekly_hours_json,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def spec(tz: str = "Asia/Shanghai", always_open: bool = False, **days: list[list[str]]):
    return CalendarSpec.from_weekly_hours(timezone=tz, always_open=always_open, weekly_hours=days)


WEEKDAYS_9_21 = {day: [["09:00", "21:00"]] for day in DAYS[:5]}
OFFICE = spec(**WEEKDAYS_9_21, sat=[["10:00", "18:00"]])


# --- parsing ---------------------------------------------------------------------------------


def test_weekly_hours_parse_to_minutes_and_back():
    week = parse_weekly_hours(
        {"mon": [["09:00", "12:00"], ["13:00", "24:00"]], "sun": [["00:00", "00:30"]]}
    )
    assert week == (((540, 720), (780, 1440)), (), (), (), (), (), ((0, 30),))
    assert weekly_hours_json(week) == {
        "mon": [["09:00", "12:00"], ["13:00", "24:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [],
        "sun": [["00:00", "00:30"]],
    }


def test_touching_ranges_are_allowed():
    assert parse_weekly_hours({"tue": [["09:00", "12:00"], ["12:00", "13:00"]]})[1] == (
        (540, 720),
        (720, 780),
    )


@pytest.mark.parametrize(
    ("hours", "day", "message"),
    [
        ({"mon": [["9:00", "12:00"]]}, "mon", "Write times as HH:MM, for example 09:00."),
        ({"tue": [["09:00"]]}, "tue", "Write times as HH:MM, for example 09:00."),
        ({"wed": "09:00-12:00"}, "wed", "Write times as HH:MM, for example 09:00."),
        ({"thu": [[900, 1200]]}, "thu", "Write times as HH:MM, for example 09:00."),
        ({"fri": [["09:60", "12:00"]]}, "fri", "Times run from 00:00 to 24:00."),
        ({"sat": [["09:00", "24:30"]]}, "sat", "Times run from 00:00 to 24:00."),
        ({"sat": [["09:00", "25:00"]]}, "sat", "Times run from 00:00 to 24:00."),
        ({"sun": [["24:00", "24:00"]]}, "sun", "24:00 can only end a range."),
        ({"mon": [["12:00", "09:00"]]}, "mon", "Each range must end after it starts."),
        ({"mon": [["09:00", "09:00"]]}, "mon", "Each range must end after it starts."),
        (
            {"tue": [["13:00", "18:00"], ["09:00", "12:00"]]},
            "tue",
            "List the ranges in order, without overlaps.",
        ),
        (
            {"tue": [["09:00", "13:00"], ["12:00", "18:00"]]},
            "tue",
            "List the ranges in order, without overlaps.",
        ),
        (
            {"wed": [["00:00", "00:01"]] * 13},
            "wed",
            "At most 12 ranges a day.",
        ),
    ],
)
def test_bad_weekly_hours_name_the_day(hours, day, message):
    with pytest.raises(HoursError) as excinfo:
        parse_weekly_hours(hours)
    assert (excinfo.value.day, excinfo.value.message) == (day, message)


def test_unknown_day_and_wrong_shape_are_refused():
    with pytest.raises(HoursError) as excinfo:
        parse_weekly_hours({"monday": [["09:00", "12:00"]]})
    assert excinfo.value.message == "Unknown day “monday”."
    assert excinfo.value.day is None
    with pytest.raises(HoursError):
        parse_weekly_hours([["09:00", "12:00"]])  # type: ignore[arg-type]


def test_unknown_timezone_is_refused():
    for name in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(HoursError) as excinfo:
            spec(tz=name)
        assert excinfo.value.message == "Unknown timezone."


def test_bad_ranges_cannot_be_built_directly_either():
    with pytest.raises(HoursError):
        CalendarSpec(weekly=(((600, 500),),) + ((),) * 6)
    with pytest.raises(HoursError):
        CalendarSpec(weekly=((),) * 6)


def test_parse_errors_come_out_in_chinese():
    with translation.override("zh-hans"), pytest.raises(HoursError) as excinfo:
        parse_weekly_hours({"mon": [["12:00", "09:00"]]})
    assert excinfo.value.message == "每个时间段的结束时间必须晚于开始时间。"


# --- is_open ---------------------------------------------------------------------------------


def at(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(SHANGHAI, 2026, 11, 23, 8, 59, 59), False),  # Monday, before opening
        (at(SHANGHAI, 2026, 11, 23, 9, 0), True),
        (at(SHANGHAI, 2026, 11, 23, 20, 59, 59), True),
        (at(SHANGHAI, 2026, 11, 23, 21, 0), False),  # ranges are half-open
        (at(SHANGHAI, 2026, 11, 28, 10, 0), True),  # Saturday
        (at(SHANGHAI, 2026, 11, 28, 18, 0), False),
        (at(SHANGHAI, 2026, 11, 29, 12, 0), False),  # Sunday: closed
        # The same instant seen from UTC: Monday 01:00 UTC is 09:00 in Shanghai.
        (datetime(2026, 11, 23, 1, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 0, 59, tzinfo=UTC), False),
        (at(NEW_YORK, 2026, 11, 22, 20, 0), True),  # Sunday evening in New York
    ],
)
def test_is_open_uses_the_calendars_wall_clock(moment, expected):
    assert is_open(OFFICE, moment) is expected


def test_always_open_and_no_hours():
    moment = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert is_open(CalendarSpec.twenty_four_seven(), moment) is True
    assert is_open(spec(always_open=True), moment) is True
    assert is_open(spec(), moment) is False


def test_24_00_closes_at_midnight():
    late = spec(mon=[["20:00", "24:00"]], tue=[["00:00", "02:00"]])
    assert is_open(late, at(SHANGHAI, 2026, 11, 23, 23, 59, 59))
    assert is_open(late, at(SHANGHAI, 2026, 11, 24, 0, 0))
    assert not is_open(late, at(SHANGHAI, 2026, 11, 24, 2, 0))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        is_open(OFFICE, datetime(2026, 11, 23, 9, 0))
    with pytest.raises(ValueError):
        next_open(OFFICE, datetime(2026, 11, 23, 9, 0))


# --- next_open -------------------------------------------------------------------------------


def test_next_open_is_now_when_open():
    moment = at(SHANGHAI, 2026, 11, 23, 10, 0)
    assert next_open(OFFICE, moment) == moment
    assert next_open(OFFICE, moment).tzinfo is UTC


def test_next_open_later_the_same_day_and_after_the_weekend():
    assert next_open(OFFICE, at(SHANGHAI, 2026, 11, 23, 7, 30)) == at(SHANGHAI, 2026, 11, 23, 9)
    # Saturday after closing -> Monday 09:00 (Sunday is closed).
    found = next_open(OFFICE, at(SHANGHAI, 2026, 11, 28, 18, 0))
    assert found == at(SHANGHAI, 2026, 11, 30, 9)
    assert found.tzinfo is UTC


def test_next_open_from_another_zone_is_the_same_instant():
    found = next_open(OFFICE, datetime(2026, 11, 22, 12, 0, tzinfo=UTC))  # Sunday 20:00 Shanghai
    assert found == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_next_open_is_none_for_24_7_and_for_no_hours():
    moment = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert next_open(CalendarSpec.twenty_four_seven("Asia/Shanghai"), moment) is None
    assert next_open(spec(), moment) is None


def test_seconds_before_opening():
    found = next_open(OFFICE, at(SHANGHAI, 2026, 11, 23, 8, 59, 30))
    assert found == at(SHANGHAI, 2026, 11, 23, 9, 0)


# --- clock changes ---------------------------------------------------------------------------
# London: 2026-03-29 01:00 GMT -> 02:00 BST (01:00-02:00 local never happens);
#         2026-10-25 02:00 BST -> 01:00 GMT (01:00-02:00 local happens twice).
# New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.


def test_opening_inside_the_spring_gap_opens_when_the_clocks_jump():
    night = spec(tz="Europe/London", sun=[["01:30", "03:00"]])
    # Saturday noon -> Sunday: 01:30 local does not exist; the first open instant is 01:00 UTC,
    # when the clocks jump to 02:00 BST.
    found = next_open(night, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert found == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert found.astimezone(LONDON).hour == 2
    assert is_open(night, found)
    assert not is_open(night, found - timedelta(seconds=1))


def test_a_day_is_nine_to_nine_local_across_the_spring_change():
    sunday = spec(tz="America/New_York", sun=[["09:00", "21:00"]])
    found = next_open(sunday, datetime(2026, 3, 7, 23, 0, tzinfo=UTC))
    # 09:00 EDT is 13:00 UTC (it would be 14:00 UTC a day earlier, in EST).
    assert found == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert is_open(sunday, datetime(2026, 3, 9, 0, 59, tzinfo=UTC))  # 20:59 EDT
    assert not is_open(sunday, datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # 21:00 EDT


def test_the_repeated_autumn_hour_is_open_both_times():
    repeated = spec(tz="Europe/London", sun=[["01:15", "01:45"]])
    first = next_open(repeated, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert first == datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 01:15 BST
    assert first.astimezone(LONDON).fold == 0
    assert not is_open(repeated, datetime(2026, 10, 25, 0, 45, tzinfo=UTC))  # 01:45 BST
    second = next_open(repeated, datetime(2026, 10, 25, 0, 45, tzinfo=UTC))
    assert second == datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 01:15 GMT, the second time
    assert second.astimezone(LONDON).fold == 1


def test_closing_inside_the_autumn_overlap():
    evening = spec(tz="America/New_York", sun=[["00:30", "01:30"]])
    assert is_open(evening, at(NEW_YORK, 2026, 11, 1, 1, 20, fold=0))  # EDT
    assert is_open(evening, at(NEW_YORK, 2026, 11, 1, 1, 20, fold=1))  # EST, an hour later
    assert not is_open(evening, at(NEW_YORK, 2026, 11, 1, 1, 40, fold=0))


def test_a_calendar_in_a_zone_without_changes_ignores_other_zones_changes():
    # London's spring change does not move Shanghai's hours.
    found = next_open(OFFICE, datetime(2026, 3, 29, 0, 30, tzinfo=LONDON))
    assert found == at(SHANGHAI, 2026, 3, 30, 9, 0)


# --- describe --------------------------------------------------------------------------------


def test_describe_in_english_and_chinese():
    assert describe(OFFICE, "en") == "Mon–Fri 09:00–21:00, Sat 10:00–18:00 (Asia/Shanghai)"
    assert (
        describe(OFFICE, "zh-hans") == "周一至周五 09:00–21:00，周六 10:00–18:00（Asia/Shanghai）"
    )


def test_describe_24_7():
    assert describe(CalendarSpec.twenty_four_seven(), "en") == "Every day, 24 hours"
    assert describe(CalendarSpec.twenty_four_seven(), "zh-hans") == "全天 24 小时"
    full = spec(**{day: [["00:00", "24:00"]] for day in DAYS})
    assert describe(full, "en") == "Every day, 24 hours"


def test_describe_every_day_split_days_and_no_hours():
    daily = spec(**{day: [["08:00", "24:00"]] for day in DAYS})
    assert describe(daily, "en") == "Every day 08:00–24:00 (Asia/Shanghai)"
    assert describe(daily, "zh-hans") == "每天 08:00–24:00（Asia/Shanghai）"
    split = spec(
        tz="Europe/London",
        mon=[["09:00", "12:00"], ["13:00", "17:00"]],
        tue=[["09:00", "12:00"], ["13:00", "17:00"]],
        thu=[["09:00", "17:00"]],
        sat=[["10:00", "14:00"]],
        sun=[["10:00", "14:00"]],
    )
    assert describe(split, "en") == (
        "Mon–Tue 09:00–12:00 and 13:00–17:00, Thu 09:00–17:00, Sat–Sun 10:00–14:00 (Europe/London)"
    )
    assert describe(split, "zh-hans") == (
        "周一至周二 09:00–12:00、13:00–17:00，周四 09:00–17:00，周六至周日 10:00–14:00"
        "（Europe/London）"
    )
    assert describe(spec(), "en") == "No service hours"
    assert describe(spec(), "zh-hans") == "暂无服务时间"


def test_describe_leaves_the_active_language_alone():
    with translation.override("zh-hans"):
        assert describe(OFFICE, "en").startswith("Mon–Fri")
        assert translation.get_language() == "zh-hans"


def test_search_window_is_two_weeks():
    assert SEARCH_DAYS == 14
