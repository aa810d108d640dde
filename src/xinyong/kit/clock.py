"""The clock (Asia/Shanghai) and the working-day calendar.

``now()`` is the only place the project reads the clock; services and rules take ``now`` /
``as_of`` as arguments.

Working days (DOMAIN.md decision 3, §9): official holidays and make-up workdays (调休) come from
``chinesecalendar`` (pinned 1.11.0, data 2004–2026), extended by an admin-maintained override
table for the next year's State Council notice. A day outside the known calendar counts as a
workday when it is Monday–Friday, and any result that depended on such a day is *provisional*
(暂定) instead of an error. Periods start the day after the trigger (民法典 Arts 201–203), so the
deadline of "n working days" is the n-th working day after the trigger date.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return now().date()


def local_date(at: datetime) -> date:
    """The Shanghai calendar day of the moment ``at`` (deadlines and periods count these)."""
    return at.astimezone(SHANGHAI).date()


def aware(value: datetime) -> datetime:
    """``value`` with a time zone, in Shanghai time: a naive time given by a user is Shanghai
    time; an aware one is the same moment shown at +08:00."""
    return local(value) if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def local(value: datetime) -> datetime:
    """The moment ``value`` (aware) at Shanghai time: the one form every timestamp the platform
    stores, answers and prints takes, whatever offset it arrived with."""
    return value.astimezone(SHANGHAI)


@dataclass(frozen=True)
class Deadline:
    """The last day of a working-day period; ``provisional`` when it relied on Mon–Fri guesses."""

    due: date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days; ``provisional`` when it relied on Mon–Fri guesses."""

    days: int
    provisional: bool


@dataclass(frozen=True)
class _Year:
    known: bool
    workdays: frozenset[date]
    ordinals: tuple[int, ...]  # sorted ordinals of ``workdays``, for counting by bisection


def _chinesecalendar_is_workday(d: date) -> bool | None:
    """chinesecalendar's answer, or ``None`` when the year is outside its data."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


class WorkCalendar:
    """China's official working days, extendable by admin overrides.

    ``overrides`` maps a date to whether it is a workday and wins over chinesecalendar and over
    the Mon–Fri fallback. ``extra_known_years`` are years the overrides cover completely (the
    State Council notice has been entered), so results in them are no longer provisional.
    Each year's workdays are computed once and cached on the instance.
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        *,
        extra_known_years: Iterable[int] = (),
    ) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._extra_known_years = frozenset(extra_known_years)
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        first = date(year, 1, 1)
        days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
        # One probe decides coverage; the per-day calls below then never raise.
        from_library = _chinesecalendar_is_workday(first) is not None
        workdays: list[date] = []
        for d in days:
            if d in self._overrides:
                is_workday = self._overrides[d]
            elif from_library:
                is_workday = chinese_calendar.is_workday(d)
            else:
                is_workday = d.weekday() < 5
            if is_workday:
                workdays.append(d)
        entry = _Year(
            known=from_library or year in self._extra_known_years,
            workdays=frozenset(workdays),
            ordinals=tuple(d.toordinal() for d in workdays),
        )
        self._years[year] = entry
        return entry

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (Mon–Fri outside the known calendar)."""
        return d in self._year(d.year).workdays

    def is_known(self, d: date) -> bool:
        """Whether ``d`` lies in chinesecalendar's data or in a year covered by overrides."""
        return self._year(d.year).known

    def add_workdays(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start`` (the trigger day itself is not counted).

        ``n == 0`` gives ``start``. The deadline is provisional when any day counted lies
        outside the known calendar.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        provisional = False
        remaining = n
        while remaining:
            d += timedelta(days=1)
            year = self._year(d.year)
            if not year.known:
                provisional = True
            if d in year.workdays:
                remaining -= 1
        return Deadline(due=d, provisional=provisional)

    def workdays_between(self, start: date, end: date) -> WorkdayCount:
        """Working days after ``start`` up to and including ``end``; 0 when ``end <= start``."""
        if end <= start:
            return WorkdayCount(days=0, provisional=False)
        lo, hi = start.toordinal(), end.toordinal()  # count ordinals in (lo, hi]
        days = 0
        provisional = False
        for y in range((start + timedelta(days=1)).year, end.year + 1):
            year = self._year(y)
            if not year.known:
                provisional = True
            days += bisect_right(year.ordinals, hi) - bisect_right(year.ordinals, lo)
        return WorkdayCount(days=days, provisional=provisional)


@cache
def default_calendar() -> WorkCalendar:
    """The calendar from chinesecalendar alone, without admin overrides."""
    return WorkCalendar()
