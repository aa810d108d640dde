"""The credit records a commitment makes, written through the one ingest path.

Signing writes a ``credit_commitment`` record and a breach a ``commitment_breach`` record, both
with the receiving department as their source, by ``ingest.service.ingest_rows`` — exactly what
``POST /api/v1/records:batch`` does. So the credit file (public for the public types), lists,
checks (``commitment_breaches``) and repair see them without code of their own, and repairing
the breach record is what lifts the 告知承诺 restriction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.catalog.loader import Catalog
from xinyong.commitments.errors import RecordRejected
from xinyong.commitments.models import Commitment
from xinyong.commitments.templates import BREACH_RECORD_TYPE, RECORD_TYPE
from xinyong.errors import FieldError
from xinyong.ingest.service import Actor, ingest_rows
from xinyong.records.models import Record
from xinyong.subjects.models import Subject

ORGANISATION: Final = "法人及非法人组织"
INDIVIDUAL_BUSINESS: Final = "个体工商户"


def record_key(commitment_id: int) -> str:
    """The source key (信息ID) of a commitment's record: stable, so a re-push corrects it."""
    return f"XYCN-{commitment_id:010d}"


def breach_key(commitment_id: int) -> str:
    """The source key (信息ID) of the breach record of a commitment."""
    return f"XYWN-{commitment_id:010d}"


def _subject_fields(subject: Subject) -> dict[str, str]:
    category = INDIVIDUAL_BUSINESS if subject.subtype == INDIVIDUAL_BUSINESS else ORGANISATION
    return {
        "subject_name": subject.name,
        "subject_category": category,
        "uscc": subject.uscc or "",
        "legal_rep": subject.legal_rep or "",
    }


def _ingest(
    session: Session,
    catalog: Catalog,
    *,
    record_type: str,
    department: Department,
    row: dict[str, Any],
    key: str,
    actor: Actor,
    secret: bytes,
    strict_org_code: bool,
    now: datetime,
) -> Record:
    report = ingest_rows(
        session,
        catalog,
        record_type=record_type,
        source=department.code,
        rows=[row],
        actor=actor,
        secret=secret,
        strict_org_code=strict_org_code,
        now=now,
    )
    if report["rejected"]:
        raise RecordRejected(
            [FieldError(r["field"], r["code"], r["message"]) for r in report["rejects"]]
        )
    record = session.scalars(
        select(Record).where(
            Record.source_department_id == department.id,
            Record.record_type == record_type,
            Record.source_key == key,
        )
    ).one()
    return record


def write_commitment_record(
    session: Session,
    catalog: Catalog,
    *,
    commitment: Commitment,
    subject: Subject,
    department: Department,
    actor: Actor,
    secret: bytes,
    strict_org_code: bool,
    now: datetime,
) -> Record:
    """The ``credit_commitment`` record of a signed commitment (422 if the catalog refuses it)."""
    key = record_key(commitment.id)
    row = {
        **_subject_fields(subject),
        "record_id": key,
        "commitment_type": commitment.commitment_type,
        "commitment_item": commitment.matter,
        "commitment_text": commitment.text,
        "signed_on": commitment.signed_on.isoformat(),
        "due_on": commitment.due_on.isoformat(),
        "receiving_unit": department.name,
        "source_unit": department.name,
        "status": "正常",
    }
    return _ingest(
        session,
        catalog,
        record_type=RECORD_TYPE,
        department=department,
        row=row,
        key=key,
        actor=actor,
        secret=secret,
        strict_org_code=strict_org_code,
        now=now,
    )


def write_breach_record(
    session: Session,
    catalog: Catalog,
    *,
    commitment: Commitment,
    subject: Subject,
    department: Department,
    breach_kind: str,
    details: str,
    found_on: date,
    actor: Actor,
    secret: bytes,
    strict_org_code: bool,
    now: datetime,
) -> Record:
    """The ``commitment_breach`` record (失信) of a breached commitment, found ``found_on``."""
    key = breach_key(commitment.id)
    row = {
        **_subject_fields(subject),
        "record_id": key,
        "commitment_item": commitment.matter,
        "breach_kind": breach_kind,
        "details": details,
        "found_on": found_on.isoformat(),
        "deciding_unit": department.name,
        "source_unit": department.name,
        "status": "正常",
    }
    return _ingest(
        session,
        catalog,
        record_type=BREACH_RECORD_TYPE,
        department=department,
        row=row,
        key=key,
        actor=actor,
        secret=secret,
        strict_org_code=strict_org_code,
        now=now,
    )
