"""The working-day calendar in force: chinesecalendar plus the admin's holiday table.

DOMAIN.md decision 3: chinesecalendar (pinned 1.11.0, data 2004–2026) gives official holidays
and make-up workdays; an admin enters the next year's State Council notice day by day and then
marks the year complete. Deadlines in an unknown year count Mon–Fri and are provisional (暂定).
Every change is audited in the caller's transaction; services flush, never commit.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, timedelta
from threading import Lock
from typing import Final

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.kit.clock import Deadline, WorkCalendar
from xinyong.workdays.errors import (
    AdminOnly,
    DaysOutOfRange,
    OverrideNotFound,
    YearNotComplete,
    YearOutOfRange,
)
from xinyong.workdays.models import HolidayOverride, HolidayYear
from xinyong.workdays.schemas import HolidayDayRead, HolidayYearRead

MIN_YEAR: Final = 2004
MAX_YEAR: Final = 2100
MAX_DAYS: Final = 366
HOLIDAY_NAMES: Final = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}

# Calendars by table content: the table is small (a few dozen rows a year), so reading it
# whole is cheap, and keying on its content makes an edit visible at once in this process.
_CacheKey = tuple[tuple[tuple[date, bool], ...], tuple[int, ...]]
_CACHE: OrderedDict[_CacheKey, WorkCalendar] = OrderedDict()
_CACHE_SIZE: Final = 8
_CACHE_LOCK = Lock()


def _table_key(session: Session) -> _CacheKey:
    days = session.execute(
        select(HolidayOverride.day, HolidayOverride.is_workday).order_by(HolidayOverride.day)
    ).all()
    years = session.scalars(select(HolidayYear.year).order_by(HolidayYear.year)).all()
    return tuple((d, w) for d, w in days), tuple(years)


def work_calendar(session: Session) -> WorkCalendar:
    """The calendar every deadline is computed on: chinesecalendar, the admin's overrides
    winning over it, and the years marked complete counted as known."""
    key = _table_key(session)
    with _CACHE_LOCK:
        cal = _CACHE.get(key)
        if cal is not None:
            _CACHE.move_to_end(key)
            return cal
    cal = WorkCalendar(dict(key[0]), extra_known_years=key[1])
    with _CACHE_LOCK:
        _CACHE[key] = cal
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return cal


def deadline(session: Session, *, start: date, days: int) -> Deadline:
    """The ``days``-th working day after ``start`` (民法典 201: the trigger day is not counted),
    provisional when it relied on a year whose calendar is not yet known."""
    if not 0 <= days <= MAX_DAYS:
        raise DaysOutOfRange(days)
    return work_calendar(session).add_workdays(start, days)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise YearOutOfRange(year)


def _library_detail(d: date) -> tuple[bool, str | None] | None:
    """(is_workday, Chinese holiday name) from chinesecalendar, ``None`` outside its data."""
    try:
        is_workday = chinese_calendar.is_workday(d)
        _, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return None
    return is_workday, (HOLIDAY_NAMES.get(name, name) if name else None)


def list_year(session: Session, *, principal: Principal, year: int) -> HolidayYearRead:
    """The effective special days of ``year``: holidays on weekdays, make-up workdays on
    weekends (from chinesecalendar) and every day an admin set, marked ``override``."""
    principal.require_admin(AdminOnly())
    _check_year(year)
    first, last = date(year, 1, 1), date(year, 12, 31)
    overrides = {
        o.day: o
        for o in session.scalars(
            select(HolidayOverride).where(HolidayOverride.day.between(first, last))
        )
    }
    marked = session.get(HolidayYear, year)
    in_library = _library_detail(first) is not None
    days: list[HolidayDayRead] = []
    d = first
    while d <= last:
        weekday_rule = d.weekday() < 5
        o = overrides.get(d)
        if o is not None:
            days.append(
                HolidayDayRead(
                    day=d,
                    weekday=d.isoweekday(),
                    is_workday=o.is_workday,
                    name=o.name,
                    source="override",
                    override=True,
                    note=o.note,
                    set_by=o.set_by,
                    set_at=o.set_at,
                )
            )
        elif in_library:
            detail = _library_detail(d)
            assert detail is not None  # the year is covered
            if detail[0] != weekday_rule:
                days.append(
                    HolidayDayRead(
                        day=d,
                        weekday=d.isoweekday(),
                        is_workday=detail[0],
                        name=detail[1],
                        source="chinesecalendar",
                        override=False,
                    )
                )
        d += timedelta(days=1)
    return HolidayYearRead(
        year=year,
        known=in_library or marked is not None,
        in_chinesecalendar=in_library,
        completed=marked is not None,
        completed_by=marked.completed_by if marked else None,
        completed_at=marked.completed_at if marked else None,
        days=days,
    )


def set_day(
    session: Session,
    *,
    principal: Principal,
    day: date,
    is_workday: bool,
    name: str,
    note: str | None,
    now: datetime,
) -> HolidayOverride:
    """Enter or change one day of the official calendar (wins over chinesecalendar)."""
    principal.require_admin(AdminOnly())
    _check_year(day.year)
    row = session.scalar(select(HolidayOverride).where(HolidayOverride.day == day))
    before = None if row is None else {"is_workday": row.is_workday, "name": row.name}
    if row is None:
        row = HolidayOverride(day=day)
        session.add(row)
    row.is_workday = is_workday
    row.name = name.strip()
    row.note = note
    row.set_by = principal.actor
    row.set_at = now
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="holidays.set",
        object_type="holiday",
        object_id=day.isoformat(),
        detail={"before": before, "is_workday": is_workday, "name": row.name, "note": note},
        now=now,
    )
    return row


def remove_day(session: Session, *, principal: Principal, day: date, now: datetime) -> None:
    """Remove the admin's entry for ``day``; chinesecalendar or Mon–Fri applies again."""
    principal.require_admin(AdminOnly())
    row = session.scalar(select(HolidayOverride).where(HolidayOverride.day == day))
    if row is None:
        raise OverrideNotFound(day)
    before = {"is_workday": row.is_workday, "name": row.name}
    session.execute(delete(HolidayOverride).where(HolidayOverride.id == row.id))
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="holidays.remove",
        object_type="holiday",
        object_id=day.isoformat(),
        detail={"before": before},
        now=now,
    )


def complete_year(
    session: Session, *, principal: Principal, year: int, note: str | None, now: datetime
) -> HolidayYear:
    """Mark ``year`` as fully entered: its deadlines stop being provisional. Idempotent."""
    principal.require_admin(AdminOnly())
    _check_year(year)
    row = session.get(HolidayYear, year)
    if row is None:
        row = HolidayYear(year=year)
        session.add(row)
    row.note = note
    row.completed_by = principal.actor
    row.completed_at = now
    session.flush()
    entered = session.scalars(
        select(HolidayOverride.day).where(
            HolidayOverride.day.between(date(year, 1, 1), date(year, 12, 31))
        )
    ).all()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="holidays.complete_year",
        object_type="holiday_year",
        object_id=year,
        detail={"note": note, "days_entered": len(entered)},
        now=now,
    )
    return row


def reopen_year(session: Session, *, principal: Principal, year: int, now: datetime) -> None:
    """Withdraw the complete mark of ``year``: its deadlines are provisional again."""
    principal.require_admin(AdminOnly())
    row = session.get(HolidayYear, year)
    if row is None:
        raise YearNotComplete(year)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="holidays.reopen_year",
        object_type="holiday_year",
        object_id=year,
        detail={},
        now=now,
    )
