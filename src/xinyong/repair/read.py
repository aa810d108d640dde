"""Reading repair back: applications with their materials, tasks, items and events; the
review queue's rows; and, per adverse record of a subject, whether it can be repaired now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import Polarity
from xinyong.db import rows_by_id
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.records.describe import record_title
from xinyong.records.models import Record, RecordStatus
from xinyong.repair import eligibility
from xinyong.repair.errors import (
    ApplicationNotFound,
    EnterpriseOnly,
    NotOwnRecord,
    SubjectCodeRequired,
)
from xinyong.repair.models import (
    RepairApplication,
    RepairEvent,
    RepairItem,
    RepairMaterial,
    RepairTask,
)
from xinyong.repair.schemas import (
    ApplicationRead,
    Eligibility,
    EligibilityItem,
    ItemRead,
    Material,
    TaskRead,
)
from xinyong.repair.setup import RepairSetup
from xinyong.repair.workflow import APPLICATION, ITEM, TASK, TaskStatus
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject
from xinyong.workflow import histories


def materials_of(session: Session, application_id: int) -> list[Material]:
    rows = session.scalars(
        select(RepairMaterial).where(RepairMaterial.application_id == application_id)
    ).all()
    out = [
        Material(
            kind=m.kind,
            name=m.name,
            provided_by="generated" if m.kind == "form" else "signed_online",
        )
        for m in rows
        if m.kind != "proof"
    ]
    proofs = [m for m in rows if m.kind == "proof"]
    if proofs:
        out.append(
            Material(
                kind="proof",
                name="履行法定义务的证明（合并上传）",
                provided_by="applicant",
                files=len(proofs),
            )
        )
    return out


def task_reads(
    session: Session, catalog: Catalog, tasks: list[RepairTask], today: date
) -> list[TaskRead]:
    """Tasks with their items, departments and subjects, in a few queries."""
    if not tasks:
        return []
    items: dict[int, list[tuple[RepairItem, Record]]] = defaultdict(list)
    for item, record in session.execute(
        select(RepairItem, Record)
        .join(Record, Record.id == RepairItem.record_id)
        .where(RepairItem.task_id.in_([t.id for t in tasks]))
        .order_by(RepairItem.id)
    ):
        items[item.task_id].append((item, record))
    departments = rows_by_id(session, Department, (t.department_id for t in tasks))
    subjects_of = dict(
        session.execute(
            select(RepairApplication.id, Subject)
            .join(Subject, Subject.id == RepairApplication.subject_id)
            .where(RepairApplication.id.in_({t.application_id for t in tasks}))
        ).all()
    )
    return [
        _task_read(
            t,
            departments[t.department_id],
            subjects_of[t.application_id],
            items[t.id],
            catalog,
            today,
        )
        for t in tasks
    ]


def _task_read(
    t: RepairTask,
    department: Department,
    subject: Subject,
    items: list[tuple[RepairItem, Record]],
    catalog: Catalog,
    today: date,
) -> TaskRead:
    return TaskRead(
        id=t.id,
        application_id=t.application_id,
        department_code=department.code,
        department_name=department.name,
        status=t.status,
        status_label=TASK.label(t.status),
        received_on=t.received_on,
        due_on=t.due_on,
        due_provisional=t.due_provisional,
        overdue=t.status == TaskStatus.PENDING and today > t.due_on,
        supplement_reason=t.supplement_reason,
        supplement_due_on=t.supplement_due_on,
        subject_code=subject.code,
        subject_name=subject.name,
        items=[
            ItemRead(
                id=i.id,
                record_id=i.record_id,
                record_type=i.record_type,
                title=record_title(r, catalog),
                department=department.name,
                rule_id=i.rule_id,
                status=i.status,
                status_label=ITEM.label(i.status),
                reason=i.reason,
                decided_at=i.decided_at,
            )
            for i, r in items
        ],
    )


def _can_read(session: Session, principal: Principal, application: RepairApplication) -> bool:
    if principal.is_admin:
        return True
    if principal.role is Role.ENTERPRISE:
        return principal.subject_id == application.subject_id
    if principal.department_code and principal.role in (Role.DEPARTMENT, Role.REVIEWER):
        return (
            session.scalar(
                select(RepairTask.id)
                .join(Department, Department.id == RepairTask.department_id)
                .where(
                    RepairTask.application_id == application.id,
                    Department.code == principal.department_code,
                )
                .limit(1)
            )
            is not None
        )
    return False


def log_repair_read(
    session: Session,
    principal: Principal,
    *,
    action: str,
    object_type: str,
    object_id: int | None,
    subject_ids: list[int],
    detail: dict[str, object],
    now: datetime,
) -> None:
    """Reading repair applications, tasks or eligibility: audited, and in the query log of
    each subject read by someone else (``access.log_non_public_read``)."""
    access.log_non_public_read(
        session,
        principal=principal,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_ids=subject_ids,
        channel=QueryChannel.REPAIR,
        detail=detail,
        now=now,
    )


def read_application(
    session: Session, catalog: Catalog, *, application_id: int, principal: Principal, now: datetime
) -> ApplicationRead:
    """An application with its materials, tasks, items and events (applicant, its deciding
    departments, admins); anyone else gets 404 so that applications cannot be probed. A read
    by staff is audited and logged in the subject's query log."""
    application = _readable_application(session, principal, application_id)
    log_repair_read(
        session,
        principal,
        action="repair.application_read",
        object_type="repair_application",
        object_id=application.id,
        subject_ids=[application.subject_id],
        detail={},
        now=now,
    )
    return _application_read(session, catalog, application, now=now)


def _readable_application(
    session: Session, principal: Principal, application_id: int
) -> RepairApplication:
    if principal.is_anonymous:
        raise Unauthorized()
    application = session.get(RepairApplication, application_id)
    if application is None or not _can_read(session, principal, application):
        raise ApplicationNotFound()
    return application


def _application_read(
    session: Session, catalog: Catalog, application: RepairApplication, *, now: datetime
) -> ApplicationRead:
    subject = session.get_one(Subject, application.subject_id)
    tasks = session.scalars(
        select(RepairTask)
        .where(RepairTask.application_id == application.id)
        .order_by(RepairTask.id)
    ).all()
    return ApplicationRead(
        id=application.id,
        subject_code=subject.code,
        subject_name=subject.name,
        status=application.status,
        status_label=APPLICATION.label(application.status),
        channel=application.channel,
        submitted_at=application.submitted_at,
        feedback_due_on=application.feedback_due_on,
        feedback_due_provisional=application.feedback_due_provisional,
        completed_on=application.completed_on,
        materials=materials_of(session, application.id),
        tasks=task_reads(session, catalog, list(tasks), local_date(now)),
        events=histories(session, RepairEvent.application_id, [application.id])[application.id],
    )


def list_applications(
    session: Session, catalog: Catalog, *, principal: Principal, now: datetime
) -> list[ApplicationRead]:
    """The enterprise's own applications (newest first); admins see the latest 200."""
    if principal.is_anonymous:
        raise Unauthorized()
    query = select(RepairApplication.id).order_by(RepairApplication.id.desc()).limit(200)
    if not principal.is_admin:
        if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
            raise EnterpriseOnly()
        query = query.where(RepairApplication.subject_id == principal.subject_id)
    applications = [_readable_application(session, principal, i) for i in session.scalars(query)]
    log_repair_read(
        session,
        principal,
        action="repair.applications_list",
        object_type="repair_application",
        object_id=None,
        subject_ids=[a.subject_id for a in applications],
        detail={"listed": len(applications)},
        now=now,
    )
    return [_application_read(session, catalog, a, now=now) for a in applications]


def target_subject(
    session: Session, principal: Principal, code: str | None, *, secret: bytes
) -> Subject:
    """The subject named by ``code``; without a code, the enterprise caller's own. Outside
    government only the caller's own subject may be named (refused alike whether or not a
    code exists, so that ID numbers cannot be probed)."""
    own = principal.subject_id if principal.role is Role.ENTERPRISE else None
    if code is None:
        if own is None:
            raise SubjectCodeRequired()
        return session.get_one(Subject, own)
    if principal.is_internal:
        return subjects.find_by_code(session, code, secret=secret)
    if own is None:
        raise NotOwnRecord()
    return subjects.own_subject(
        session, code, own_subject_id=own, secret=secret, refused=NotOwnRecord()
    )


def eligibility_of(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    code: str | None,
    now: datetime,
) -> Eligibility:
    """For each of the subject's adverse records: can it be repaired now, if not why and
    from when, and which proofs it needs (the subject itself or government staff)."""
    if principal.is_anonymous:
        raise Unauthorized()
    subject = target_subject(session, principal, code, secret=setup.secret)
    log_repair_read(
        session,
        principal,
        action="repair.eligibility_read",
        object_type="subject",
        object_id=subject.id,
        subject_ids=[subject.id],
        detail={},
        now=now,
    )
    today = local_date(now)
    records = session.scalars(
        select(Record)
        .where(
            Record.subject_id == subject.id,
            Record.polarity == Polarity.BAD.value,
            Record.status == RecordStatus.ACTIVE,
        )
        .order_by(Record.decided_on.desc(), Record.id.desc())
    ).all()
    items = _eligibility_items(session, setup, records, today)
    return Eligibility(subject_code=subject.code, as_of=today, items=items)


def _eligibility_items(
    session: Session, setup: RepairSetup, records: Sequence[Record], today: date
) -> list[EligibilityItem]:
    """Each record with its repair status, its rule's proofs and its department by name."""
    assessed = eligibility.assess(session, records, today, rules=setup.rules)
    departments = dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_({r.source_department_id for r in records} or {0})
            )
        ).all()
    )
    items = []
    for r in records:
        rule = assessed[r.id].rule
        items.append(
            EligibilityItem(
                record_id=r.id,
                record_type=r.record_type,
                type_name=(rt.name if (rt := setup.catalog.get(r.record_type)) else r.record_type),
                title=record_title(r, setup.catalog),
                decided_on=r.decided_on,
                severity=r.severity,
                department=departments.get(r.source_department_id, ""),
                status=assessed[r.id].status,
                rule_id=rule.id if rule else None,
                proofs=[
                    Material(kind="proof", name=p.name, provided_by=p.provided_by)
                    for p in (rule.proofs if rule else [])
                ],
            )
        )
    return items
