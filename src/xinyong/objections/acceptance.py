"""The providing department's first look at a third party's objection.

Anyone with evidence may object to penalty information (市场监管总局令第45号 第十二条), but
only the subject's own objection flags the record at once. A third party's waits in 待受理
until the providing department has read its evidence: accepted as substantiated, the record
is flagged 异议处理中 from that moment and the decision is due within the decision limit
counted from the acceptance; dismissed, with reasons, it is closed and the record was never
flagged. Both are compare-and-set moves along ``workflow.TRANSITIONS`` with an event and an
audit row, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.kit.clock import local_date
from xinyong.objections import workflow as wf
from xinyong.objections.decision import move, own_objection
from xinyong.objections.errors import InvalidInput, NotAwaitingAcceptance, RecordRevoked
from xinyong.objections.models import Objection
from xinyong.objections.read import reads
from xinyong.objections.schemas import ObjectionAcceptance, ObjectionRead
from xinyong.objections.service import add_event, flagging, lock_record
from xinyong.objections.setup import ObjectionSetup
from xinyong.records import service as records
from xinyong.records.models import RecordStatus


def _accept(
    session: Session,
    setup: ObjectionSetup,
    objection: Objection,
    *,
    principal: Principal,
    now: datetime,
) -> tuple[str, str]:
    """Flag the record and start the decision clock; (new status, event note)."""
    record = lock_record(session, objection.record_id)
    if record.status == RecordStatus.REVOKED:
        raise RecordRevoked()
    due = flagging(session, setup, local_date(now))
    to = move(
        session,
        objection,
        wf.ObjectionAction.ACCEPT,
        accepted_at=now,
        accepted_by=principal.actor,
        flagged_at=now,
        **due,
    )
    records.mark_disputed(session, record)
    note = (
        f"经审查认定有据，予以受理；已标注“异议处理中”，请于 {due['decision_due_on']} 前"
        f"作出处理（{setup.limits.reference}）"
    )
    return to, note


def review(
    session: Session,
    setup: ObjectionSetup,
    *,
    principal: Principal,
    objection_id: int,
    data: ObjectionAcceptance,
    now: datetime,
) -> ObjectionRead:
    """Accept a third party's objection as substantiated (the record is flagged now and the
    decision is due from today) or dismiss it with reasons (closed; the record never flagged).
    Only the providing department (or an admin); of two reviewers at once, one wins (409)."""
    objection = own_objection(session, principal, objection_id)
    action = wf.ACCEPTANCE_ACTIONS[data.outcome]
    problem = wf.acceptance_problem(action, reason=data.reason)
    if problem is not None:
        field, message = problem
        raise InvalidInput(field, message, f"objection.{field}_required")
    if objection.status != wf.RECEIVED:
        raise NotAwaitingAcceptance()
    from_status = objection.status
    if action is wf.ObjectionAction.ACCEPT:
        to, note = _accept(session, setup, objection, principal=principal, now=now)
        note = f"{note}。{data.reason}" if data.reason else note
    else:
        to = move(
            session,
            objection,
            action,
            outcome=wf.ObjectionStatus.DISMISSED.value,
            decision_reason=data.reason,
            decided_at=now,
            decided_on=local_date(now),
            decided_by=principal.actor,
        )
        note = data.reason
    add_event(
        session,
        objection.id,
        action=action.value,
        from_status=from_status,
        to_status=to,
        actor=principal.actor,
        now=now,
        note=note,
    )
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=f"objection.{action.value}",
        object_type="objection",
        object_id=objection.id,
        detail={"record_id": objection.record_id, "outcome": data.outcome},
        now=now,
    )
    session.flush()
    return reads(
        session, setup.catalog, [session.get_one(Objection, objection.id)], local_date(now)
    )[0]
