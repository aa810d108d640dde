"""The providing department's first look at a third party's objection.

Anyone with evidence may object to penalty information (市场监管总局令第45号 第十二条), but
only the subject's own objection flags the record at once. A third party's waits in 待受理
until the providing department has read its evidence: accepted as substantiated, the record
is flagged 异议处理中 from that moment and the decision is due within the decision limit
counted from the acceptance; dismissed, with reasons, it is closed and the record was never
flagged. Both are compare-and-set moves along ``workflow.OBJECTION`` with an event and an
audit row, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.kit.clock import local_date
from xinyong.objections import workflow as wf
from xinyong.objections.decision import decision_values, own_objection
from xinyong.objections.errors import RecordRevoked
from xinyong.objections.models import Objection, ObjectionEvent
from xinyong.objections.read import reads
from xinyong.objections.schemas import ObjectionAcceptance, ObjectionRead
from xinyong.objections.service import flagging, lock_record
from xinyong.objections.setup import ObjectionSetup
from xinyong.records import service as records
from xinyong.records.models import RecordStatus
from xinyong.workflow import Moved, append_event, move


def _accept(
    session: Session,
    setup: ObjectionSetup,
    objection: Objection,
    *,
    principal: Principal,
    now: datetime,
) -> tuple[Moved[wf.ObjectionStatus, wf.ObjectionAction], str]:
    """Flag the record and start the decision clock; (the move, event note)."""
    record = lock_record(session, objection.record_id)
    if record.status == RecordStatus.REVOKED:
        raise RecordRevoked()
    due = flagging(session, setup, local_date(now))
    moved = move(
        session,
        wf.OBJECTION,
        objection,
        wf.ObjectionAction.ACCEPT,
        values={"accepted_at": now, "accepted_by": principal.actor, "flagged_at": now, **due},
    )
    records.mark_disputed(session, record)
    note = (
        f"经审查认定有据，予以受理；已标注“异议处理中”，请于 {due['decision_due_on']} 前"
        f"作出处理（{setup.limits.reference}）"
    )
    return moved, note


def _dismiss(
    session: Session,
    objection: Objection,
    *,
    reason: str | None,
    principal: Principal,
    now: datetime,
) -> Moved[wf.ObjectionStatus, wf.ObjectionAction]:
    """Close the objection unaccepted, with the reviewer's reasons; the record never flagged."""
    return move(
        session,
        wf.OBJECTION,
        objection,
        wf.ObjectionAction.DISMISS,
        values=decision_values(
            wf.ObjectionStatus.DISMISSED.value, reason, principal=principal, now=now
        ),
    )


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
    refusal = wf.acceptance_refusal(objection.status, action, reason=data.reason)
    if refusal is not None:
        raise refusal
    note: str | None
    if action is wf.ObjectionAction.ACCEPT:
        moved, note = _accept(session, setup, objection, principal=principal, now=now)
        note = f"{note}。{data.reason}" if data.reason else note
    else:
        moved = _dismiss(session, objection, reason=data.reason, principal=principal, now=now)
        note = data.reason
    append_event(
        session,
        ObjectionEvent,
        moved,
        actor=principal.actor,
        at=now,
        objection_id=objection.id,
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
