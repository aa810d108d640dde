"""The providing department's side: its queue, and one decision per objection.

A decision is a compare-and-set move of the objection along ``workflow.OBJECTION``; its
effect on the record goes through the ingest path as if the department had pushed the row
again — a correction becomes a new version (the old one kept in ``record_versions``), a
withdrawal is the row with 当前状态 = 撤销. The record's 异议处理中 flag is cleared once no
open objection on it remains. Everything happens in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts
from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import SUBJECT_CODE, Catalog
from xinyong.catalog.schemas import FieldType, RecordType
from xinyong.catalog.validation import Carried, alias_index, header_key, mask_id_value
from xinyong.errors import FieldError, Unauthorized
from xinyong.ingest.pipeline import REVOKED_VALUE
from xinyong.ingest.service import Actor, ingest_rows
from xinyong.kit.clock import local_date
from xinyong.kit.identifiers import mask_text_ids
from xinyong.objections import workflow as wf
from xinyong.objections.effects import propagate
from xinyong.objections.errors import (
    CannotRevoke,
    CorrectionRejected,
    InvalidInput,
    NotYourObjection,
    ObjectionNotFound,
    RecordRevoked,
    ReviewerOnly,
)
from xinyong.objections.models import Objection, ObjectionEvent
from xinyong.objections.read import count_open, log_objections_read, reads
from xinyong.objections.schemas import ObjectionDecision, ObjectionRead
from xinyong.objections.service import lock_record
from xinyong.objections.setup import ObjectionSetup
from xinyong.records import service as records
from xinyong.records.models import Record, RecordStatus
from xinyong.subjects.models import Subject, SubjectKind
from xinyong.workflow import Moved, append_event, move

# Fields that identify the record or its subject: changing them would make another record,
# not a corrected version of this one.
IDENTITY_FIELDS: Final = frozenset({"uscc", "subject_category", "id_type"})
MAX_QUEUE: Final = 500
PENDING_FILTER: Final = "pending"


def reviewing_department(session: Session, principal: Principal) -> Department | None:
    """The caller's department; None for an admin (sees and decides every queue)."""
    return accounts.reviewing_department(session, principal, denied=ReviewerOnly())


def list_objections(
    session: Session,
    catalog: Catalog,
    *,
    principal: Principal,
    status: str | None,
    overdue: bool | None,
    now: datetime,
) -> list[ObjectionRead]:
    """Reviewers: their department's queue, nearest deadline first; admins: every queue;
    anyone else logged in: the objections they filed. ``status`` is one status or
    ``pending`` (awaiting acceptance or decision); ``overdue`` keeps pending objections past
    the deadline of their current step."""
    if principal.is_anonymous:
        raise Unauthorized()
    # The current step's deadline: the decision once set (open), else the acceptance.
    due = func.coalesce(Objection.decision_due_on, Objection.accept_due_on)
    query = select(Objection).order_by(due, Objection.id).limit(MAX_QUEUE)
    if principal.role in accounts.REVIEW_ROLES or principal.is_admin:
        department = reviewing_department(session, principal)
        if department is not None:
            query = query.where(Objection.department_id == department.id)
    else:
        query = query.where(Objection.applicant == principal.actor)
    if status == PENDING_FILTER:
        query = query.where(Objection.status.in_(wf.PENDING))
    elif status:
        query = query.where(Objection.status == status)
    today = local_date(now)
    pending = Objection.status.in_(wf.PENDING)
    if overdue is True:
        query = query.where(pending, due < today)
    elif overdue is False:
        query = query.where(~pending | (due >= today))
    found = list(session.scalars(query))
    log_objections_read(
        session,
        principal,
        found,
        object_id=None,
        now=now,
        detail={"status": status, "overdue": overdue, "listed": len(found)},
    )
    return reads(session, catalog, found, today)


def own_objection(session: Session, principal: Principal, objection_id: int) -> Objection:
    """The objection, if the caller's department provided its record (admins: any)."""
    department = reviewing_department(session, principal)
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise ObjectionNotFound()
    if department is not None and objection.department_id != department.id:
        raise NotYourObjection()
    return objection


def _close_with_record(
    session: Session, decided: Objection, *, principal: Principal, now: datetime
) -> None:
    """The record is withdrawn: every other pending objection on it (open, or a third party's
    still awaiting acceptance) has what it asked for, and is closed as withdrawn too (each
    along the table, with its event), so none is left to go overdue on a record that no
    longer exists."""
    others = session.scalars(
        select(Objection).where(
            Objection.record_id == decided.record_id,
            Objection.status.in_(wf.PENDING),
            Objection.id != decided.id,
        )
    ).all()
    reason = f"该信息已因异议 #{decided.id} 删除（撤销公示）"
    for other in others:
        moved = move(
            session,
            wf.OBJECTION,
            other,
            wf.ObjectionAction.WITHDRAW,
            values=decision_values(
                wf.ObjectionStatus.WITHDRAWN.value, reason, principal=principal, now=now
            ),
        )
        append_event(
            session,
            ObjectionEvent,
            moved,
            actor=principal.actor,
            at=now,
            objection_id=other.id,
            note=reason,
        )


def decision_values(
    outcome: str, reason: str | None, *, principal: Principal, now: datetime
) -> dict[str, object]:
    """What a closing move writes on the objection besides its status: outcome, reasons,
    who decided and when."""
    return {
        "outcome": outcome,
        "decision_reason": reason,
        "decided_at": now,
        "decided_on": local_date(now),
        "decided_by": principal.actor,
    }


def _protected(rt: RecordType | None) -> frozenset[str]:
    """The record type's protected fields: every ID-number field, kept only masked."""
    if rt is None:
        return frozenset()
    return frozenset(f.name for f in rt.fields if f.type is FieldType.ID_NUMBER)


def _masked(rt: RecordType | None, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Corrected values as kept on the objection: a protected field's new number masked like
    the record's own cell, ID numbers in any other text masked, as everywhere else."""
    if not values:
        return None
    index, protected = (alias_index(rt) if rt else {}), _protected(rt)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str) and index.get(header_key(key)) in protected:
            out[key] = mask_id_value(value)
        else:
            out[key] = mask_text_ids(value) if isinstance(value, str) else value
    return out


def _carried(session: Session, rt: RecordType | None, record: Record) -> Carried:
    """What a correction carries unchanged: the stored masked value of every protected field
    (the platform never kept the full numbers, so it cannot send them again), and for a
    person's own ID number the subject's stored keyed hash that identifies them."""
    stored = record.fields or {}
    masked = {
        name: value
        for name in _protected(rt)
        if isinstance(value := stored.get(name), str) and "*" in value
    }
    subject = session.get_one(Subject, record.subject_id)
    person_hash = subject.id_hash if subject.kind is SubjectKind.PERSON else None
    return Carried(masked=masked, person_hash=person_hash)


def _row(setup: ObjectionSetup, record: Record, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The record's stored row with ``changes`` (keys by field name or alias) applied; its
    protected fields keep their stored masked values unless a change gives a new number."""
    rt = setup.catalog.get(record.record_type)
    if rt is None:
        raise InvalidInput("corrected", f"未知的信息类型：{record.record_type}")
    index = alias_index(rt)
    locked = (set(rt.key_fields) | set(rt.fallback_key_fields) | IDENTITY_FIELDS) - {SUBJECT_CODE}
    row = dict(record.fields or {})
    for key, value in changes.items():
        name = index.get(header_key(key))
        if name is None:
            raise InvalidInput(f"corrected.{key}", f"该信息类型没有字段“{key}”")
        if name in locked:
            raise InvalidInput(
                f"corrected.{key}",
                f"“{key}”是记录或主体的标识，不能通过异议更正；请撤销后由数据来源部门重新报送",
                "objection.identity_field",
            )
        row[name] = value
    return row


def _through_ingest(
    session: Session,
    setup: ObjectionSetup,
    *,
    record: Record,
    row: dict[str, Any],
    principal: Principal,
    expect: str,
    now: datetime,
) -> None:
    """Push ``row`` for ``record``'s source and type; it must land as ``expect`` (updated or
    revoked) on this very record, or the whole decision fails (and rolls back)."""
    source = session.get_one(Department, record.source_department_id)
    before = record.version
    report = ingest_rows(
        session,
        setup.catalog,
        record_type=record.record_type,
        source=source.code,
        rows=[row],
        actor=Actor.of(principal),
        secret=setup.secret,
        strict_org_code=setup.strict_org_code,
        now=now,
        carried=_carried(session, setup.catalog.get(record.record_type), record),
    )
    if report["rejects"]:
        raise CorrectionRejected(
            [
                FieldError(f"corrected.{r['field']}", r["code"], r["message"])
                for r in report["rejects"]
            ]
        )
    if report["unchanged"]:
        raise InvalidInput("corrected", "更正后的字段值与原记录相同", "objection.unchanged")
    session.refresh(record)
    if report[expect] != 1 or record.version != before + 1:
        raise CorrectionRejected(
            [
                FieldError(
                    "corrected",
                    "objection.correction_key_changed",
                    "更正后的信息与原记录的标识不一致，未能作为原记录的新版本保存",
                )
            ]
        )


def _apply_to_record(
    session: Session,
    setup: ObjectionSetup,
    *,
    objection: Objection,
    record: Record,
    action: wf.ObjectionAction,
    data: ObjectionDecision,
    principal: Principal,
    now: datetime,
) -> None:
    """更正 or 删除 through the ingest path, then what follows from it: a withdrawal closes
    the record's other pending objections; the subject is re-scored and platforms are told."""
    if record.status == RecordStatus.REVOKED:
        raise RecordRevoked()
    rt = setup.catalog.get(record.record_type)
    changes = dict(data.corrected or {})
    if action is wf.ObjectionAction.WITHDRAW:
        if rt is None or rt.status_field is None:
            raise CannotRevoke()
        changes[rt.status_field] = REVOKED_VALUE
    row = _row(setup, record, changes)
    expect = "updated" if action is wf.ObjectionAction.CORRECT else "revoked"
    _through_ingest(
        session, setup, record=record, row=row, principal=principal, expect=expect, now=now
    )
    session.refresh(record)
    if action is wf.ObjectionAction.WITHDRAW:
        _close_with_record(session, objection, principal=principal, now=now)
    propagate(
        session,
        setup,
        objection=session.get_one(Objection, objection.id),
        record=record,
        withdrawn=action is wf.ObjectionAction.WITHDRAW,
        now=now,
    )


def _decision_action(objection: Objection, data: ObjectionDecision) -> wf.ObjectionAction:
    """The action the decision takes, once its content and the objection's step allow it."""
    action = wf.OUTCOME_ACTIONS[data.outcome]
    refusal = wf.decision_refusal(
        objection.status, action, reason=data.reason, corrected=data.corrected
    )
    if refusal is not None:
        raise refusal
    return action


def decide(
    session: Session,
    setup: ObjectionSetup,
    *,
    principal: Principal,
    objection_id: int,
    data: ObjectionDecision,
    now: datetime,
) -> ObjectionRead:
    """Decide an open objection once: 更正 (new record version through the ingest path),
    删除 (the record revoked; for a third party's also before acceptance) or 不予更正 (with
    reasons). Only the providing department or an admin; a concurrent second one gets 409."""
    objection = own_objection(session, principal, objection_id)
    action = _decision_action(objection, data)
    rt = setup.catalog.get(session.get_one(Record, objection.record_id).record_type)
    corrected = _masked(rt, data.corrected) if action is wf.ObjectionAction.CORRECT else None
    moved = move(
        session,
        wf.OBJECTION,
        objection,
        action,
        values={
            **decision_values(data.outcome, data.reason or None, principal=principal, now=now),
            "corrected_values": corrected,
        },
    )
    record = lock_record(session, objection.record_id)
    if action is not wf.ObjectionAction.UPHOLD:
        _apply_to_record(
            session,
            setup,
            objection=objection,
            record=record,
            action=action,
            data=data,
            principal=principal,
            now=now,
        )
    cleared = count_open(session, record.id) == 0
    if cleared:
        records.clear_disputed(session, record)
    _log_decision(
        session,
        objection.id,
        moved,
        data=data,
        record=record,
        cleared=cleared,
        principal=principal,
        now=now,
    )
    session.flush()
    return reads(
        session, setup.catalog, [session.get_one(Objection, objection.id)], local_date(now)
    )[0]


def _log_decision(
    session: Session,
    objection_id: int,
    moved: Moved[wf.ObjectionStatus, wf.ObjectionAction],
    *,
    data: ObjectionDecision,
    record: Record,
    cleared: bool,
    principal: Principal,
    now: datetime,
) -> None:
    """The decision's event and its audit row."""
    append_event(
        session,
        ObjectionEvent,
        moved,
        actor=principal.actor,
        at=now,
        objection_id=objection_id,
        note=data.reason,
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=f"objection.{moved.action.value}",
        object_type="objection",
        object_id=objection_id,
        detail={
            "record_id": record.id,
            "outcome": data.outcome,
            "record_version": record.version,
            "corrected_fields": sorted(data.corrected or {}),
            "disputed_cleared": cleared,
        },
        now=now,
    )
