"""The outbox: written in the caller's transaction, one row per applicable platform, due
within 3 working days (decision 9), flagged overdue afterwards."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from sync.conftest import drop_platforms, repaired
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.db import unit_of_work
from xinyong.kit.clock import SHANGHAI
from xinyong.sync import service
from xinyong.sync.models import SyncDelivery
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.workflow import DeliveryStatus
from xinyong.workdays import service as workdays

ADMIN = Principal(
    kind="user", id=1, role=Role.ADMIN, department_code=None, subject_id=None, name="管理员"
)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def enqueue(session, platforms, object_id, *, now, record_type="administrative_penalty"):
    return SyncOutbox(platforms).enqueue(
        session,
        kind="repair",
        object_type="record",
        object_id=object_id,
        payload=repaired(object_id),
        record_type=record_type,
        now=now,
    )


def count(engine):
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(SyncDelivery))


def test_enqueue_writes_nothing_when_the_decision_rolls_back(db, tmp_path):
    platforms = drop_platforms(tmp_path)
    with pytest.raises(RuntimeError), unit_of_work(db) as s:
        assert len(enqueue(s, platforms, 1, now=at(date(2026, 3, 2)))) == 2
        raise RuntimeError("the decision failed after queueing")
    assert count(db) == 0
    with unit_of_work(db) as s:
        enqueue(s, platforms, 1, now=at(date(2026, 3, 2)))
    assert count(db) == 2


def test_enqueue_is_idempotent_per_platform_and_object(session, tmp_path):
    platforms = drop_platforms(tmp_path)
    first = enqueue(session, platforms, 2, now=at(date(2026, 3, 2)))
    again = enqueue(session, platforms, 2, now=at(date(2026, 3, 3)))
    assert [d.id for d in first] == [d.id for d in again]
    assert session.scalar(select(func.count()).select_from(SyncDelivery)) == 2


def test_platforms_by_record_type(session, tmp_path):
    platforms = drop_platforms(tmp_path)
    rows = enqueue(session, platforms, 3, now=at(date(2026, 3, 2)), record_type="commitment_breach")
    assert [d.platform for d in rows] == ["hangzhou"]


@pytest.mark.parametrize(
    ("enqueued", "due", "last_on_time"),
    [
        (date(2026, 3, 6), date(2026, 3, 11), date(2026, 3, 11)),  # Friday: the weekend skipped
        (
            date(2026, 2, 12),
            date(2026, 2, 24),
            date(2026, 2, 24),
        ),  # Spring Festival + 02-14 make-up
    ],
)
def test_overdue_after_three_working_days(session, tmp_path, enqueued, due, last_on_time):
    platforms = drop_platforms(tmp_path)
    rows = enqueue(session, platforms, 4, now=at(enqueued))
    d = next(r for r in rows if r.platform == "gsxt")
    assert (d.due_on, d.due_provisional) == (due, False)

    def flags(day):
        rows = service.list_deliveries(
            session,
            platforms,
            principal=ADMIN,
            status=None,
            platform=None,
            overdue=None,
            now=at(day),
        )
        overdue_only = service.list_deliveries(
            session,
            platforms,
            principal=ADMIN,
            status=None,
            platform=None,
            overdue=True,
            now=at(day),
        )
        return {r.overdue for r in rows}, len(overdue_only)

    assert flags(last_on_time) == ({False}, 0)
    assert flags(date.fromordinal(last_on_time.toordinal() + 1)) == ({True}, 2)
    d.status = DeliveryStatus.ACKNOWLEDGED.value
    session.flush()
    later = date.fromordinal(last_on_time.toordinal() + 1)
    assert (
        service.list_deliveries(
            session,
            platforms,
            principal=ADMIN,
            status=None,
            platform="gsxt",
            overdue=True,
            now=at(later),
        )
        == []
    )


def test_due_date_uses_the_admins_holiday_table(session, tmp_path):
    platforms = drop_platforms(tmp_path)
    [d, _] = enqueue(session, platforms, 5, now=at(date(2026, 12, 30)))
    assert (d.due_on, d.due_provisional) == (date(2027, 1, 4), True)
    workdays.set_day(
        session,
        principal=ADMIN,
        day=date(2027, 1, 1),
        is_workday=False,
        name="元旦",
        note=None,
        now=at(date(2026, 11, 1)),
    )
    workdays.complete_year(
        session, principal=ADMIN, year=2027, note=None, now=at(date(2026, 11, 1))
    )
    [e, _] = enqueue(session, platforms, 6, now=at(date(2026, 12, 30)))
    assert (e.due_on, e.due_provisional) == (date(2027, 1, 5), False)
