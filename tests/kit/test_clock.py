"""Clock and working days: DOMAIN.md decision 3, §9, §13 facts 15–18."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.kit.clock import (
    SHANGHAI,
    Deadline,
    WorkCalendar,
    WorkdayCount,
    default_calendar,
    now,
    today,
)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_now_is_aware_in_shanghai_and_today_is_its_date():
    moment = now()
    assert moment.tzinfo is SHANGHAI
    assert moment.utcoffset() == timedelta(hours=8)
    assert today() in {moment.date(), now().date()}


def test_default_calendar_is_built_once():
    assert default_calendar() is default_calendar()


# --- DOMAIN §13 facts 15–18 ----------------------------------------------------------------


def test_workdays_skip_national_day_and_count_make_up_sunday(cal):
    # 2025-09-28 (Sun) is a make-up workday; 10-01..10-08 are holidays.
    assert cal.is_workday(date(2025, 9, 28))
    assert cal.add_workdays(date(2025, 9, 26), 5) == Deadline(date(2025, 10, 10), False)


def test_workdays_after_national_day_count_make_up_saturday(cal):
    assert cal.is_workday(date(2025, 10, 11))
    assert cal.add_workdays(date(2025, 9, 30), 5) == Deadline(date(2025, 10, 14), False)


def test_workdays_skip_spring_festival_2026_and_count_make_up_saturday(cal):
    assert cal.is_workday(date(2026, 2, 14))
    assert not any(cal.is_workday(date(2026, 2, d)) for d in (16, 17, 18, 19, 20, 23))
    assert cal.add_workdays(date(2026, 2, 13), 3) == Deadline(date(2026, 2, 25), False)


def test_workdays_across_new_year_2026(cal):
    assert cal.add_workdays(date(2025, 12, 31), 10) == Deadline(date(2026, 1, 15), False)


def test_period_starts_the_day_after_the_trigger(cal):
    # Trigger on a workday (Mon 2025-06-09): that day is not counted.
    assert cal.add_workdays(date(2025, 6, 9), 1).due == date(2025, 6, 10)
    assert cal.add_workdays(date(2025, 6, 13), 1).due == date(2025, 6, 16)  # Fri → Mon


def test_zero_workdays_is_the_trigger_day_and_negative_is_refused(cal):
    assert cal.add_workdays(date(2025, 10, 1), 0) == Deadline(date(2025, 10, 1), False)
    with pytest.raises(ValueError):
        cal.add_workdays(date(2025, 10, 1), -1)


# --- beyond chinesecalendar's data: provisional, Mon–Fri -----------------------------------


def test_chinesecalendar_itself_has_no_2027_data():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_deadline_in_2027_is_provisional_and_counts_monday_to_friday(cal):
    # Fri 2027-03-05 + 5 → Fri 2027-03-12, weekend skipped, no holidays known.
    assert cal.add_workdays(date(2027, 3, 5), 5) == Deadline(date(2027, 3, 12), True)
    assert not cal.is_known(date(2027, 3, 5))
    assert cal.is_workday(date(2027, 3, 8))
    assert not cal.is_workday(date(2027, 3, 6))


def test_deadline_crossing_into_2027_is_provisional(cal):
    # Mon 2026-12-28: 29, 30, 31 (known), then Fri 2027-01-01 and Mon 2027-01-04 (guessed).
    assert cal.add_workdays(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 4), True)


def test_deadline_ending_before_unknown_year_is_not_provisional(cal):
    assert cal.add_workdays(date(2026, 12, 28), 3) == Deadline(date(2026, 12, 31), False)


def test_years_before_2004_are_unknown_and_provisional(cal):
    assert not cal.is_known(date(2003, 12, 31))
    assert cal.add_workdays(date(2003, 12, 30), 1) == Deadline(date(2003, 12, 31), True)


def test_override_making_2027_new_year_a_holiday_is_honoured_but_still_provisional():
    cal = WorkCalendar({date(2027, 1, 1): False})
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add_workdays(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 5), True)


def test_year_fully_covered_by_overrides_is_not_provisional():
    cal = WorkCalendar({date(2027, 1, 1): False}, extra_known_years={2027})
    assert cal.is_known(date(2027, 6, 1))
    assert cal.add_workdays(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 5), False)


def test_override_can_add_a_make_up_workday_and_correct_a_known_year():
    cal = WorkCalendar({date(2027, 2, 6): True, date(2026, 1, 5): False}, extra_known_years=[2027])
    assert cal.is_workday(date(2027, 2, 6))  # a Saturday
    assert not cal.is_workday(date(2026, 1, 5))  # a Monday
    assert default_calendar().is_workday(date(2026, 1, 5))  # the default is untouched


def test_each_year_is_read_from_chinesecalendar_once(monkeypatch):
    calls: list[date] = []
    original = chinese_calendar.is_workday

    def counting(d: date) -> bool:
        calls.append(d)
        return original(d)

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    cal = WorkCalendar()
    cal.add_workdays(date(2025, 9, 26), 5)
    first = len(calls)
    assert first <= 366
    cal.add_workdays(date(2025, 3, 1), 20)
    cal.workdays_between(date(2025, 1, 1), date(2025, 12, 31))
    assert cal.is_workday(date(2025, 10, 11))
    assert len(calls) == first


# --- counting working days between two dates -----------------------------------------------


def test_workdays_between_over_spring_festival_2026(cal):
    # 15 calendar days, 6 working days: 02-14 (make-up), 02-24..02-27, 02-28 (make-up).
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 2, 28)) == WorkdayCount(6, False)
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 2, 25)) == WorkdayCount(3, False)
    assert cal.workdays_between(date(2026, 2, 14), date(2026, 2, 23)) == WorkdayCount(0, False)


def test_workdays_between_excludes_start_and_includes_end(cal):
    assert cal.workdays_between(date(2025, 6, 9), date(2025, 6, 10)).days == 1
    assert cal.workdays_between(date(2025, 6, 9), date(2025, 6, 9)).days == 0
    assert cal.workdays_between(date(2025, 6, 10), date(2025, 6, 9)) == WorkdayCount(0, False)


def test_workdays_between_into_2027_is_provisional(cal):
    assert cal.workdays_between(date(2026, 12, 28), date(2027, 1, 8)) == WorkdayCount(9, True)


def test_workdays_between_a_whole_known_year(cal):
    expected = len(chinese_calendar.get_workdays(date(2025, 1, 1), date(2025, 12, 31)))
    assert cal.workdays_between(date(2024, 12, 31), date(2025, 12, 31)) == WorkdayCount(
        expected, False
    )


_KNOWN = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 30))


@given(start=_KNOWN, n=st.integers(1, 40))
def test_add_workdays_agrees_with_chinesecalendar(start, n):
    deadline = default_calendar().add_workdays(start, n)
    workdays = chinese_calendar.get_workdays(
        start + timedelta(days=1), min(start + timedelta(90), date(2026, 12, 31))
    )
    assert deadline == Deadline(workdays[n - 1], False)
    assert default_calendar().workdays_between(start, deadline.due) == WorkdayCount(n, False)


@given(start=_KNOWN, length=st.integers(0, 400))
def test_workdays_between_agrees_with_chinesecalendar(start, length):
    end = min(start + timedelta(days=length), date(2026, 12, 31))
    expected = len(chinese_calendar.get_workdays(start + timedelta(days=1), end))
    assert default_calendar().workdays_between(start, end) == WorkdayCount(expected, False)
