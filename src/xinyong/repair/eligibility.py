"""Can this record be repaired now? One answer, with a reason and a date, used by the
application, the subject's own credit file and the eligibility endpoint alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.catalog.schemas import Polarity
from xinyong.records.credit_file import publicity_state
from xinyong.records.models import Record, RecordStatus
from xinyong.records.schemas import PublicityState, RepairStatus
from xinyong.repair.models import RepairItem
from xinyong.repair.rules import RepairRule, RepairRules
from xinyong.repair.workflow import ITEM_PENDING


def _status(code: str, reason: str, possible_from: date | None = None) -> RepairStatus:
    return RepairStatus(possible=False, code=code, reason=reason, possible_from=possible_from)


def judge(
    record: Record,
    rule: RepairRule | None,
    *,
    as_of: date,
    open_application: int | None,
) -> RepairStatus:
    """The repair status of ``record`` on ``as_of`` under ``rule`` (None: no rule)."""
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
            RepairItem.record_id.in_(list(record_ids)), RepairItem.status == ITEM_PENDING
        )
    )
    return dict(rows.all())


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
    """record id → its rule and status, for many records in two queries."""
    by_department = sectors(session, records)
    pending = open_items(session, [r.id for r in records])
    out = {}
    for r in records:
        rule = rules.rule_for(r.record_type, r.severity, by_department.get(r.source_department_id))
        status = judge(r, rule, as_of=as_of, open_application=pending.get(r.id))
        out[r.id] = Assessment(rule, status)
    return out


def statuses(
    session: Session, records: Sequence[Record], as_of: date, *, rules: RepairRules
) -> dict[int, RepairStatus]:
    """record id → repair status (the subject's own credit file)."""
    return {i: a.status for i, a in assess(session, records, as_of, rules=rules).items()}
