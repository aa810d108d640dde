"""One application (一次申请，全平台修复): eligibility per record, merged materials, one review
task per deciding department; and reading applications back.

Materials are three at most whatever the number of records: the application form generated
from data, one online 信用承诺书, and — only when some record's proof is held neither by the
platform nor by the deciding department — one merged upload of proofs.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.commitments.service import sign_repair_commitment
from xinyong.db import rows_by_id
from xinyong.errors import FieldError
from xinyong.kit.clock import Deadline, local_date
from xinyong.kit.uploads import UploadError, decode_upload, safe_filename
from xinyong.records.describe import record_title
from xinyong.records.models import Record
from xinyong.repair import eligibility, guards
from xinyong.repair.errors import (
    NotEligible,
    NotOwnRecord,
    ProofNotBase64,
    ProofTooLarge,
    TooManyProofs,
)
from xinyong.repair.models import (
    RepairApplication,
    RepairEvent,
    RepairItem,
    RepairMaterial,
    RepairTask,
)
from xinyong.repair.read import read_application, target_subject
from xinyong.repair.rules import RepairRule
from xinyong.repair.schemas import ApplicationCreate, ApplicationRead, ProofFile
from xinyong.repair.setup import ProofLimits, RepairSetup
from xinyong.repair.workflow import (
    ApplicationAction,
    ApplicationStatus,
    ItemStatus,
    TaskStatus,
)
from xinyong.subjects.models import Subject
from xinyong.workdays.service import work_calendar
from xinyong.workflow import Moved, append_event


def decode_proofs(
    proofs: list[ProofFile],
    limits: ProofLimits,
    *,
    field: str = "proofs",
    held: tuple[int, int] = (0, 0),
) -> list[tuple[ProofFile, bytes]]:
    """The uploaded files decoded, within the deployment's limits on the application's proofs
    (``held``: files and bytes it already has): files, bytes per file, bytes in all. A bad
    encoding or an excess is named by the file or the list at fault."""
    held_files, total = held
    if held_files + len(proofs) > limits.max_files:
        raise TooManyProofs(field, limits.max_files, held_files)
    out = []
    for i, proof in enumerate(proofs):
        name = f"{field}[{i}].content_base64"
        try:
            content = decode_upload(proof.content_base64, max_bytes=limits.max_file_bytes)
        except UploadError as exc:
            if exc.kind == "encoding":
                raise ProofNotBase64(name) from None
            raise ProofTooLarge(name, limits.max_file_bytes) from None
        total += len(content)
        if total > limits.max_total_bytes:
            raise ProofTooLarge(field, limits.max_total_bytes, total=True)
        out.append((proof, content))
    return out


def proofs_held(session: Session, application_id: int) -> tuple[int, int]:
    """How many proof files, and how many bytes, the application already has."""
    count, size = session.execute(
        select(func.count(), func.coalesce(func.sum(RepairMaterial.size), 0)).where(
            RepairMaterial.application_id == application_id, RepairMaterial.kind == "proof"
        )
    ).one()
    return int(count), int(size or 0)  # coalesce(…, 0) already: never None


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
                filename=safe_filename(proof.filename),
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
    """The applicant's subject and the records it applies for, each its own (else 403)."""
    wanted = guards.applicant_records(principal, data.record_ids)
    subject = target_subject(session, principal, data.subject_code, secret=secret)
    if subject.id != principal.subject_id:
        raise NotOwnRecord()
    records = rows_by_id(session, Record, wanted)
    if any(records.get(i) is None or records[i].subject_id != subject.id for i in wanted):
        raise NotOwnRecord()
    return subject, [records[i] for i in wanted]


def _form(
    subject: Subject, records: list[Record], rules: dict[int, RepairRule], catalog: Catalog
) -> dict[str, Any]:
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
                "title": record_title(r, catalog),
                "decided_on": r.decided_on.isoformat(),
                "severity": r.severity,
                "rule": rules[r.id].name,
                "decider": rules[r.id].decider,
                "intake": rules[r.id].intake,
            }
            for r in records
        ],
    }


def _eligible(
    session: Session, setup: RepairSetup, records: list[Record], today: date
) -> dict[int, RepairRule]:
    """record id → its repair rule, once every record can be repaired now (else 409 naming
    each with its reason and date)."""
    assessed = eligibility.assess(session, records, today, rules=setup.rules)
    return guards.eligible_rules(records, assessed)


# The materials every application carries, made by the platform (proofs are stored as uploaded).
GENERATED: Final = {
    "form": "信用修复申请表（系统根据已归集信息生成）",
    "commitment": "信用承诺书（在线签署）",
}


def _materials(session: Session, application_id: int, now: datetime) -> None:
    session.add_all(
        RepairMaterial(
            application_id=application_id, kind=kind, name=GENERATED[kind], created_at=now
        )
        for kind in guards.ALWAYS
    )


def _tasks(
    session: Session,
    setup: RepairSetup,
    application_id: int,
    records: list[Record],
    rules: dict[int, RepairRule],
    today: date,
) -> list[int]:
    """One pending task per deciding department, due in the rules' working days, with an
    item per record; returns the departments. Another application taking one of the records
    at the same moment is refused (409)."""
    decision = work_calendar(session).add_workdays(
        today, setup.rules.sla.department_decision_workdays
    )
    per_department: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        per_department[record.source_department_id].append(record)
    for department_id, own in sorted(per_department.items()):
        task = RepairTask(
            application_id=application_id,
            department_id=department_id,
            status=TaskStatus.PENDING,
            received_on=today,
            due_on=decision.due,
            due_provisional=decision.provisional,
        )
        session.add(task)
        session.flush()
        session.add_all(
            RepairItem(
                application_id=application_id,
                task_id=task.id,
                record_id=record.id,
                record_type=record.record_type,
                rule_id=rules[record.id].id,
                status=ItemStatus.PENDING,
            )
            for record in own
        )
    try:
        session.flush()
    except IntegrityError:
        # Another application took one of these records between our check and our insert.
        raise NotEligible(
            [FieldError("record_ids", "repair.already_open", "该信息已有处理中的修复申请")]
        ) from None
    return sorted(per_department)


def _new_application(
    setup: RepairSetup,
    subject: Subject,
    records: list[Record],
    rules: dict[int, RepairRule],
    *,
    principal: Principal,
    signer: str,
    channel: str,
    feedback: Deadline,
    now: datetime,
) -> RepairApplication:
    return RepairApplication(
        subject_id=subject.id,
        applicant=principal.actor,
        applicant_name=principal.name[:128],
        channel=channel,
        status=ApplicationStatus.IN_REVIEW,
        rules_version=setup.rules.version,
        submitted_at=now,
        submitted_on=local_date(now),
        feedback_due_on=feedback.due,
        feedback_due_provisional=feedback.provisional,
        commitment_text=setup.rules.commitment_text,
        commitment_signer=signer,
        commitment_signed_at=now,
        form=_form(subject, records, rules, setup.catalog),
    )


def submit(
    session: Session,
    setup: RepairSetup,
    *,
    principal: Principal,
    data: ApplicationCreate,
    now: datetime,
) -> ApplicationRead:
    """File one application for ``data.record_ids``: every record eligible (else 409 naming
    each with its reason and date), one commitment for all, proofs only where needed (within
    the deployment's limits); one pending task per deciding department, due in the rules'
    working days."""
    subject, records = _records(session, principal, data, setup.secret)
    today = local_date(now)
    rules = _eligible(session, setup, records, today)
    commitment = guards.require_materials(
        records, rules, setup.catalog, commitment=data.commitment, has_proofs=bool(data.proofs)
    )
    files = decode_proofs(data.proofs, setup.proofs)
    feedback = work_calendar(session).add_workdays(today, setup.rules.sla.intake_feedback_workdays)
    application = _new_application(
        setup,
        subject,
        records,
        rules,
        principal=principal,
        signer=commitment.signer_name,
        channel=data.channel,
        feedback=feedback,
        now=now,
    )
    session.add(application)
    session.flush()
    _materials(session, application.id, now)
    store_proofs(session, application.id, files, now)
    departments = _tasks(session, setup, application.id, records, rules, today)
    _sign_commitment(session, setup, application, principal, departments[0], now=now)
    _log_submission(session, application, records, departments, principal=principal, now=now)
    return read_application(
        session, setup.catalog, application_id=application.id, principal=principal, now=now
    )


def _sign_commitment(
    session: Session,
    setup: RepairSetup,
    application: RepairApplication,
    principal: Principal,
    receiving_department_id: int,
    *,
    now: datetime,
) -> None:
    """The one online 信用承诺书 is a public 信用修复型 commitment like any other (C10): its
    fulfilment is verified by the first deciding department, a breach becomes a record."""
    commitment = sign_repair_commitment(
        session,
        setup.commitments,
        subject_id=application.subject_id,
        signer=principal,
        signer_name=application.commitment_signer,
        text=setup.rules.commitment_text,
        receiving_department_id=receiving_department_id,
        now=now,
    )
    application.commitment_id = commitment.id


def _log_submission(
    session: Session,
    application: RepairApplication,
    records: list[Record],
    departments: list[int],
    *,
    principal: Principal,
    now: datetime,
) -> None:
    """The application's first event (it comes into being in review) and its audit row."""
    submitted = Moved(ApplicationAction.SUBMIT, None, ApplicationStatus.IN_REVIEW)
    append_event(
        session,
        RepairEvent,
        submitted,
        actor=principal.actor,
        at=now,
        application_id=application.id,
        note=f"{len(records)} 条信息，{len(departments)} 个决定部门",
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="repair.submit",
        object_type="repair_application",
        object_id=application.id,
        detail={"subject_id": application.subject_id, "record_ids": [r.id for r in records]},
        now=now,
    )
