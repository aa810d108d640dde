"""Parallel review: each deciding department works its own queue, decides per record, or asks
for a supplement (its clock pauses); the application's status follows its tasks.

Every move goes through ``xinyong.workflow.move`` along ``workflow.py``'s tables, by
compare-and-set: two reviewers deciding the same task at once — exactly one wins, the other
gets 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.accounts.service import reviewing_department
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.records.models import Record
from xinyong.repair import guards
from xinyong.repair.effects import apply_repair, rescore
from xinyong.repair.errors import (
    ApplicationNotFound,
    EnterpriseOnly,
    NoSupplementPending,
    NotYourTask,
    ReviewerOnly,
    TaskNotFound,
)
from xinyong.repair.models import RepairApplication, RepairEvent, RepairItem, RepairTask
from xinyong.repair.read import log_repair_read, read_application, task_reads
from xinyong.repair.schemas import (
    ApplicationRead,
    Decision,
    SupplementIn,
    TaskDecision,
    TaskRead,
)
from xinyong.repair.service import decode_proofs, proofs_held, store_proofs
from xinyong.repair.setup import RepairSetup
from xinyong.repair.workflow import (
    APPLICATION,
    ITEM,
    TASK,
    ApplicationAction,
    ItemAction,
    ItemStatus,
    TaskAction,
    TaskStatus,
    aggregate,
    is_open,
)
from xinyong.subjects.models import Subject
from xinyong.workdays.service import work_calendar
from xinyong.workflow import Moved, append_event, move


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
        query = query.where(RepairTask.status == TaskStatus.PENDING, RepairTask.due_on < today)
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
    if not guards.may_decide(task.department_id, department.id if department else None):
        raise NotYourTask()
    return task


def refresh_application(session: Session, application_id: int, *, actor: str, now: datetime) -> str:
    """Move the application to the status its tasks and items now give; note completion."""
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
    status = aggregate(tasks, items)
    if status != application.status:
        completed: dict[str, object] = {}
        if not is_open(status) and application.completed_at is None:
            completed = {"completed_at": now, "completed_on": local_date(now)}
        moved = move(
            session, APPLICATION, application, ApplicationAction.FOLLOW, to=status, values=completed
        )
        append_event(
            session, RepairEvent, moved, actor=actor, at=now, application_id=application_id
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
    pending = [r for r, item in items.items() if item.status == ItemStatus.PENDING]
    problem = guards.decision_problem(items, pending, data.decisions)
    if problem is not None:
        raise problem
    today = local_date(now)
    decided_by = {"decided_at": now, "decided_by": principal.actor}
    move(session, TASK, task, TaskAction.DECIDE, values=decided_by)
    application = session.get_one(RepairApplication, task.application_id)
    subject = session.get_one(Subject, application.subject_id)
    decided = _last_per_record(data.decisions)
    approved = 0
    for d in decided:
        item = items[d.record_id]
        if _decide_item(session, task, item, d, actor=principal.actor, now=now):
            approved += 1
            record = session.get_one(Record, d.record_id)
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
            "decisions": {str(d.record_id): d.outcome for d in decided},
        },
        now=now,
    )
    return task_reads(session, setup.catalog, [session.get_one(RepairTask, task.id)], today)[0]


def _last_per_record(decisions: list[Decision]) -> list[Decision]:
    """One decision per record (a record named twice: the last word counts)."""
    return list({d.record_id: d for d in decisions}.values())


def _task_event(
    session: Session,
    task: RepairTask,
    moved: Moved[Any, Any],
    *,
    actor: str,
    now: datetime,
    note: str | None,
    item_id: int | None = None,
) -> None:
    """The application's history gets the move of one department's task (or of one record
    of it, with ``item_id``), so that the applicant sees each department's progress."""
    append_event(
        session,
        RepairEvent,
        moved,
        actor=actor,
        at=now,
        application_id=task.application_id,
        task_id=task.id,
        item_id=item_id,
        note=note,
    )


def _decide_item(
    session: Session, task: RepairTask, item: RepairItem, d: Decision, *, actor: str, now: datetime
) -> bool:
    """Approve or reject one record of the task, with its event; True when approved."""
    values = {"reason": d.reason, "decided_at": now, "decided_by": actor}
    moved = move(session, ITEM, item, ItemAction(d.outcome), values=values)
    _task_event(session, task, moved, actor=actor, now=now, note=d.reason, item_id=item.id)
    return moved.to_status is ItemStatus.APPROVED


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
    asked = {
        "supplement_reason": reason,
        "supplement_requested_on": today,
        "supplement_due_on": due.due,
    }
    moved = move(session, TASK, task, TaskAction.REQUEST_SUPPLEMENT, values=asked)
    _task_event(
        session,
        task,
        moved,
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
    waiting = _waiting_tasks(session, principal, application_id)
    files = decode_proofs(data.proofs, setup.proofs, held=proofs_held(session, application_id))
    store_proofs(session, application_id, files, now)
    today = local_date(now)
    calendar = work_calendar(session)
    for task in waiting:
        paused = calendar.workdays_between(task.supplement_requested_on or today, today).days
        due = calendar.add_workdays(task.due_on, paused)
        resumed = {"due_on": due.due, "due_provisional": due.provisional}
        moved = move(session, TASK, task, TaskAction.SUPPLEMENT, values=resumed)
        _task_event(session, task, moved, actor=principal.actor, now=now, note=data.note)
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


def _waiting_tasks(session: Session, principal: Principal, application_id: int) -> list[RepairTask]:
    """The application's tasks waiting for a supplement, once the caller is its applicant."""
    if principal.is_anonymous:
        raise Unauthorized()
    application = session.get(RepairApplication, application_id)
    if application is None:
        raise ApplicationNotFound()
    if not guards.may_supplement(principal, application.subject_id):
        raise EnterpriseOnly()
    waiting = session.scalars(
        select(RepairTask).where(
            RepairTask.application_id == application_id,
            RepairTask.status == TaskStatus.SUPPLEMENT_REQUESTED,
        )
    ).all()
    if not waiting:
        raise NoSupplementPending()
    return list(waiting)


def expire_supplements(session: Session, *, now: datetime, actor: str = "system:repair") -> int:
    """End every task whose supplement never came by its due date; its records' items expire
    and the applicant is told (an event on the application). Returns tasks expired."""
    today = local_date(now)
    overdue = session.scalars(
        select(RepairTask).where(
            RepairTask.status == TaskStatus.SUPPLEMENT_REQUESTED,
            RepairTask.supplement_due_on < today,
        )
    ).all()
    for task in overdue:
        _expire(session, task, actor=actor, now=now)
    return len(overdue)


def _expire(session: Session, task: RepairTask, *, actor: str, now: datetime) -> None:
    """One task ended for want of its supplement: it and its pending items expire."""
    moved = move(session, TASK, task, TaskAction.EXPIRE)
    for item in session.scalars(
        select(RepairItem).where(
            RepairItem.task_id == task.id, RepairItem.status == ItemStatus.PENDING
        )
    ):
        move(
            session, ITEM, item, ItemAction.EXPIRE, values={"decided_at": now, "decided_by": actor}
        )
    _task_event(
        session,
        task,
        moved,
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
