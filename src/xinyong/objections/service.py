"""Filing an objection (信用异议) and reading objections back.

Filing flags the record 异议处理中 in the same transaction (the public file shows it at once,
well inside the 1 working day of 《上海市社会信用条例》 第三十六条) and routes the objection
straight to the department that provided the record, which must decide within 5 working days
of receipt. Who may object: the record's subject (信息主体) on any grounds; anyone logged in,
with evidence, on the content of administrative-penalty information (市场监管总局令第45号
第十二条).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import column, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.kit.uploads import MAX_UPLOAD_BYTES, UploadError, decode_upload
from xinyong.objections import workflow as wf
from xinyong.objections.errors import (
    AlreadyOpen,
    EvidenceRequired,
    InvalidInput,
    NotOwnRecord,
    RecordNotFound,
    RecordRepaired,
    RecordRevoked,
    RepairItemNotFound,
    RepairNotRejected,
    SubjectOnly,
)
from xinyong.objections.models import Objection, ObjectionEvent, ObjectionEvidence
from xinyong.objections.read import reads
from xinyong.objections.schemas import (
    EvidenceFile,
    ObjectionCreate,
    ObjectionRead,
)
from xinyong.objections.setup import ObjectionSetup
from xinyong.records.models import Record, RecordStatus
from xinyong.workdays.service import work_calendar

MAX_EVIDENCE_BYTES: Final = MAX_UPLOAD_BYTES
# Information anyone may object to with evidence (市场监管总局令第45号 第十二条).
OPEN_TO_ANYONE: Final = frozenset({"administrative_penalty"})

# The repair domain sits on the same layer and is not imported: its items are read as plain
# tables (id, record, status, application → subject) to check a repair-result objection.
_repair_items = table(
    "repair_items", column("id"), column("record_id"), column("status"), column("application_id")
)
_repair_applications = table("repair_applications", column("id"), column("subject_id"))
REPAIR_REJECTED: Final = "rejected"


def add_event(
    session: Session,
    objection_id: int,
    *,
    action: str,
    to_status: str,
    actor: str,
    now: datetime,
    from_status: str | None = None,
    note: str | None = None,
) -> None:
    """Append one row to the objection's event log."""
    session.add(
        ObjectionEvent(
            objection_id=objection_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            at=now,
            note=note,
        )
    )


def decode_evidence(files: Sequence[EvidenceFile]) -> list[tuple[EvidenceFile, bytes]]:
    """The uploaded files decoded; a bad encoding or an oversized file is named (422)."""
    out = []
    for i, f in enumerate(files):
        name = f"evidence[{i}].content_base64"
        try:
            content = decode_upload(f.content_base64, max_bytes=MAX_EVIDENCE_BYTES)
        except UploadError as exc:
            if exc.kind == "encoding":
                raise InvalidInput(
                    name, "证据材料须为 base64 编码", "objection.evidence_encoding"
                ) from None
            raise InvalidInput(
                name,
                f"证据材料超过 {MAX_EVIDENCE_BYTES // 1024 // 1024} MB",
                "objection.evidence_too_large",
            ) from None
        if not content:
            raise InvalidInput(name, "证据材料为空文件", "objection.evidence_empty")
        out.append((f, content))
    return out


def _target(
    session: Session, principal: Principal, data: ObjectionCreate
) -> tuple[Record, int | None]:
    """The record objected to, and for a repair-result objection the rejected repair item."""
    if data.grounds is not wf.Grounds.REPAIR_RESULT:
        if data.repair_item_id is not None:
            raise InvalidInput("repair_item_id", "只有对修复结果的异议才需填写修复事项编号")
        if data.record_id is None:
            raise InvalidInput(
                "record_id", "请填写有异议的信用信息编号", "objection.record_required"
            )
        record = session.get(Record, data.record_id)
        if record is None:
            raise RecordNotFound()
        return record, None
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
    if principal.role is not Role.ENTERPRISE or principal.subject_id != subject_id:
        raise SubjectOnly(wf.GROUNDS_LABELS[wf.Grounds.REPAIR_RESULT])
    if data.record_id is not None and data.record_id != record_id:
        raise InvalidInput("record_id", "信用信息编号与修复事项不一致")
    if status != REPAIR_REJECTED:
        raise RepairNotRejected()
    return session.get_one(Record, record_id), data.repair_item_id


def file_objection(
    session: Session,
    setup: ObjectionSetup,
    *,
    principal: Principal,
    data: ObjectionCreate,
    now: datetime,
) -> ObjectionRead:
    """File an objection: checks who may object to what, stores the evidence, flags the record
    异议处理中 at once and routes the objection to the providing department with its
    working-day deadlines (provisional when the holiday calendar is not yet published)."""
    if principal.is_anonymous:
        raise Unauthorized()
    record, repair_item_id = _target(session, principal, data)
    by_subject = principal.role is Role.ENTERPRISE and principal.subject_id == record.subject_id
    if not by_subject:
        if record.record_type not in OPEN_TO_ANYONE:
            raise NotOwnRecord()
        if not (record.publicised or principal.is_internal):
            raise RecordNotFound()  # not public: a third party cannot know it exists
        if data.grounds is not wf.Grounds.CONTENT:
            raise SubjectOnly(wf.GROUNDS_LABELS[data.grounds])
    if record.status == RecordStatus.REVOKED:
        raise RecordRevoked()
    if record.repaired_on is not None and data.grounds is not wf.Grounds.REPAIR_RESULT:
        raise RecordRepaired()
    files = decode_evidence(data.evidence)
    if not by_subject and not files:
        raise EvidenceRequired()
    open_already = session.scalar(
        select(Objection.id).where(
            Objection.record_id == record.id,
            Objection.applicant == principal.actor,
            Objection.status == wf.OPEN,
        )
    )
    if open_already is not None:
        raise AlreadyOpen()
    today = local_date(now)
    calendar = work_calendar(session)
    flag_due = calendar.add_workdays(today, setup.limits.flag_workdays)
    decision_due = calendar.add_workdays(today, setup.limits.decision_workdays)
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
        status=wf.OPEN,
        filed_at=now,
        received_on=today,
        flagged_at=now,
        flag_due_on=flag_due.due,
        decision_due_on=decision_due.due,
        due_provisional=decision_due.provisional or flag_due.provisional,
        version=1,
    )
    session.add(objection)
    try:
        session.flush()
    except IntegrityError:
        # The same applicant filed on the same record at the same moment.
        raise AlreadyOpen() from None
    for f, content in files:
        session.add(
            ObjectionEvidence(
                objection_id=objection.id,
                filename=f.filename,
                content_type=f.content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                created_at=now,
            )
        )
    session.execute(
        update(Record)
        .where(Record.id == record.id)
        .values(disputed=True)
        .execution_options(synchronize_session=False)
    )
    session.expire(record, ["disputed"])
    add_event(
        session,
        objection.id,
        action="file",
        to_status=wf.OPEN,
        actor=principal.actor,
        now=now,
        note=f"{wf.GROUNDS_LABELS[data.grounds]}；已标注“异议处理中”，"
        f"请于 {decision_due.due} 前作出处理（{setup.limits.reference}）",
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="objection.file",
        object_type="objection",
        object_id=objection.id,
        detail={
            "record_id": record.id,
            "grounds": data.grounds.value,
            "by_subject": by_subject,
            "repair_item_id": repair_item_id,
            "evidence": len(files),
            "decision_due_on": decision_due.due,
        },
        now=now,
    )
    session.flush()
    return reads(session, setup.catalog, [objection], today)[0]
