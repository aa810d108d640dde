"""What an approval does, in the decision's own transaction (Order 36 Art 3: 终止公示、停止共享):

* the record is marked repaired today: it leaves the public file and authorized views, it no
  longer counts for lists (entries it caused disappear), for checks or for scores, and stays
  in the subject's and the departments' history;
* the subject is evaluated again under every model of its kind, so the stored grade that
  checks read is already the new one;
* one sync task per platform goes into the outbox, delivered by ``xinyong sync worker``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.freshness.service import REPAIR
from xinyong.records import service as records
from xinyong.records.models import Record
from xinyong.repair.models import RepairItem
from xinyong.repair.setup import RepairSetup
from xinyong.scoring.service import rescore_changed_subject
from xinyong.subjects.models import Subject
from xinyong.sync.messages import Cause, Change, RecordChangeMessage, record_ref


def apply_repair(
    session: Session,
    setup: RepairSetup,
    *,
    item: RepairItem,
    record: Record,
    subject: Subject,
    today: date,
    now: datetime,
) -> None:
    """Repair ``record`` today and queue its delivery to every platform."""
    records.mark_repaired(session, record, on=today)
    source = session.get_one(Department, record.source_department_id)
    message = RecordChangeMessage.build(
        change=Change.REPAIRED,
        record=record_ref(record, source_department=source.code),
        subject_kind=subject.kind.value,
        subject_code=subject.code,
        subject_name=subject.name,
        effective_on=today,
        cause=Cause(type="repair_item", id=item.id),
    )
    setup.outbox.enqueue(
        session,
        kind="repair",
        object_type="record",
        object_id=record.id,
        record_type=record.record_type,
        payload=message.payload(),
        now=now,
        sector=source.sector,
    )


def rescore(
    session: Session, setup: RepairSetup, *, subject: Subject, today: date, now: datetime
) -> None:
    """Evaluate the subject again after its repairs (once per decision, not per record)."""
    rescore_changed_subject(
        session, setup.scorecards, setup.catalog, subject, reason=REPAIR, as_of=today, now=now
    )
