"""Can this record be repaired now? One answer, with a reason and a date, used by the
application, the subject's own credit file and the eligibility endpoint alike — and the last
decision on an application for it: outcome, reason, date, deciding department, when a new
application may be made, and for a rejection how to object to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.catalog.schemas import Polarity
from xinyong.credit_file.schemas import ObjectionRoute, RepairDecision, RepairStatus
from xinyong.kit.clock import local_date
from xinyong.records.describe import PublicityState, publicity_state
from xinyong.records.models import Record, RecordStatus
from xinyong.repair.models import RepairItem, RepairTask
from xinyong.repair.rules import Reapplication, RepairRule, RepairRules
from xinyong.repair.workflow import DECIDED_ITEMS, ITEM, ItemStatus

# Where a rejected repair result is objected to (the objections domain: grounds repair_result).
OBJECTION_HREF: Final = "/api/v1/objections"


def _status(code: str, reason: str, possible_from: date | None = None) -> RepairStatus:
    return RepairStatus(possible=False, code=code, reason=reason, possible_from=possible_from)


def judge(
    record: Record,
    rule: RepairRule | None,
    *,
    as_of: date,
    open_application: int | None,
    last: RepairDecision | None = None,
    reapplication: Reapplication | None = None,
) -> RepairStatus:
    """The repair status of ``record`` on ``as_of`` under ``rule`` (None: no rule), with the
    last decision on it. After a rejection a new application may be made once the repair
    rules' waiting days have passed (none by default: at once, the reason remedied)."""
    status = _judge_now(record, rule, as_of=as_of, open_application=open_application)
    if last is None:
        return status
    last = _next_steps(last, reapplication)
    status.last_decision = last
    if not status.possible or open_application is not None or last.reapply_from is None:
        return status
    if as_of < last.reapply_from:
        waiting = _status(
            "repair.reapply_wait",
            f"{_previous(last)}。{last.reapply_from} 起可重新申请修复",
            last.reapply_from,
        )
        waiting.last_decision = last
        return waiting
    status.code = "repair.reapply"
    decider = f"（{rule.name}；由{rule.decider}决定）" if rule else ""
    status.reason = f"{_previous(last)}。{_remedy(last)}{decider}"
    return status


def _next_steps(last: RepairDecision, reapplication: Reapplication | None) -> RepairDecision:
    """When a new application may be made after ``last``, and how to object to a rejection."""
    if last.outcome == ItemStatus.EXPIRED:
        return last.model_copy(update={"reapply_from": last.decided_on})
    if last.outcome != ItemStatus.REJECTED:
        return last
    wait = reapplication.after_rejection_days if reapplication else 0
    route = ObjectionRoute(
        label="对不予修复的决定提出异议（修复结果）",
        href=OBJECTION_HREF,
        body={"grounds": "repair_result", "repair_item_id": last.item_id},
    )
    return last.model_copy(
        update={"reapply_from": last.decided_on + timedelta(days=wait), "objection": route}
    )


def _previous(last: RepairDecision) -> str:
    if last.outcome == ItemStatus.EXPIRED:
        return f"上次申请因逾期未补正材料，已于 {last.decided_on} 终止"
    reason = f"：{last.reason}" if last.reason else ""
    return f"上次申请于 {last.decided_on} 经{last.department}决定{last.outcome_label}{reason}"


def _remedy(last: RepairDecision) -> str:
    if last.outcome == ItemStatus.EXPIRED:
        return "可重新申请"
    return "按上述理由纠正后可重新申请；对该决定有异议的，可提出“修复结果”异议"


def _judge_now(
    record: Record,
    rule: RepairRule | None,
    *,
    as_of: date,
    open_application: int | None,
) -> RepairStatus:
    """The repair status of ``record`` on ``as_of`` under ``rule``, before any history."""
    if record.status is not RecordStatus.ACTIVE:
        return _status("repair.revoked", "该信息已撤销，无需修复")
    if record.polarity != Polarity.BAD.value:
        return _status("repair.not_adverse", "该信息不是失信信息，无需修复")
    if record.repaired_on is not None:
        return _status("repair.already_repaired", f"该信息已于 {record.repaired_on} 修复")
    if open_application is not None:
        status = _status("repair.already_open", "该信息已有处理中的修复申请")
        status.application_id = open_application
        return status
    state = publicity_state(record, as_of)
    if state is PublicityState.EXPIRED:
        return _status("repair.not_needed", "该信息已过公示期，已停止公示，无需修复")
    if state is PublicityState.NOT_PUBLICISED:
        return _status(
            "repair.not_publicised",
            "该信息依规不予公示（如简易程序处罚、仅警告），不在信用网站展示，无需申请修复",
        )
    if rule is None:
        return _status("repair.no_rule", "该类信息暂无修复规则，请咨询信用办")
    if not rule.repairable:
        return _status("repair.not_repairable", rule.not_repairable_reason or "该类信息不受理修复")
    if record.repair_possible_from is None:
        ends = (
            f"，公示期满（{record.publicity_ends_on}）后自动停止公示"
            if record.publicity_ends_on
            else ""
        )
        return _status("repair.never_early", f"该类信息依规不可提前修复{ends}")
    if as_of < record.repair_possible_from:
        return _status(
            "repair.too_early",
            f"最短公示期未满，{record.repair_possible_from} 起可申请修复",
            record.repair_possible_from,
        )
    return RepairStatus(
        possible=True,
        code="repair.possible",
        reason=f"可申请修复（{rule.name}；由{rule.decider}决定）",
        possible_from=record.repair_possible_from,
    )


def open_items(session: Session, record_ids: Sequence[int]) -> dict[int, int]:
    """record id → the application with an open item for it."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(RepairItem.record_id, RepairItem.application_id).where(
            RepairItem.record_id.in_(list(record_ids)), RepairItem.status == ItemStatus.PENDING
        )
    )
    return dict(rows.all())


def last_decisions(session: Session, record_ids: Sequence[int]) -> dict[int, RepairDecision]:
    """record id → the last decision on an application for it (approved, rejected, or
    ended for want of a supplement), with the deciding department by name."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(RepairItem, Department.name)
        .join(RepairTask, RepairTask.id == RepairItem.task_id)
        .join(Department, Department.id == RepairTask.department_id)
        .where(
            RepairItem.record_id.in_(list(record_ids)),
            RepairItem.status.in_(DECIDED_ITEMS),
            RepairItem.decided_at.is_not(None),
        )
        .order_by(RepairItem.decided_at, RepairItem.id)
    )
    out: dict[int, RepairDecision] = {}
    for item, department in rows:
        if item.decided_at is None:
            continue
        out[item.record_id] = RepairDecision(
            outcome=item.status,
            outcome_label=ITEM.label(item.status),
            reason=item.reason,
            decided_on=local_date(item.decided_at),
            department=department,
            application_id=item.application_id,
            item_id=item.id,
        )
    return out


def sectors(session: Session, records: Sequence[Record]) -> dict[int, str | None]:
    """department id → sector, for the departments that made ``records``."""
    ids = {r.source_department_id for r in records}
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Department.id, Department.sector).where(Department.id.in_(ids))
        ).all()
    )


@dataclass(frozen=True)
class Assessment:
    """The repair rule of a record (None: no rule) and whether it can be repaired now."""

    rule: RepairRule | None
    status: RepairStatus


def assess(
    session: Session, records: Sequence[Record], as_of: date, *, rules: RepairRules
) -> dict[int, Assessment]:
    """record id → its rule and status, for many records in three queries."""
    by_department = sectors(session, records)
    ids = [r.id for r in records]
    pending, decided = open_items(session, ids), last_decisions(session, ids)
    out = {}
    for r in records:
        rule = rules.rule_for(r.record_type, r.severity, by_department.get(r.source_department_id))
        status = judge(
            r,
            rule,
            as_of=as_of,
            open_application=pending.get(r.id),
            last=decided.get(r.id),
            reapplication=rules.reapplication,
        )
        out[r.id] = Assessment(rule, status)
    return out


def statuses(
    session: Session, records: Sequence[Record], as_of: date, *, rules: RepairRules
) -> dict[int, RepairStatus]:
    """record id → repair status (the subject's own credit file)."""
    return {i: a.status for i, a in assess(session, records, as_of, rules=rules).items()}
