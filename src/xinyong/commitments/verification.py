"""履诺 or 违诺: the receiving department verifies a commitment once.

The move follows ``workflow.COMMITMENT`` through :func:`xinyong.workflow.move` (compare-and-set
on ``version``), so of two verifications at once exactly one wins and the other gets 409. A
breach writes the ``commitment_breach`` record (失信) through the ingest path in the same
transaction; from then on the subject's checks count it (不适用告知承诺) until that record is
repaired.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.commitments import guards
from xinyong.commitments.errors import CommitmentNotFound
from xinyong.commitments.models import Commitment, CommitmentEvent
from xinyong.commitments.records import write_breach_record
from xinyong.commitments.schemas import VerificationIn
from xinyong.commitments.service import CommitmentSetup
from xinyong.commitments.workflow import COMMITMENT, CommitmentAction
from xinyong.errors import Unauthorized
from xinyong.ingest.service import Actor
from xinyong.kit.clock import local_date
from xinyong.subjects.models import Subject
from xinyong.workflow import append_event, move


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
    action = guards.verification_action(
        principal, department, outcome=data.outcome, breach_kind=data.breach_kind
    )
    breach_kind = data.breach_kind if action is CommitmentAction.BREACH else None
    values = {
        "verified_at": now,
        "verified_by": principal.actor,
        "verification_note": data.note,
        "breach_kind": breach_kind,
    }
    moved = move(session, COMMITMENT, commitment, action, values=values)
    detail: dict[str, object] = {"outcome": data.outcome}
    if breach_kind is not None:
        record_id = _breach_record(
            session, setup, commitment, department, principal, breach_kind, data.note, now
        )
        commitment.breach_record_id = record_id
        detail.update(breach_kind=breach_kind, breach_record_id=record_id)
    append_event(
        session,
        CommitmentEvent,
        moved,
        actor=principal.actor,
        at=now,
        commitment_id=commitment.id,
        note=data.note,
        detail=detail,
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


def _breach_record(
    session: Session,
    setup: CommitmentSetup,
    commitment: Commitment,
    department: Department,
    principal: Principal,
    breach_kind: str,
    note: str,
    now: datetime,
) -> int:
    """The ``commitment_breach`` record (失信) of a breach, through the ingest path."""
    record = write_breach_record(
        session,
        setup.catalog,
        commitment=commitment,
        subject=session.get_one(Subject, commitment.subject_id),
        department=department,
        breach_kind=breach_kind,
        details=note,
        found_on=local_date(now),
        actor=Actor.of(principal),
        secret=setup.secret,
        strict_org_code=setup.strict_org_code,
        now=now,
    )
    return record.id
