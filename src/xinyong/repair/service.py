"""One application (一次申请，全平台修复): eligibility per record, merged materials, one review
task per deciding department; and reading applications back.

Materials are three at most whatever the number of records: the application form generated
from data, one online 信用承诺书, and — only when some record's proof is held neither by the
platform nor by the deciding department — one merged upload of proofs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.schemas import Polarity
from xinyong.commitments.service import sign_repair_commitment
from xinyong.errors import FieldError, Unauthorized
from xinyong.kit.clock import SHANGHAI
from xinyong.records.credit_file import TITLE_FIELDS
from xinyong.records.models import Record, RecordStatus
from xinyong.repair import eligibility
from xinyong.repair.errors import (
    ApplicationNotFound,
    CommitmentRequired,
    EnterpriseOnly,
    NoRecords,
    NotEligible,
    NotOwnRecord,
    ProofNotBase64,
    ProofRequired,
    ProofTooLarge,
    TooManyRecords,
)
from xinyong.repair.models import (
    RepairApplication,
    RepairEvent,
    RepairItem,
    RepairMaterial,
    RepairTask,
)
from xinyong.repair.rules import RepairRule
from xinyong.repair.schemas import (
    MAX_RECORDS,
    ApplicationCreate,
    ApplicationRead,
    Eligibility,
    EligibilityItem,
    EventRead,
    ItemRead,
    Material,
    ProofFile,
    TaskRead,
)
from xinyong.repair.setup import RepairSetup
from xinyong.repair.workflow import (
    APP_IN_REVIEW,
    ITEM_PENDING,
    STATUS_LABELS,
    TASK_PENDING,
)
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject
from xinyong.workdays.service import work_calendar

MAX_PROOF_BYTES: Final = 10 * 1024 * 1024


def record_title(record: Record) -> str:
    values = record.fields or {}
    return next((str(values[k]) for k in TITLE_FIELDS if values.get(k)), record.record_type)


def _event(
    session: Session,
    application_id: int,
    *,
    action: str,
    to_status: str,
    actor: str,
    now: datetime,
    from_status: str | None = None,
    task_id: int | None = None,
    item_id: int | None = None,
    note: str | None = None,
) -> None:
    session.add(
        RepairEvent(
            application_id=application_id,
            task_id=task_id,
            item_id=item_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            at=now,
            note=note,
        )
    )


def decode_proofs(proofs: list[ProofFile], field: str = "proofs") -> list[tuple[ProofFile, bytes]]:
    """The uploaded files decoded; a bad encoding or an oversized file is named."""
    out = []
    for i, proof in enumerate(proofs):
        try:
            content = base64.b64decode(proof.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ProofNotBase64(f"{field}[{i}].content_base64") from None
        if len(content) > MAX_PROOF_BYTES:
            raise ProofTooLarge(f"{field}[{i}].content_base64", MAX_PROOF_BYTES // 1024 // 1024)
        out.append((proof, content))
    return out


def store_proofs(
    session: Session,
    application_id: int,
    files: list[tuple[ProofFile, bytes]],
    now: datetime,
) -> None:
    for proof, content in files:
        session.add(
            RepairMaterial(
                application_id=application_id,
                kind="proof",
                name="履行法定义务的证明",
                filename=proof.filename,
                content_type=proof.content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                record_ids=proof.record_ids or None,
                created_at=now,
            )
        )


def _records(
    session: Session, principal: Principal, data: ApplicationCreate, secret: bytes
) -> tuple[Subject, list[Record]]:
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
        raise EnterpriseOnly()
    if not data.record_ids:
        raise NoRecords()
    wanted = list(dict.fromkeys(data.record_ids))
    if len(wanted) > MAX_RECORDS:
        raise TooManyRecords(MAX_RECORDS)
    subject = subjects.find_by_code(session, data.subject_code, secret=secret)
    if subject.id != principal.subject_id:
        raise NotOwnRecord()
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(wanted)))}
    if any(records.get(i) is None or records[i].subject_id != subject.id for i in wanted):
        raise NotOwnRecord()
    return subject, [records[i] for i in wanted]


def _form(subject: Subject, records: list[Record], rules: dict[int, RepairRule]) -> dict[str, Any]:
    """信用修复申请表, filled from what the platform holds."""
    return {
        "title": "失信信息信用修复申请表",
        "subject": {
            "name": subject.name,
            "code": subject.code,
            "legal_rep": subject.legal_rep,
            "address": subject.address,
        },
        "records": [
            {
                "record_id": r.id,
                "record_type": r.record_type,
                "title": record_title(r),
                "decided_on": r.decided_on.isoformat(),
                "severity": r.severity,
                "rule": rules[r.id].name,
                "decider": rules[r.id].decider,
                "intake": rules[r.id].intake,
            }
            for r in records
        ],
    }


def submit(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    data: ApplicationCreate,
    now: datetime,
) -> ApplicationRead:
    """File one application for ``data.record_ids``: every record eligible (else 409 naming
    each with its reason and date), one commitment for all, proofs only where needed; one
    pending task per deciding department, due in the rules' working days."""
    subject, records = _records(session, principal, data, setup.secret)
    today = now.astimezone(SHANGHAI).date()
    by_department = eligibility.sectors(session, records)
    pending = eligibility.open_items(session, [r.id for r in records])
    rules: dict[int, RepairRule] = {}
    problems = []
    for i, record in enumerate(records):
        rule = setup.rules.rule_for(
            record.record_type, record.severity, by_department.get(record.source_department_id)
        )
        status = eligibility.judge(
            record, rule, as_of=today, open_application=pending.get(record.id)
        )
        if not status.possible or rule is None:
            problems.append(FieldError(f"record_ids[{i}]", status.code, status.reason))
        else:
            rules[record.id] = rule
    if problems:
        raise NotEligible(problems)
    if data.commitment is None or not data.commitment.accepted:
        raise CommitmentRequired()
    needs_upload = [r for r in records if rules[r.id].needs_upload]
    if needs_upload and not data.proofs:
        raise ProofRequired([f"{record_title(r)}（{rules[r.id].name}）" for r in needs_upload])
    files = decode_proofs(data.proofs)
    calendar = work_calendar(session)
    feedback = calendar.add_workdays(today, setup.rules.sla.intake_feedback_workdays)
    application = RepairApplication(
        subject_id=subject.id,
        applicant=principal.actor,
        applicant_name=principal.name[:128],
        channel=data.channel,
        status=APP_IN_REVIEW,
        rules_version=setup.rules.version,
        submitted_at=now,
        submitted_on=today,
        feedback_due_on=feedback.due,
        feedback_due_provisional=feedback.provisional,
        commitment_text=setup.rules.commitment_text,
        commitment_signer=data.commitment.signer_name,
        commitment_signed_at=now,
        form=_form(subject, records, rules),
    )
    session.add(application)
    session.flush()
    session.add_all(
        [
            RepairMaterial(
                application_id=application.id,
                kind="form",
                name="信用修复申请表（系统根据已归集信息生成）",
                created_at=now,
            ),
            RepairMaterial(
                application_id=application.id,
                kind="commitment",
                name="信用承诺书（在线签署）",
                created_at=now,
            ),
        ]
    )
    store_proofs(session, application.id, files, now)
    decision = calendar.add_workdays(today, setup.rules.sla.department_decision_workdays)
    per_department: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        per_department[record.source_department_id].append(record)
    for department_id, own in sorted(per_department.items()):
        task = RepairTask(
            application_id=application.id,
            department_id=department_id,
            status=TASK_PENDING,
            received_on=today,
            due_on=decision.due,
            due_provisional=decision.provisional,
        )
        session.add(task)
        session.flush()
        for record in own:
            session.add(
                RepairItem(
                    application_id=application.id,
                    task_id=task.id,
                    record_id=record.id,
                    record_type=record.record_type,
                    rule_id=rules[record.id].id,
                    status=ITEM_PENDING,
                )
            )
    try:
        session.flush()
    except IntegrityError:
        # Another application took one of these records between our check and our insert.
        raise NotEligible(
            [FieldError("record_ids", "repair.already_open", "该信息已有处理中的修复申请")]
        ) from None
    # The one online 信用承诺书 is a public 信用修复型 commitment like any other (C10): its
    # fulfilment is verified by the first deciding department, a breach becomes a record.
    commitment = sign_repair_commitment(
        session,
        setup.commitments,
        subject_id=subject.id,
        signer=principal,
        signer_name=data.commitment.signer_name,
        text=setup.rules.commitment_text,
        receiving_department_id=min(per_department),
        now=now,
    )
    application.commitment_id = commitment.id
    _event(
        session,
        application.id,
        action="submit",
        to_status=APP_IN_REVIEW,
        actor=principal.actor,
        now=now,
        note=f"{len(records)} 条信息，{len(per_department)} 个决定部门",
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role.value if principal.role else None,
        action="repair.submit",
        object_type="repair_application",
        object_id=application.id,
        detail={"subject_id": subject.id, "record_ids": [r.id for r in records]},
        now=now,
    )
    return read_application(session, application_id=application.id, principal=principal, now=now)


# --- reading ----------------------------------------------------------------------------------


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


def task_reads(session: Session, tasks: list[RepairTask], today: Any) -> list[TaskRead]:
    """Tasks with their items, departments and subjects, in a few queries."""
    if not tasks:
        return []
    task_ids = [t.id for t in tasks]
    items: dict[int, list[tuple[RepairItem, Record]]] = defaultdict(list)
    for item, record in session.execute(
        select(RepairItem, Record)
        .join(Record, Record.id == RepairItem.record_id)
        .where(RepairItem.task_id.in_(task_ids))
        .order_by(RepairItem.id)
    ):
        items[item.task_id].append((item, record))
    departments = {
        d.id: d
        for d in session.scalars(
            select(Department).where(Department.id.in_({t.department_id for t in tasks}))
        )
    }
    applications = {
        a.id: a
        for a in session.scalars(
            select(RepairApplication).where(
                RepairApplication.id.in_({t.application_id for t in tasks})
            )
        )
    }
    subject_rows = {
        s.id: s
        for s in session.scalars(
            select(Subject).where(Subject.id.in_({a.subject_id for a in applications.values()}))
        )
    }
    out = []
    for t in tasks:
        department = departments[t.department_id]
        subject = subject_rows[applications[t.application_id].subject_id]
        out.append(
            TaskRead(
                id=t.id,
                application_id=t.application_id,
                department_code=department.code,
                department_name=department.name,
                status=t.status,
                status_label=STATUS_LABELS.get(t.status, t.status),
                received_on=t.received_on,
                due_on=t.due_on,
                due_provisional=t.due_provisional,
                overdue=t.status == TASK_PENDING and today > t.due_on,
                supplement_reason=t.supplement_reason,
                supplement_due_on=t.supplement_due_on,
                subject_code=subject.code,
                subject_name=subject.name,
                items=[
                    ItemRead(
                        id=i.id,
                        record_id=i.record_id,
                        record_type=i.record_type,
                        title=record_title(r),
                        department=department.name,
                        rule_id=i.rule_id,
                        status=i.status,
                        status_label=STATUS_LABELS.get(i.status, i.status),
                        reason=i.reason,
                        decided_at=i.decided_at,
                    )
                    for i, r in items[t.id]
                ],
            )
        )
    return out


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


def read_application(
    session: Session, *, application_id: int, principal: Principal, now: datetime
) -> ApplicationRead:
    """An application with its materials, tasks, items and events (applicant, its deciding
    departments, admins); anyone else gets 404 so that applications cannot be probed."""
    if principal.is_anonymous:
        raise Unauthorized()
    application = session.get(RepairApplication, application_id)
    if application is None or not _can_read(session, principal, application):
        raise ApplicationNotFound()
    subject = session.get_one(Subject, application.subject_id)
    tasks = session.scalars(
        select(RepairTask)
        .where(RepairTask.application_id == application.id)
        .order_by(RepairTask.id)
    ).all()
    events = session.scalars(
        select(RepairEvent)
        .where(RepairEvent.application_id == application.id)
        .order_by(RepairEvent.at, RepairEvent.id)
    ).all()
    return ApplicationRead(
        id=application.id,
        subject_code=subject.code,
        subject_name=subject.name,
        status=application.status,
        status_label=STATUS_LABELS.get(application.status, application.status),
        channel=application.channel,
        submitted_at=application.submitted_at,
        feedback_due_on=application.feedback_due_on,
        feedback_due_provisional=application.feedback_due_provisional,
        completed_on=application.completed_on,
        materials=materials_of(session, application.id),
        tasks=task_reads(session, list(tasks), now.astimezone(SHANGHAI).date()),
        events=[
            EventRead(
                at=e.at,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                note=e.note,
            )
            for e in events
        ],
    )


def list_applications(
    session: Session, *, principal: Principal, now: datetime
) -> list[ApplicationRead]:
    """The enterprise's own applications (newest first); admins see the latest 200."""
    if principal.is_anonymous:
        raise Unauthorized()
    query = select(RepairApplication.id).order_by(RepairApplication.id.desc()).limit(200)
    if not principal.is_admin:
        if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
            raise EnterpriseOnly()
        query = query.where(RepairApplication.subject_id == principal.subject_id)
    return [
        read_application(session, application_id=i, principal=principal, now=now)
        for i in session.scalars(query)
    ]


def eligibility_of(
    session: Session,
    setup: RepairSetup,
    catalog_names: dict[str, str],
    *,
    principal: Principal,
    code: str,
    now: datetime,
) -> Eligibility:
    """For each of the subject's adverse records: can it be repaired now, if not why and
    from when, and which proofs it needs (the subject itself or government staff)."""
    if principal.is_anonymous:
        raise Unauthorized()
    subject = subjects.find_by_code(session, code, secret=setup.secret)
    own = principal.role is Role.ENTERPRISE and principal.subject_id == subject.id
    if not (own or principal.is_internal):
        raise NotOwnRecord()
    today = now.astimezone(SHANGHAI).date()
    records = session.scalars(
        select(Record)
        .where(
            Record.subject_id == subject.id,
            Record.polarity == Polarity.BAD.value,
            Record.status == RecordStatus.ACTIVE,
        )
        .order_by(Record.decided_on.desc(), Record.id.desc())
    ).all()
    statuses = eligibility.statuses(session, records, today, rules=setup.rules)
    sectors = eligibility.sectors(session, records)
    departments = dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_({r.source_department_id for r in records} or {0})
            )
        ).all()
    )
    items = []
    for r in records:
        rule = setup.rules.rule_for(r.record_type, r.severity, sectors.get(r.source_department_id))
        items.append(
            EligibilityItem(
                record_id=r.id,
                record_type=r.record_type,
                type_name=catalog_names.get(r.record_type, r.record_type),
                title=record_title(r),
                decided_on=r.decided_on,
                severity=r.severity,
                department=departments.get(r.source_department_id, ""),
                status=statuses[r.id],
                rule_id=rule.id if rule else None,
                proofs=[
                    Material(kind="proof", name=p.name, provided_by=p.provided_by)
                    for p in (rule.proofs if rule else [])
                ],
            )
        )
    return Eligibility(subject_code=subject.code, as_of=today, items=items)
