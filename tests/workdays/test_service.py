"""The holiday table and deadlines (DOMAIN.md decision 3, §13 facts 15–18)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from xinyong.accounts.models import Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.audit.models import AuditEntry
from xinyong.errors import Unauthorized
from xinyong.kit.clock import SHANGHAI
from xinyong.workdays import service
from xinyong.workdays.errors import AdminOnly, DaysOutOfRange, OverrideNotFound

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
ADMIN = Principal(
    kind="user", id=7, role=Role.ADMIN, department_code=None, subject_id=None, name="管理员"
)
REVIEWER = Principal(
    kind="user", id=8, role=Role.REVIEWER, department_code="X", subject_id=None, name="审核员"
)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2025, 9, 26), 5, date(2025, 10, 10)),  # fact 15: 09-28 Sun make-up workday
        (date(2025, 9, 30), 5, date(2025, 10, 14)),  # fact 16: 10-11 Sat workday
        (date(2026, 2, 13), 3, date(2026, 2, 25)),  # fact 17: Spring Festival
        (date(2025, 12, 31), 10, date(2026, 1, 15)),  # fact 18
    ],
)
def test_deadline_follows_official_calendar(session, start, days, due):
    result = service.deadline(session, start=start, days=days)
    assert result.due == due
    assert result.provisional is False


def test_deadline_in_2027_is_provisional_weekday_count(session):
    result = service.deadline(session, start=date(2026, 12, 30), days=3)
    # 12-31 Thu (known), then 2027: 01-01 Fri, 01-04 Mon counted Mon–Fri.
    assert result.due == date(2027, 1, 4)
    assert result.provisional is True


def test_entered_and_completed_2027_is_exact_and_skips_the_holiday(session):
    service.set_day(
        session,
        principal=ADMIN,
        day=date(2027, 1, 1),
        is_workday=False,
        name="元旦",
        note="国办发明电〔2026〕X号",
        now=NOW,
    )
    # Entered but not complete: still provisional, already skips the entered holiday.
    entered = service.deadline(session, start=date(2026, 12, 30), days=3)
    assert entered == service.work_calendar(session).add_workdays(date(2026, 12, 30), 3)
    assert entered.due == date(2027, 1, 5)
    assert entered.provisional is True
    service.complete_year(session, principal=ADMIN, year=2027, note=None, now=NOW)
    done = service.deadline(session, start=date(2026, 12, 30), days=3)
    assert done.due == date(2027, 1, 5)
    assert done.provisional is False


def test_make_up_workday_on_a_weekend_counts(session):
    service.set_day(
        session,
        principal=ADMIN,
        day=date(2027, 2, 6),  # a Saturday
        is_workday=True,
        name="春节",
        note=None,
        now=NOW,
    )
    assert service.deadline(session, start=date(2027, 2, 5), days=1).due == date(2027, 2, 6)


def test_override_wins_over_chinesecalendar_and_removal_restores_it(session):
    # 2026-03-03 is an ordinary Tuesday in chinesecalendar.
    assert service.deadline(session, start=date(2026, 3, 2), days=1).due == date(2026, 3, 3)
    service.set_day(
        session,
        principal=ADMIN,
        day=date(2026, 3, 3),
        is_workday=False,
        name="临时调整",
        note=None,
        now=NOW,
    )
    assert service.deadline(session, start=date(2026, 3, 2), days=1).due == date(2026, 3, 4)
    service.remove_day(session, principal=ADMIN, day=date(2026, 3, 3), now=NOW)
    assert service.deadline(session, start=date(2026, 3, 2), days=1).due == date(2026, 3, 3)


def test_changing_an_entered_day_is_seen_at_once(session):
    kwargs = {"principal": ADMIN, "day": date(2027, 3, 1), "name": "测试", "note": None}
    service.set_day(session, is_workday=False, now=NOW, **kwargs)
    assert not service.work_calendar(session).is_workday(date(2027, 3, 1))
    service.set_day(session, is_workday=True, now=NOW, **kwargs)
    assert service.work_calendar(session).is_workday(date(2027, 3, 1))


def test_list_year_shows_library_days_and_overrides(session):
    service.set_day(
        session,
        principal=ADMIN,
        day=date(2026, 3, 2),
        is_workday=False,
        name="临时调整",
        note="测试",
        now=NOW,
    )
    year = service.list_year(session, principal=ADMIN, year=2026)
    assert year.known and year.in_chinesecalendar and not year.completed
    by_day = {d.day: d for d in year.days}
    assert by_day[date(2026, 2, 14)].is_workday is True  # Saturday make-up
    assert by_day[date(2026, 2, 14)].name == "春节"
    assert by_day[date(2026, 2, 16)].is_workday is False
    assert date(2026, 2, 21) not in by_day  # a Saturday holiday is not special
    assert by_day[date(2026, 3, 2)].override is True
    assert by_day[date(2026, 3, 2)].set_by == "user:7"
    unknown = service.list_year(session, principal=ADMIN, year=2027)
    assert not unknown.known and unknown.days == []


def test_every_change_is_audited(session):
    service.set_day(
        session,
        principal=ADMIN,
        day=date(2027, 5, 3),
        is_workday=False,
        name="劳动节",
        note=None,
        now=NOW,
    )
    service.remove_day(session, principal=ADMIN, day=date(2027, 5, 3), now=NOW)
    service.complete_year(session, principal=ADMIN, year=2027, note="通知", now=NOW)
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("holidays.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["holidays.set", "holidays.remove", "holidays.complete_year"]


def test_only_admin_maintains_the_table(session):
    with pytest.raises(AdminOnly):
        service.set_day(
            session,
            principal=REVIEWER,
            day=date(2027, 1, 1),
            is_workday=False,
            name="元旦",
            note=None,
            now=NOW,
        )
    with pytest.raises(Unauthorized):
        service.complete_year(session, principal=ANONYMOUS, year=2027, note=None, now=NOW)


def test_removing_a_day_never_entered_is_404(session):
    with pytest.raises(OverrideNotFound) as exc:
        service.remove_day(session, principal=ADMIN, day=date(2027, 1, 1), now=NOW)
    assert exc.value.status == 404


def test_negative_days_rejected(session):
    with pytest.raises(DaysOutOfRange):
        service.deadline(session, start=date(2026, 1, 1), days=-1)
