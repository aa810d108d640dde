"""Statistics of credit checks (seed 004: 48.26 万 checks, 32 467 优先办理, 773 不予办理,
583 从严办理, 1 192 subjects put on key supervision), grouped by area, department, decision
or measure, as JSON or CSV."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select, true
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.checks.errors import ChecksForbidden, InvalidStatsRange
from xinyong.checks.measures import Action, MeasureCatalog
from xinyong.checks.models import CreditCheck, CreditCheckMeasure
from xinyong.checks.schemas import CheckStats, StatsBy, StatsRow
from xinyong.checks.service import require_checker
from xinyong.kit.clock import SHANGHAI
from xinyong.kit.spreadsheet import csv_text

CSV_HEADER = [
    "分组",
    "名称",
    "核查次数",
    *[a.value for a in Action],
    "已反馈",
    "已采纳",
    "纳入重点监管主体数",
]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _scope(
    principal: Principal, from_date: date | None, to_date: date | None
) -> ColumnElement[bool]:
    require_checker(principal)
    conditions: list[ColumnElement[bool]] = []
    if not principal.is_admin:
        if not principal.department_code:
            raise ChecksForbidden()
        conditions.append(CreditCheck.department_code == principal.department_code)
    if from_date and to_date and to_date < from_date:
        raise InvalidStatsRange()
    if from_date:
        conditions.append(CreditCheck.checked_at >= _start_of(from_date))
    if to_date:
        conditions.append(CreditCheck.checked_at < _start_of(to_date + timedelta(days=1)))
    return and_(true(), *conditions)


def _empty() -> dict[str, Any]:
    return {
        "checks": 0,
        "decisions": {},
        "feedback": 0,
        "applied": 0,
        "key_supervision_subjects": 0,
    }


def _aggregate(
    session: Session, key: Any, condition: ColumnElement[bool], join_measures: bool
) -> dict[str, dict[str, Any]]:
    """key → {"checks", "decisions", "feedback", "applied", "key_supervision_subjects"};
    ``key`` None: one row for everything, under "total"."""
    grouping = [] if key is None else [key]
    key = literal_column("'total'") if key is None else key
    base = select(
        key.label("key"),
        CreditCheck.decision,
        func.count(CreditCheck.id.distinct()),
        func.count(CreditCheck.feedback_at),
        func.sum(case((CreditCheck.applied.is_(True), 1), else_=0)),
    )
    if join_measures:
        base = base.join(CreditCheckMeasure, CreditCheckMeasure.check_id == CreditCheck.id)
    rows = session.execute(base.where(condition).group_by(*grouping, CreditCheck.decision))
    out: dict[str, dict[str, Any]] = defaultdict(_empty)
    for k, decision, n, feedback, applied in rows:
        row = out["" if k is None else str(k)]
        row["checks"] += n
        row["decisions"][decision] = n
        row["feedback"] += feedback
        row["applied"] += int(applied or 0)
    supervised = select(key.label("key"), func.count(CreditCheck.subject_id.distinct()))
    if join_measures:
        supervised = supervised.join(
            CreditCheckMeasure, CreditCheckMeasure.check_id == CreditCheck.id
        )
    for k, n in session.execute(
        supervised.where(condition, CreditCheck.key_supervision_entry_id.is_not(None)).group_by(
            *grouping
        )
    ):
        out["" if k is None else str(k)]["key_supervision_subjects"] = n
    return dict(out)


def _labels(
    session: Session, by: StatsBy, keys: list[str], measures: MeasureCatalog
) -> dict[str, str]:
    if by == "department":
        names = dict(
            session.execute(
                select(Department.code, Department.name).where(Department.code.in_(keys))
            ).all()
        )
        return {k: names.get(k, k or "（无部门）") for k in keys}
    if by == "measure":
        return {k: (m.name if (m := measures.get(k)) else k) for k in keys}
    return {k: k for k in keys}


def check_stats(
    session: Session,
    measures: MeasureCatalog,
    *,
    principal: Principal,
    from_date: date | None,
    to_date: date | None,
    by: StatsBy,
    now: datetime,
) -> CheckStats:
    """Counts of checks per ``by`` with each decision, feedback received, feedback that applied
    the decision, and distinct subjects put on key supervision. Admins see all departments,
    everyone else their own."""
    condition = _scope(principal, from_date, to_date)
    key = {
        "area": CreditCheck.area,
        "department": CreditCheck.department_code,
        "decision": CreditCheck.decision,
        "measure": CreditCheckMeasure.measure_id,
    }[by]
    grouped = _aggregate(session, key, condition, join_measures=by == "measure")
    total = _aggregate(session, None, condition, join_measures=False).get("total", _empty())
    labels = _labels(session, by, sorted(grouped), measures)
    rows = [
        StatsRow(key=k, label=labels[k], **v)
        for k, v in sorted(grouped.items(), key=lambda item: (-item[1]["checks"], item[0]))
    ]
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="checks.stats",
        object_type="credit_check",
        object_id=None,
        detail={"by": by, "from": from_date, "to": to_date},
        now=now,
    )
    return CheckStats(
        from_date=from_date,
        to_date=to_date,
        by=by,
        total=StatsRow(key="total", label="合计", **total),
        rows=rows,
    )


def stats_csv(stats: CheckStats) -> str:
    """The statistics as CSV for spreadsheet programs."""
    return csv_text(
        CSV_HEADER,
        (
            [
                row.key,
                row.label,
                row.checks,
                *[row.decisions.get(a.value, 0) for a in Action],
                row.feedback,
                row.applied,
                row.key_supervision_subjects,
            ]
            for row in [*stats.rows, stats.total]
        ),
    )
