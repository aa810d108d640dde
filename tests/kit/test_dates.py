"""Month arithmetic (民法典 Arts 201–202, DOMAIN.md §13 fact 11) and date parsing on ingest."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.kit.dates import DateParseError, add_months, add_years, parse_date


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2026, 4, 10), 3, date(2026, 7, 10)),  # Order 36 general penalty, minimum period
        (date(2026, 4, 10), 12, date(2027, 4, 10)),  # … and maximum period
        (date(2026, 4, 10), 36, date(2029, 4, 10)),  # serious: maximum 3 years
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # no 30th in February: its last day
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 10, 31), 2, date(2025, 12, 31)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # across the year end
        (date(2025, 5, 31), -3, date(2025, 2, 28)),  # backwards
        (date(2025, 5, 31), 0, date(2025, 5, 31)),
    ],
)
def test_month_period_ends_on_corresponding_day_or_month_end(start, months, last_day):
    assert add_months(start, months) == last_day


def test_year_period_from_leap_day_ends_on_28_february():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2026, 4, 10), 3) == date(2029, 4, 10)


@given(
    d=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), m=st.integers(-120, 120)
)
def test_month_period_keeps_the_day_unless_the_month_is_shorter(d, m):
    end = add_months(d, m)
    assert (end.year * 12 + end.month) - (d.year * 12 + d.month) == m
    month_end = calendar.monthrange(end.year, end.month)[1]
    assert end.day == min(d.day, month_end)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-02-03",
        "2024/2/3",
        "2024/02/03",
        "2024.02.03",
        "2024.2.3",
        "20240203",
        "2024年2月3日",
        "2024年02月03日",
        "2024-02-03 10:00:00",
        "2024-02-03T10:00:00",
        "2024-02-03 10:00",
        "2024/2/3 9:05:07",
        "2024-02-03 00:00:00.000",
        " 2024-02-03 ",
    ],
)
def test_parse_date_accepts_common_layouts(raw):
    assert parse_date(raw) == date(2024, 2, 3)


@pytest.mark.parametrize("raw", ["2024-02-30", "2024/2/30", "20230229", "2024年13月1日"])
def test_parse_date_non_existent_day_is_date_invalid(raw):
    with pytest.raises(DateParseError) as exc:
        parse_date(raw)
    assert exc.value.code == "date.invalid"
    assert isinstance(exc.value, ValueError)


def test_parse_date_invalid_message_names_the_date():
    with pytest.raises(DateParseError) as exc:
        parse_date("2024-02-30")
    assert str(exc.value) == exc.value.message == "日期不存在：2024-02-30"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "garbage",
        "2024-02/03",  # mixed separators
        "24-02-03",
        "2024-02-03x",
        "2024-W05-6",  # ISO week date: not a layout officials use
        "2024-02-03 25:00:00",
        "2024-02-03T10:00:00+08:00",
        "二〇二四年二月三日",
    ],
)
def test_parse_date_unrecognised_layout_is_date_format(raw):
    with pytest.raises(DateParseError) as exc:
        parse_date(raw)
    assert exc.value.code == "date.format"
    assert exc.value.message.startswith("无法识别的日期格式：")


def test_parse_date_format_message_shows_the_input():
    with pytest.raises(DateParseError) as exc:
        parse_date("garbage")
    assert exc.value.message == "无法识别的日期格式：garbage"


def test_parse_date_message_never_leaks_an_id_number_from_a_misplaced_column():
    with pytest.raises(DateParseError) as exc:
        parse_date("330106199001011234")
    assert "330106199001011234" not in str(exc.value)
    assert "330106********1234" in str(exc.value)


def test_parse_date_message_is_cut_for_long_input():
    with pytest.raises(DateParseError) as exc:
        parse_date("x" * 10_000)
    assert len(exc.value.message) < 80


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_round_trips_iso_and_compact_forms(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d:%Y%m%d}") == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
