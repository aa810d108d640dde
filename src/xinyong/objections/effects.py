"""What a corrected or withdrawn record does beyond itself, in the decision's transaction:

* the subject is evaluated again, so checks and its file read the grade of the record as it
  now stands;
* every credit platform that shows the record is told (one delivery per platform through the
  sync outbox): a withdrawn record is taken down (《上海市社会信用条例》第三十七条: within 3
  working days after the act is revoked), a corrected one is replaced by its new version.
  Deliveries are keyed by the objection, since one record may be corrected more than once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.freshness.service import OBJECTION
from xinyong.kit.clock import local_date
from xinyong.objections.models import Objection
from xinyong.objections.setup import ObjectionSetup
from xinyong.records.models import Record
from xinyong.scoring.service import rescore_changed_subject
from xinyong.subjects.models import Subject
from xinyong.sync.messages import Cause, Change, RecordChangeMessage, record_ref


def propagate(
    session: Session,
    setup: ObjectionSetup,
    *,
    objection: Objection,
    record: Record,
    withdrawn: bool,
    now: datetime,
) -> None:
    """Re-score the record's subject and queue the change for every platform."""
    today = local_date(now)
    subject = session.get_one(Subject, record.subject_id)
    rescore_changed_subject(
        session, setup.scorecards, setup.catalog, subject, reason=OBJECTION, as_of=today, now=now
    )
    department = session.get_one(Department, objection.department_id)
    source = session.get_one(Department, record.source_department_id)
    message = RecordChangeMessage.build(
        change=Change.WITHDRAWN if withdrawn else Change.CORRECTED,
        record=record_ref(record, source_department=source.code),
        subject_kind=subject.kind.value,
        subject_code=subject.code,
        subject_name=subject.name,
        effective_on=today,
        cause=Cause(type="objection", id=objection.id),
        corrected=None if withdrawn else objection.corrected_values,
    )
    setup.outbox.enqueue(
        session,
        kind="withdraw" if withdrawn else "correct",
        object_type="objection",
        object_id=objection.id,
        record_type=record.record_type,
        sector=department.sector,
        payload=message.payload(),
        now=now,
    )
