"""Repair metrics in working days (seed 002: department review 15 → 2.6 working days; 94.54 %
handled without a visit): median and mean from submission to completion, the share filed
online, counts by deciding department and by record type; CSV export."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.errors import Forbidden
from xinyong.kit.clock import SHANGHAI, WorkCalendar, local_date
from xinyong.kit.spreadsheet import csv_text
from xinyong.repair.models import RepairApplication, RepairItem, RepairTask
from xinyong.repair.schemas import Metrics, MetricsRow
from xinyong.repair.workflow import ItemStatus, TaskStatus
from xinyong.workdays.service import work_calendar

CSV_HEADER = [
    "分组",
    "键",
    "名称",
    "申请数",
    "已办结",
    "信息条数",
    "准予修复条数",
    "办结用时中位数（工作日）",
    "办结用时平均数（工作日）",
    "网上办理占比",
]


_DEPARTMENT: Final = (Department.id, Department.code, Department.name)


@dataclass
class _Bucket:
    applications: set[int]
    completed: dict[int, int]  # application → working days to completion
    online: set[int]
    records: int = 0
    approved: int = 0


def _bucket() -> _Bucket:
    return _Bucket(set(), {}, set())


def _row(key: str, label: str, b: _Bucket) -> MetricsRow:
    days = list(b.completed.values())
    return MetricsRow(
        key=key,
        label=label,
        applications=len(b.applications),
        completed=len(days),
        records=b.records,
        approved_records=b.approved,
        median_workdays=float(statistics.median(days)) if days else None,
        mean_workdays=round(statistics.fmean(days), 2) if days else None,
        online_share=round(len(b.online) / len(b.applications), 4) if b.applications else None,
    )


def _elapsed(
    calendar: WorkCalendar, application: RepairApplication, task: RepairTask | None
) -> int | None:
    """Working days from submission to completion (of the whole application, or of one
    department's decision); a same-day completion counts as 0."""
    if task is not None:
        if task.status != TaskStatus.DECIDED or task.decided_at is None:
            return None
        end = local_date(task.decided_at)
    else:
        if application.completed_on is None:
            return None
        end = application.completed_on
    return calendar.workdays_between(application.submitted_on, end).days


def repair_metrics(
    session: Session,
    catalog: Catalog,
    *,
    principal: Principal,
    from_date: date | None,
    to_date: date | None,
) -> Metrics:
    """Metrics of the applications submitted in [from, to] (admins only)."""
    principal.require_admin(Forbidden("repair.admin_only", "修复统计仅限信用办管理员查看"))
    applications = _submitted(session, from_date, to_date)
    tasks, items = _tasks_and_items(session, list(applications))
    tally = _tally(work_calendar(session), applications, tasks, items)
    departments = (
        {i: (code, name) for i, code, name in session.execute(select(*_DEPARTMENT))}
        if tally.by_department
        else {}
    )
    return Metrics(
        from_date=from_date,
        to_date=to_date,
        total=_row("total", "合计", tally.total),
        by_department=[
            _row(*departments.get(d, (str(d), str(d))), b)
            for d, b in sorted(tally.by_department.items(), key=lambda x: -len(x[1].applications))
        ],
        by_record_type=[
            _row(t, rt.name if (rt := catalog.get(t)) else t, b)
            for t, b in sorted(tally.by_type.items(), key=lambda x: -len(x[1].applications))
        ],
    )


def _submitted(
    session: Session, from_date: date | None, to_date: date | None
) -> dict[int, RepairApplication]:
    """The applications submitted on Shanghai days [from, to] (either end open)."""
    query = select(RepairApplication)
    if from_date:
        query = query.where(
            RepairApplication.submitted_at >= datetime.combine(from_date, time.min, SHANGHAI)
        )
    if to_date:
        query = query.where(
            RepairApplication.submitted_at
            < datetime.combine(to_date + timedelta(days=1), time.min, SHANGHAI)
        )
    return {a.id: a for a in session.scalars(query)}


def _tasks_and_items(
    session: Session, application_ids: list[int]
) -> tuple[dict[int, RepairTask], list[RepairItem]]:
    if not application_ids:
        return {}, []
    tasks = session.scalars(
        select(RepairTask).where(RepairTask.application_id.in_(application_ids))
    )
    items = session.scalars(
        select(RepairItem).where(RepairItem.application_id.in_(application_ids))
    )
    return {t.id: t for t in tasks}, list(items)


@dataclass
class _Tally:
    total: _Bucket
    by_department: dict[int, _Bucket]
    by_type: dict[str, _Bucket]


def _tally(
    calendar: WorkCalendar,
    applications: dict[int, RepairApplication],
    tasks: dict[int, RepairTask],
    items: list[RepairItem],
) -> _Tally:
    """Applications, records and completion times in all, per deciding department (its own
    decision's time) and per record type (the whole application's)."""
    tally = _Tally(_bucket(), defaultdict(_bucket), defaultdict(_bucket))
    for a in applications.values():
        tally.total.applications.add(a.id)
        if a.channel == "online":
            tally.total.online.add(a.id)
        days = _elapsed(calendar, a, None)
        if days is not None:
            tally.total.completed[a.id] = days
    for item in items:
        a = applications[item.application_id]
        task = tasks[item.task_id]
        tally.total.records += 1
        tally.total.approved += item.status == ItemStatus.APPROVED
        for bucket, per_task in (
            (tally.by_department[task.department_id], True),
            (tally.by_type[item.record_type], False),
        ):
            bucket.applications.add(a.id)
            if a.channel == "online":
                bucket.online.add(a.id)
            bucket.records += 1
            bucket.approved += item.status == ItemStatus.APPROVED
            days = _elapsed(calendar, a, task if per_task else None)
            if days is not None:
                bucket.completed[a.id] = max(days, bucket.completed.get(a.id, 0))
    return tally


def metrics_csv(metrics: Metrics) -> str:
    """The metrics as CSV (UTF-8 with BOM for spreadsheet programs)."""
    rows = [("合计", metrics.total)]
    rows += [("部门", r) for r in metrics.by_department]
    rows += [("信息类型", r) for r in metrics.by_record_type]
    return csv_text(
        CSV_HEADER,
        (
            [
                group,
                r.key,
                r.label,
                r.applications,
                r.completed,
                r.records,
                r.approved_records,
                r.median_workdays,
                r.mean_workdays,
                r.online_share,
            ]
            for group, r in rows
        ),
    )
