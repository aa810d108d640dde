"""Reading objections back: one with its record, department, evidence and history, for the
applicant, the providing department and admins; and the count that keeps a record flagged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.accounts.service import REVIEW_ROLES
from xinyong.catalog.loader import Catalog
from xinyong.db import rows_by_id
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.objections import workflow as wf
from xinyong.objections.errors import ObjectionNotFound
from xinyong.objections.models import Objection, ObjectionEvent, ObjectionEvidence
from xinyong.objections.schemas import EvidenceRead, ObjectionRead
from xinyong.records.describe import record_title
from xinyong.records.models import Record
from xinyong.subjects.models import Subject
from xinyong.workflow import EventRead, histories


def step_due(objection: Objection) -> date | None:
    """The deadline of the step the objection waits in (acceptance, then decision)."""
    return wf.step_due(
        objection.status,
        accept_due_on=objection.accept_due_on,
        decision_due_on=objection.decision_due_on,
    )


def _evidence(session: Session, ids: list[int]) -> dict[int, list[EvidenceRead]]:
    """objection id → its evidence files (without their content)."""
    evidence: dict[int, list[EvidenceRead]] = defaultdict(list)
    for e in session.execute(
        select(
            ObjectionEvidence.objection_id,
            ObjectionEvidence.filename,
            ObjectionEvidence.content_type,
            ObjectionEvidence.size,
            ObjectionEvidence.sha256,
        )
        .where(ObjectionEvidence.objection_id.in_(ids))
        .order_by(ObjectionEvidence.id)
    ):
        evidence[e.objection_id].append(
            EvidenceRead(
                filename=e.filename, content_type=e.content_type, size=e.size, sha256=e.sha256
            )
        )
    return evidence


def reads(
    session: Session, catalog: Catalog, objections: Sequence[Objection], today: date
) -> list[ObjectionRead]:
    """Objections with their record, department, evidence and events, in a few queries."""
    if not objections:
        return []
    ids = [o.id for o in objections]
    records = rows_by_id(session, Record, (o.record_id for o in objections))
    departments = rows_by_id(session, Department, (o.department_id for o in objections))
    subject_names = dict(
        session.execute(
            select(Subject.id, Subject.name).where(
                Subject.id.in_({o.subject_id for o in objections})
            )
        ).all()
    )
    evidence, events = _evidence(session, ids), histories(session, ObjectionEvent.objection_id, ids)
    return [
        _read(
            o,
            records[o.record_id],
            departments[o.department_id],
            subject_name=subject_names.get(o.subject_id, ""),
            evidence=evidence[o.id],
            events=events[o.id],
            catalog=catalog,
            today=today,
        )
        for o in objections
    ]


def _read(
    o: Objection,
    record: Record,
    department: Department,
    *,
    subject_name: str,
    evidence: list[EvidenceRead],
    events: list[EventRead],
    catalog: Catalog,
    today: date,
) -> ObjectionRead:
    due = step_due(o)
    return ObjectionRead(
        id=o.id,
        record_id=o.record_id,
        record_type=record.record_type,
        record_title=record_title(record, catalog),
        record_version=record.version,
        subject_name=subject_name,
        department_code=department.code,
        department_name=department.name,
        repair_item_id=o.repair_item_id,
        by_subject=o.by_subject,
        grounds=o.grounds,
        grounds_label=wf.grounds_label(o.grounds),
        reason=o.reason,
        contact=o.contact,
        status=o.status,
        status_label=wf.OBJECTION.label(o.status),
        allowed_actions=[a.value for a in wf.OBJECTION.allowed_actions(o.status)],
        received_on=o.received_on,
        accept_due_on=o.accept_due_on,
        accepted_at=o.accepted_at,
        flagged_at=o.flagged_at,
        flag_due_on=o.flag_due_on,
        decision_due_on=o.decision_due_on,
        due_on=due,
        due_provisional=o.due_provisional,
        overdue=wf.is_overdue(due, today),
        outcome=o.outcome,
        decision_reason=o.decision_reason,
        corrected_values=o.corrected_values,
        decided_at=o.decided_at,
        evidence=evidence,
        events=events,
    )


def _department_code_of(session: Session, department_id: int) -> str | None:
    return session.scalar(select(Department.code).where(Department.id == department_id))


def read_objection(
    session: Session, catalog: Catalog, *, principal: Principal, objection_id: int, now: datetime
) -> ObjectionRead:
    """One objection with its outcome, reasons and history, for its applicant, the providing
    department's reviewers and admins; anyone else gets 404 so objections cannot be probed."""
    if principal.is_anonymous:
        raise Unauthorized()
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise ObjectionNotFound()
    allowed = (
        principal.is_admin
        or objection.applicant == principal.actor
        or (
            principal.role in REVIEW_ROLES
            and principal.department_code is not None
            and principal.department_code == _department_code_of(session, objection.department_id)
        )
    )
    if not allowed:
        raise ObjectionNotFound()
    log_objections_read(session, principal, [objection], object_id=objection.id, now=now)
    return reads(session, catalog, [objection], local_date(now))[0]


def log_objections_read(
    session: Session,
    principal: Principal,
    objections: Sequence[Objection],
    *,
    object_id: int | None,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    """Reading objections (with their evidence): audited, and in the query log of each
    subject read by someone else (``access.log_non_public_read``)."""
    access.log_non_public_read(
        session,
        principal=principal,
        action="objections.read",
        object_type="objection",
        object_id=object_id,
        subject_ids=[o.subject_id for o in objections],
        channel=QueryChannel.OBJECTION,
        detail=detail or {},
        now=now,
    )


def count_open(session: Session, record_id: int) -> int:
    """Open objections on a record (its 异议处理中 flag stays while any remains)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.record_id == record_id, Objection.status == wf.ObjectionStatus.OPEN)
        )
        or 0
    )
