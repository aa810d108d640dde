"""Filing an objection (信用异议) and the pieces its later steps share.

Who may object: the record's subject (信息主体) on any grounds; anyone logged in, with
evidence, on the content of administrative-penalty information (市场监管总局令第45号
第十二条). Only the subject's objection flags the record 异议处理中 at once, in the same
transaction (well inside the flagging limit of 1 working day), and is due for the providing
department's decision within its working days of receipt. A third party's objection waits,
unflagged, for the providing department to accept it as substantiated (``acceptance.py``):
otherwise anyone could mark any public penalty as disputed with a one-byte file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.kit.uploads import UploadError, decode_upload, safe_filename
from xinyong.objections import workflow as wf
from xinyong.objections.errors import (
    AlreadyOpen,
    EvidenceTooLarge,
    InvalidInput,
    RecordNotFound,
    RepairItemNotFound,
    RepairNotRejected,
    SubjectOnly,
    TooManyEvidenceFiles,
)
from xinyong.objections.intake import IntakeLimits
from xinyong.objections.models import Objection, ObjectionEvent, ObjectionEvidence
from xinyong.objections.read import reads
from xinyong.objections.schemas import (
    EvidenceFile,
    ObjectionCreate,
    ObjectionRead,
)
from xinyong.objections.setup import ObjectionSetup
from xinyong.records import service as records
from xinyong.records.models import Record, RecordStatus
from xinyong.workdays.service import work_calendar
from xinyong.workflow import append_event

# The repair domain sits on the same layer and is not imported: its items are read as plain
# tables (id, record, status, application → subject) to check a repair-result objection.
_repair_items = table(
    "repair_items", column("id"), column("record_id"), column("status"), column("application_id")
)
_repair_applications = table("repair_applications", column("id"), column("subject_id"))
REPAIR_REJECTED: Final = "rejected"


def lock_record(session: Session, record_id: int) -> Record:
    """The record, locked for this transaction (PostgreSQL): of concurrent moves on its
    objections, each then sees the others' outcome (SQLite serialises writers anyway)."""
    return session.scalars(
        select(Record)
        .where(Record.id == record_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def flagging(session: Session, setup: ObjectionSetup, day: date) -> dict[str, Any]:
    """The deadlines of an objection flagged on ``day`` (``workflow.flagging_due``) on the
    working-day calendar in force."""
    return wf.flagging_due(
        work_calendar(session),
        day,
        flag_workdays=setup.limits.flag_workdays,
        decision_workdays=setup.limits.decision_workdays,
    )


def decode_evidence(
    files: Sequence[EvidenceFile], limits: IntakeLimits
) -> list[tuple[EvidenceFile, bytes]]:
    """The uploaded files decoded, within the deployment's limits on files per objection,
    bytes per file and bytes in all; the file (or the list) at fault is named."""
    if len(files) > limits.evidence_max_files:
        raise TooManyEvidenceFiles(limits.evidence_max_files)
    out, total = [], 0
    for i, f in enumerate(files):
        name = f"evidence[{i}].content_base64"
        try:
            content = decode_upload(f.content_base64, max_bytes=limits.evidence_max_file_bytes)
        except UploadError as exc:
            if exc.kind == "encoding":
                raise InvalidInput(
                    name, "证据材料须为 base64 编码", "objection.evidence_encoding"
                ) from None
            raise EvidenceTooLarge(name, limits.evidence_max_file_bytes) from None
        if not content:
            raise InvalidInput(name, "证据材料为空文件", "objection.evidence_empty")
        total += len(content)
        if total > limits.evidence_max_total_bytes:
            raise EvidenceTooLarge("evidence", limits.evidence_max_total_bytes, total=True)
        out.append((f, content))
    return out


def _target(
    session: Session, principal: Principal, data: ObjectionCreate
) -> tuple[Record, int | None]:
    """The record objected to, and for a repair-result objection the rejected repair item."""
    if data.grounds is wf.Grounds.REPAIR_RESULT:
        return _repair_target(session, principal, data)
    if data.repair_item_id is not None:
        raise InvalidInput("repair_item_id", "只有对修复结果的异议才需填写修复事项编号")
    if data.record_id is None:
        raise InvalidInput("record_id", "请填写有异议的信用信息编号", "objection.record_required")
    record = session.get(Record, data.record_id)
    if record is None:
        raise RecordNotFound()
    return record, None


def _repair_target(
    session: Session, principal: Principal, data: ObjectionCreate
) -> tuple[Record, int]:
    """The record of the rejected repair item objected to; only its subject may object."""
    if data.repair_item_id is None:
        raise InvalidInput(
            "repair_item_id",
            "对修复结果有异议须填写不予修复的修复事项编号",
            "objection.repair_item_required",
        )
    row = session.execute(
        select(_repair_items.c.record_id, _repair_items.c.status, _repair_applications.c.subject_id)
        .join(_repair_applications, _repair_applications.c.id == _repair_items.c.application_id)
        .where(_repair_items.c.id == data.repair_item_id)
    ).first()
    if row is None:
        raise RepairItemNotFound()
    record_id, status, subject_id = row
    if not wf.is_subject(principal, subject_id):
        raise SubjectOnly(wf.grounds_label(wf.Grounds.REPAIR_RESULT))
    if data.record_id is not None and data.record_id != record_id:
        raise InvalidInput("record_id", "信用信息编号与修复事项不一致")
    if status != REPAIR_REJECTED:
        raise RepairNotRejected()
    return session.get_one(Record, record_id), data.repair_item_id


def _refuse_filing(
    principal: Principal, record: Record, data: ObjectionCreate, *, by_subject: bool
) -> None:
    """Refuses what the applicant may not object to (``workflow.filing_refusal``)."""
    refusal = wf.filing_refusal(
        by_subject=by_subject,
        grounds=data.grounds,
        record_type=record.record_type,
        visible=record.publicised or principal.is_internal,
        revoked=record.status == RecordStatus.REVOKED,
        repaired=record.repaired_on is not None,
        evidence_files=len(data.evidence),
    )
    if refusal is not None:
        raise refusal


def _refuse_second(session: Session, record_id: int, applicant: str) -> None:
    """One pending objection per applicant and record (a partial unique index backs this)."""
    pending = session.scalar(
        select(Objection.id).where(
            Objection.record_id == record_id,
            Objection.applicant == applicant,
            Objection.status.in_(wf.PENDING),
        )
    )
    if pending is not None:
        raise AlreadyOpen()


def _new_objection(
    session: Session,
    setup: ObjectionSetup,
    *,
    principal: Principal,
    record: Record,
    repair_item_id: int | None,
    by_subject: bool,
    data: ObjectionCreate,
    now: datetime,
) -> Objection:
    """The objection, routed to the record's providing department, in its first step."""
    first = wf.first_step(
        work_calendar(session),
        by_subject=by_subject,
        now=now,
        flag_workdays=setup.limits.flag_workdays,
        decision_workdays=setup.limits.decision_workdays,
        acceptance_workdays=setup.intake.acceptance_workdays,
    )
    objection = Objection(
        record_id=record.id,
        subject_id=record.subject_id,
        department_id=record.source_department_id,
        repair_item_id=repair_item_id,
        applicant=principal.actor,
        applicant_name=principal.name[:128],
        applicant_role=principal.role_name,
        by_subject=by_subject,
        grounds=data.grounds.value,
        reason=data.reason,
        contact=data.contact or None,
        record_version=record.version,
        filed_at=now,
        received_on=local_date(now),
        version=1,
        **first,
    )
    session.add(objection)
    try:
        session.flush()
    except IntegrityError:
        # The same applicant filed on the same record at the same moment.
        raise AlreadyOpen() from None
    return objection


def _store_evidence(
    session: Session, objection_id: int, files: list[tuple[EvidenceFile, bytes]], now: datetime
) -> None:
    for f, content in files:
        session.add(
            ObjectionEvidence(
                objection_id=objection_id,
                filename=safe_filename(f.filename),
                content_type=f.content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                created_at=now,
            )
        )


def file_objection(
    session: Session,
    setup: ObjectionSetup,
    *,
    principal: Principal,
    data: ObjectionCreate,
    now: datetime,
) -> ObjectionRead:
    """File an objection: checks who may object to what, stores the evidence within the
    deployment's limits and routes the objection to the providing department. The subject's
    flags the record 异议处理中 at once; a third party's waits for acceptance."""
    if principal.is_anonymous:
        raise Unauthorized()
    record, repair_item_id = _target(session, principal, data)
    by_subject = wf.is_subject(principal, record.subject_id)
    _refuse_filing(principal, record, data, by_subject=by_subject)
    files = decode_evidence(data.evidence, setup.intake)
    _refuse_second(session, record.id, principal.actor)
    objection = _new_objection(
        session,
        setup,
        principal=principal,
        record=record,
        repair_item_id=repair_item_id,
        by_subject=by_subject,
        data=data,
        now=now,
    )
    _store_evidence(session, objection.id, files, now)
    if objection.status == wf.ObjectionStatus.OPEN:
        records.mark_disputed(session, record)
    _log_filing(session, setup, objection, grounds=data.grounds, files=len(files), now=now)
    session.flush()
    return reads(session, setup.catalog, [objection], local_date(now))[0]


def _filing_note(setup: ObjectionSetup, objection: Objection, grounds: wf.Grounds) -> str:
    if objection.status == wf.ObjectionStatus.OPEN:
        return (
            f"{wf.grounds_label(grounds)}；已标注“异议处理中”，"
            f"请于 {objection.decision_due_on} 前作出处理（{setup.limits.reference}）"
        )
    return (
        f"{wf.grounds_label(grounds)}；第三方异议，请数据来源部门于 {objection.accept_due_on}"
        f" 前审查证据、决定是否受理，受理后方标注“异议处理中”（{setup.intake.acceptance_reference}）"
    )


def _log_filing(
    session: Session,
    setup: ObjectionSetup,
    objection: Objection,
    *,
    grounds: wf.Grounds,
    files: int,
    now: datetime,
) -> None:
    """The filing's event (with the next step and its deadline) and its audit row."""
    append_event(
        session,
        ObjectionEvent,
        wf.filed(by_subject=objection.by_subject),
        actor=objection.applicant,
        at=now,
        objection_id=objection.id,
        note=_filing_note(setup, objection, grounds),
    )
    audit.record(
        session,
        actor=objection.applicant,
        actor_role=objection.applicant_role,
        action="objection.file",
        object_type="objection",
        object_id=objection.id,
        detail={
            "record_id": objection.record_id,
            "grounds": grounds.value,
            "by_subject": objection.by_subject,
            "status": objection.status,
            "repair_item_id": objection.repair_item_id,
            "evidence": files,
            "accept_due_on": objection.accept_due_on,
            "decision_due_on": objection.decision_due_on,
        },
        now=now,
    )
