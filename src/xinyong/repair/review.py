"""Parallel review: each deciding department works its own queue, decides per record, or asks
for a supplement (its clock pauses); the application's status follows its tasks.

Every move is compare-and-set on the row's ``version`` (or, for items, on their status):
two reviewers deciding the same task at once — exactly one wins, the other gets 409.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.accounts.service import reviewing_department
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.db import compare_and_set
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.records.models import Record
from xinyong.repair import workflow as wf
from xinyong.repair.effects import apply_repair, rescore
from xinyong.repair.errors import (
    ApplicationNotFound,
    Conflict,
    EnterpriseOnly,
    InvalidDecision,
    NoSupplementPending,
    NotYourTask,
    ReviewerOnly,
    TaskNotFound,
)
from xinyong.repair.models import RepairApplication, RepairItem, RepairTask
from xinyong.repair.read import log_repair_read, read_application, task_reads
from xinyong.repair.schemas import ApplicationRead, SupplementIn, TaskDecision, TaskRead
from xinyong.repair.service import decode_proofs, log_event, proofs_held, store_proofs
from xinyong.repair.setup import RepairSetup
from xinyong.subjects.models import Subject
from xinyong.workdays.service import work_calendar


def _department(session: Session, principal: Principal) -> Department | None:
    """The reviewing department of the caller; None for an admin (sees every queue)."""
    return reviewing_department(session, principal, denied=ReviewerOnly())


def list_tasks(
    session: Session,
    catalog: Catalog,
    *,
    principal: Principal,
    status: str | None,
    overdue: bool | None,
    now: datetime,
) -> list[TaskRead]:
    """The caller's department's queue (oldest due first); an admin sees every department's."""
    department = _department(session, principal)
    query = select(RepairTask).order_by(RepairTask.due_on, RepairTask.id).limit(500)
    if department is not None:
        query = query.where(RepairTask.department_id == department.id)
    if status:
        query = query.where(RepairTask.status == status)
    today = local_date(now)
    if overdue:
        query = query.where(RepairTask.status == wf.TASK_PENDING, RepairTask.due_on < today)
    tasks = list(session.scalars(query))
    subject_ids = session.scalars(
        select(RepairApplication.subject_id).where(
            RepairApplication.id.in_({t.application_id for t in tasks} or {0})
        )
    ).all()
    log_repair_read(
        session,
        principal,
        action="repair.tasks_list",
        object_type="repair_task",
        object_id=None,
        subject_ids=list(subject_ids),
        detail={"status": status, "overdue": overdue, "listed": len(tasks)},
        now=now,
    )
    return task_reads(session, catalog, tasks, today)


def _own_task(session: Session, principal: Principal, task_id: int) -> RepairTask:
    department = _department(session, principal)
    task = session.get(RepairTask, task_id)
    if task is None:
        raise TaskNotFound()
    if department is not None and task.department_id != department.id:
        raise NotYourTask()
    return task


def _move_task(session: Session, task: RepairTask, action: str, **values: object) -> str:
    """Compare-and-set the task along the table; 409 if the table forbids it or we lost."""
    seen_status, seen_version = task.status, task.version
    to = wf.target(wf.TASK_MOVES, action, seen_status)
    if to is None:
        raise Conflict("该审核任务")
    moved = compare_and_set(
        session,
        update(RepairTask)
        .where(RepairTask.id == task.id, RepairTask.version == seen_version)
        .values(status=to, version=seen_version + 1, **values),
    )
    if not moved:
        raise Conflict("该审核任务")
    session.expire(task)
    return to


def _move_item(session: Session, item: RepairItem, action: str, **values: object) -> str:
    to = wf.target(wf.ITEM_MOVES, action, item.status)
    if to is None:
        raise Conflict("该信息")
    moved = compare_and_set(
        session,
        update(RepairItem)
        .where(RepairItem.id == item.id, RepairItem.status == item.status)
        .values(status=to, **values),
    )
    if not moved:
        raise Conflict("该信息")
    session.expire(item)
    return to


def refresh_application(session: Session, application_id: int, *, actor: str, now: datetime) -> str:
    """Recompute the application's status from its tasks and items; note completion."""
    # Lock the application first: tasks decided at once by two departments then see each
    # other's outcome, and the aggregate is never computed from a stale snapshot.
    application = session.scalars(
        select(RepairApplication)
        .where(RepairApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    tasks = session.scalars(
        select(RepairTask.status).where(RepairTask.application_id == application_id)
    ).all()
    items = session.scalars(
        select(RepairItem.status).where(RepairItem.application_id == application_id)
    ).all()
    status = wf.aggregate(list(tasks), list(items))
    if status != application.status:
        before = application.status
        application.status = status
        application.version += 1
        if status not in wf.APP_OPEN and application.completed_at is None:
            application.completed_at = now
            application.completed_on = local_date(now)
        log_event(
            session,
            application_id,
            action="status",
            from_status=before,
            to_status=status,
            actor=actor,
            now=now,
        )
    session.flush()
    return status


def decide(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    task_id: int,
    data: TaskDecision,
    now: datetime,
) -> TaskRead:
    """Decide every record of the task at once: approve, or reject with a reason. Approvals
    take effect in this transaction (see ``effects``)."""
    task = _own_task(session, principal, task_id)
    items = {
        i.record_id: i
        for i in session.scalars(select(RepairItem).where(RepairItem.task_id == task.id))
    }
    decided = {d.record_id: d for d in data.decisions}
    for i, d in enumerate(data.decisions):
        if d.record_id not in items:
            raise InvalidDecision(f"decisions[{i}].record_id", "该信息不在本审核任务中")
        if d.outcome == "reject" and not d.reason:
            raise InvalidDecision(f"decisions[{i}].reason", "不予修复须说明理由")
    missing = [
        r for r, item in items.items() if item.status == wf.ITEM_PENDING and r not in decided
    ]
    if missing:
        raise InvalidDecision(
            "decisions", f"请对任务中的每条信息作出决定，尚缺：{'、'.join(map(str, missing))}"
        )
    today = local_date(now)
    _move_task(session, task, "decide", decided_at=now, decided_by=principal.actor)
    application = session.get_one(RepairApplication, task.application_id)
    subject = session.get_one(Subject, application.subject_id)
    approved = 0
    for record_id, d in decided.items():
        item = items[record_id]
        to = _move_item(
            session,
            item,
            "approve" if d.outcome == "approve" else "reject",
            reason=d.reason,
            decided_at=now,
            decided_by=principal.actor,
        )
        log_event(
            session,
            application.id,
            task_id=task.id,
            item_id=item.id,
            action=d.outcome,
            from_status=wf.ITEM_PENDING,
            to_status=to,
            actor=principal.actor,
            now=now,
            note=d.reason,
        )
        if to == wf.ITEM_APPROVED:
            approved += 1
            record = session.get_one(Record, record_id)
            apply_repair(
                session, setup, item=item, record=record, subject=subject, today=today, now=now
            )
    if approved:
        rescore(session, setup, subject=subject, today=today, now=now)
    refresh_application(session, application.id, actor=principal.actor, now=now)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="repair.decide",
        object_type="repair_task",
        object_id=task.id,
        detail={
            "application_id": application.id,
            "decisions": {str(r): d.outcome for r, d in decided.items()},
        },
        now=now,
    )
    return task_reads(session, setup.catalog, [session.get_one(RepairTask, task.id)], today)[0]


def request_supplement(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    task_id: int,
    reason: str,
    now: datetime,
) -> TaskRead:
    """Ask the applicant for more; the department's clock stops until the supplement comes,
    which must be within the rules' working days or the task's records expire."""
    task = _own_task(session, principal, task_id)
    today = local_date(now)
    due = work_calendar(session).add_workdays(today, setup.rules.sla.supplement_workdays)
    _move_task(
        session,
        task,
        "request_supplement",
        supplement_reason=reason,
        supplement_requested_on=today,
        supplement_due_on=due.due,
    )
    log_event(
        session,
        task.application_id,
        task_id=task.id,
        action="request_supplement",
        from_status=wf.TASK_PENDING,
        to_status=wf.TASK_SUPPLEMENT,
        actor=principal.actor,
        now=now,
        note=f"{reason}（请于 {due.due} 前补正）",
    )
    refresh_application(session, task.application_id, actor=principal.actor, now=now)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="repair.request_supplement",
        object_type="repair_task",
        object_id=task.id,
        detail={"reason": reason, "due": due.due},
        now=now,
    )
    return task_reads(session, setup.catalog, [session.get_one(RepairTask, task.id)], today)[0]


def supplement(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    application_id: int,
    data: SupplementIn,
    now: datetime,
) -> ApplicationRead:
    """The applicant supplies what was asked (within the application's proof limits, counting
    what it already holds); each waiting task resumes with its deadline moved by the working
    days it waited."""
    if principal.is_anonymous:
        raise Unauthorized()
    application = session.get(RepairApplication, application_id)
    if application is None:
        raise ApplicationNotFound()
    if principal.role is not Role.ENTERPRISE or principal.subject_id != application.subject_id:
        raise EnterpriseOnly()
    waiting = session.scalars(
        select(RepairTask).where(
            RepairTask.application_id == application_id, RepairTask.status == wf.TASK_SUPPLEMENT
        )
    ).all()
    if not waiting:
        raise NoSupplementPending()
    files = decode_proofs(data.proofs, setup.proofs, held=proofs_held(session, application_id))
    store_proofs(session, application_id, files, now)
    today = local_date(now)
    calendar = work_calendar(session)
    for task in waiting:
        paused = calendar.workdays_between(task.supplement_requested_on or today, today).days
        due = calendar.add_workdays(task.due_on, paused)
        _move_task(session, task, "supplement", due_on=due.due, due_provisional=due.provisional)
        log_event(
            session,
            application_id,
            task_id=task.id,
            action="supplement",
            from_status=wf.TASK_SUPPLEMENT,
            to_status=wf.TASK_PENDING,
            actor=principal.actor,
            now=now,
            note=data.note,
        )
    refresh_application(session, application_id, actor=principal.actor, now=now)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="repair.supplement",
        object_type="repair_application",
        object_id=application_id,
        detail={"files": len(files)},
        now=now,
    )
    return read_application(
        session, setup.catalog, application_id=application_id, principal=principal, now=now
    )


def expire_supplements(session: Session, *, now: datetime, actor: str = "system:repair") -> int:
    """End every task whose supplement never came by its due date; its records' items expire
    and the applicant is told (an event on the application). Returns tasks expired."""
    today = local_date(now)
    overdue = session.scalars(
        select(RepairTask).where(
            RepairTask.status == wf.TASK_SUPPLEMENT, RepairTask.supplement_due_on < today
        )
    ).all()
    for task in overdue:
        _move_task(session, task, "expire")
        for item in session.scalars(
            select(RepairItem).where(
                RepairItem.task_id == task.id, RepairItem.status == wf.ITEM_PENDING
            )
        ):
            _move_item(session, item, "expire", decided_at=now, decided_by=actor)
        log_event(
            session,
            task.application_id,
            task_id=task.id,
            action="expire",
            from_status=wf.TASK_SUPPLEMENT,
            to_status=wf.TASK_EXPIRED,
            actor=actor,
            now=now,
            note=f"逾期未补正材料（期限 {task.supplement_due_on}），本部门的修复申请终止；可重新申请",
        )
        refresh_application(session, task.application_id, actor=actor, now=now)
        audit.record(
            session,
            actor=actor,
            actor_role="system",
            action="repair.expire",
            object_type="repair_task",
            object_id=task.id,
            detail={"supplement_due_on": task.supplement_due_on},
            now=now,
        )
    return len(overdue)
