"""Reading commitments back: one with its history, or a list for the subject (its own), the
receiving department (what it received) or an admin (all); overdue ones for follow-up.

Anyone who may not see a commitment gets 404, so that commitments cannot be probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.commitments.errors import CommitmentNotFound, ListForbidden, SubjectFilterForbidden
from xinyong.commitments.guards import DEPARTMENT_ROLES, is_receiving
from xinyong.commitments.models import Commitment, CommitmentEvent
from xinyong.commitments.schemas import CommitmentRead
from xinyong.commitments.workflow import COMMITMENT, CommitmentStatus, is_overdue
from xinyong.db import rows_by_id
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject
from xinyong.workflow import EventRead, histories

MAX_LISTED: Final = 500


def _reads(session: Session, rows: Sequence[Commitment], today: date) -> list[CommitmentRead]:
    """Commitments with subjects, departments and events, in four queries whatever the count."""
    if not rows:
        return []
    subject_rows = rows_by_id(session, Subject, (c.subject_id for c in rows))
    departments = rows_by_id(session, Department, (c.receiving_department_id for c in rows))
    events = histories(session, CommitmentEvent.commitment_id, [c.id for c in rows])
    return [
        _read(
            c,
            subject_rows[c.subject_id],
            departments[c.receiving_department_id],
            events[c.id],
            today,
        )
        for c in rows
    ]


def _read(
    c: Commitment,
    subject: Subject,
    department: Department,
    events: list[EventRead],
    today: date,
) -> CommitmentRead:
    status = CommitmentStatus(c.status)
    return CommitmentRead(
        id=c.id,
        subject_code=subject.code,
        subject_name=subject.name,
        commitment_type=c.commitment_type,
        template_id=c.template_id,
        template_version=c.template_version,
        matter=c.matter,
        items=list(c.items),
        text=c.text,
        text_sha256=c.text_sha256,
        public=c.public,
        reference=c.reference,
        channel=c.channel,
        signer_name=c.signer_name,
        signed_at=c.signed_at,
        due_on=c.due_on,
        receiving_department_code=department.code,
        receiving_department_name=department.name,
        status=status.value,
        status_label=status.label,
        overdue=is_overdue(status, c.due_on, today),
        allowed_actions=[a.value for a in COMMITMENT.allowed_actions(status)],
        record_id=c.record_id,
        breach_record_id=c.breach_record_id,
        breach_kind=c.breach_kind,
        verified_at=c.verified_at,
        verification_note=c.verification_note,
        events=events,
    )


def _can_read(session: Session, principal: Principal, commitment: Commitment) -> bool:
    if principal.is_admin:
        return True
    if principal.role is Role.ENTERPRISE:
        return principal.subject_id == commitment.subject_id
    department = session.get_one(Department, commitment.receiving_department_id)
    return is_receiving(principal, department)


def read(
    session: Session, *, commitment_id: int, principal: Principal, now: datetime
) -> CommitmentRead:
    """One commitment with its text, record links and history (subject, receiving
    department, admin; 404 for anyone else)."""
    if principal.is_anonymous:
        raise Unauthorized()
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or not _can_read(session, principal, commitment):
        raise CommitmentNotFound()
    _log_read(session, principal, [commitment], object_id=commitment.id, detail={}, now=now)
    return _reads(session, [commitment], local_date(now))[0]


def _log_read(
    session: Session,
    principal: Principal,
    rows: Sequence[Commitment],
    *,
    object_id: int | None,
    detail: dict[str, object],
    now: datetime,
) -> None:
    """Reading commitments: audited, and in the query log of each subject read by someone
    else (``access.log_non_public_read``)."""
    access.log_non_public_read(
        session,
        principal=principal,
        action="commitments.read",
        object_type="commitment",
        object_id=object_id,
        subject_ids=[c.subject_id for c in rows],
        channel=QueryChannel.COMMITMENT,
        detail=detail,
        now=now,
    )


def _scoped(
    session: Session, principal: Principal, subject_code: str | None, secret: bytes
) -> Select[Commitment]:
    query = select(Commitment)
    if principal.role is Role.ENTERPRISE and principal.subject_id is not None:
        if subject_code:
            subjects.own_subject(
                session,
                subject_code,
                own_subject_id=principal.subject_id,
                secret=secret,
                refused=SubjectFilterForbidden(),
            )
        return query.where(Commitment.subject_id == principal.subject_id)
    in_department = principal.role in DEPARTMENT_ROLES and principal.department_code
    if not (principal.is_admin or in_department):
        raise ListForbidden()
    if subject_code:
        subject_id = subjects.find_by_code(session, subject_code, secret=secret).id
        query = query.where(Commitment.subject_id == subject_id)
    if principal.is_admin:
        return query
    return query.join(Department, Department.id == Commitment.receiving_department_id).where(
        Department.code == principal.department_code
    )


def list_commitments(
    session: Session,
    *,
    principal: Principal,
    secret: bytes,
    subject_code: str | None,
    status: CommitmentStatus | None,
    overdue: bool,
    now: datetime,
) -> list[CommitmentRead]:
    """Commitments the caller may see (newest first, at most 500). ``overdue`` keeps only
    signed ones past their verification date, oldest due first: the department's follow-up."""
    if principal.is_anonymous:
        raise Unauthorized()
    today = local_date(now)
    query = _scoped(session, principal, subject_code, secret)
    if status is not None:
        query = query.where(Commitment.status == status.value)
    if overdue:
        query = query.where(
            Commitment.status == CommitmentStatus.SIGNED.value, Commitment.due_on < today
        ).order_by(Commitment.due_on, Commitment.id)
    else:
        query = query.order_by(Commitment.id.desc())
    rows = session.scalars(query.limit(MAX_LISTED)).all()
    _log_read(
        session,
        principal,
        rows,
        object_id=None,
        detail={
            "subject_code": subject_code,
            "status": status.value if status else None,
            "overdue": overdue,
            "listed": len(rows),
        },
        now=now,
    )
    return _reads(session, rows, today)
