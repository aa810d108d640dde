"""履诺 or 违诺: the receiving department verifies a commitment once.

The move follows ``workflow.TRANSITIONS`` by compare-and-set on (status, version), so of two
verifications at once exactly one wins and the other gets 409. A breach writes the
``commitment_breach`` record (失信) through the ingest path in the same transaction; from then
on the subject's checks count it (不适用告知承诺) until that record is repaired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import update
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.commitments.errors import (
    BreachKindRequired,
    CommitmentNotFound,
    Conflict,
    InvalidTransition,
    NotReceivingDepartment,
)
from xinyong.commitments.models import Commitment, CommitmentEvent
from xinyong.commitments.records import write_breach_record
from xinyong.commitments.schemas import VerificationIn
from xinyong.commitments.service import CommitmentSetup
from xinyong.commitments.workflow import CommitmentAction, CommitmentStatus, target
from xinyong.db import compare_and_set
from xinyong.errors import Unauthorized
from xinyong.ingest.service import Actor
from xinyong.kit.clock import local_date
from xinyong.subjects.models import Subject

DEPARTMENT_ROLES: Final = frozenset({Role.DEPARTMENT, Role.REVIEWER, Role.SYSTEM})
ACTIONS: Final = {"fulfilled": CommitmentAction.FULFIL, "breached": CommitmentAction.BREACH}


def is_receiving(principal: Principal, department: Department) -> bool:
    """Whether ``principal`` acts for the department that received the commitment."""
    return principal.role in DEPARTMENT_ROLES and principal.department_code == department.code


def move(
    session: Session,
    commitment_id: int,
    *,
    expected: CommitmentStatus,
    seen_version: int,
    to: CommitmentStatus,
    values: dict[str, object],
) -> bool:
    """Compare-and-set: move only if nobody moved the commitment since it was read."""
    return compare_and_set(
        session,
        update(Commitment)
        .where(
            Commitment.id == commitment_id,
            Commitment.status == expected.value,
            Commitment.version == seen_version,
        )
        .values(status=to.value, version=seen_version + 1, **values),
    )


def verify(
    session: Session,
    setup: CommitmentSetup,
    *,
    principal: Principal,
    commitment_id: int,
    data: VerificationIn,
    now: datetime,
) -> Commitment:
    """Record fulfilment or breach (with its reason). Only the receiving department (403);
    once only (409); a breach needs its kind (422) and creates the breach record."""
    if principal.is_anonymous:
        raise Unauthorized()
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise CommitmentNotFound()
    department = session.get_one(Department, commitment.receiving_department_id)
    if not is_receiving(principal, department):
        raise NotReceivingDepartment()
    action = ACTIONS[data.outcome]
    if action is CommitmentAction.BREACH and data.breach_kind is None:
        raise BreachKindRequired()
    current = CommitmentStatus(commitment.status)  # read first: the UPDATE changes the row
    seen = commitment.version
    to = target(current, action)
    if to is None:
        raise InvalidTransition(current.label)
    breach_kind = data.breach_kind if action is CommitmentAction.BREACH else None
    moved = move(
        session,
        commitment.id,
        expected=current,
        seen_version=seen,
        to=to,
        values={
            "verified_at": now,
            "verified_by": principal.actor,
            "verification_note": data.note,
            "breach_kind": breach_kind,
        },
    )
    if not moved:
        raise Conflict()
    session.refresh(commitment)
    detail: dict[str, object] = {"outcome": data.outcome}
    if breach_kind is not None:
        record = write_breach_record(
            session,
            setup.catalog,
            commitment=commitment,
            subject=session.get_one(Subject, commitment.subject_id),
            department=department,
            breach_kind=breach_kind,
            details=data.note,
            found_on=local_date(now),
            actor=Actor.of(principal),
            secret=setup.secret,
            strict_org_code=setup.strict_org_code,
            now=now,
        )
        commitment.breach_record_id = record.id
        detail.update(breach_kind=breach_kind, breach_record_id=record.id)
    session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            action=action.value,
            from_status=current.value,
            to_status=to.value,
            actor=principal.actor,
            at=now,
            note=data.note,
            detail=detail,
        )
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=f"commitments.{action.value}",
        object_type="commitment",
        object_id=commitment.id,
        detail={"subject_id": commitment.subject_id, **detail},
        now=now,
    )
    session.flush()
    return commitment
