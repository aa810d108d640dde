"""The only writers of the records table: storing new records and superseding them (ingest
hands over what it validated), and the marks other domains decide: 异议处理中 (``disputed``,
set and cleared by objections) and 已修复 (``repaired_on``, set by an approved repair).

Every other domain reads records; they change here, in the caller's transaction, so that one
place states what each change means and ``tests/test_architecture.py`` can hold every other
package to reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from xinyong.db import bulk_insert
from xinyong.records.models import Record, RecordVersion


def store_new(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New records, first version and not disputed, in one bulk insert (``COPY`` on
    PostgreSQL). Every row has the same columns, in the same order."""
    if not rows:
        return
    stored = [{**r, "version": 1, "disputed": False} for r in rows]
    columns = list(stored[0])
    bulk_insert(session, Record.__table__, columns, [tuple(r.values()) for r in stored])


def supersede(
    session: Session,
    current: Record,
    columns: dict[str, Any],
    *,
    batch_id: int,
    now: datetime,
) -> None:
    """Keep ``current`` as a version and write ``columns`` over it (a correction or
    revocation from batch ``batch_id``); its dispute and repair marks stay as they are."""
    session.add(
        RecordVersion(
            record_id=current.id,
            version=current.version,
            status=current.status,
            fields=current.fields,
            content_hash=current.content_hash,
            batch_id=current.batch_id,
            superseded_by_batch_id=batch_id,
            superseded_at=now,
        )
    )
    session.execute(
        update(Record).where(Record.id == current.id).values(version=current.version + 1, **columns)
    )


def _set_disputed(session: Session, record: Record, disputed: bool) -> None:
    # An UPDATE rather than an attribute change: the record may be locked and stale in the
    # session; the expired attribute is read again when next used.
    session.execute(
        update(Record)
        .where(Record.id == record.id)
        .values(disputed=disputed)
        .execution_options(synchronize_session=False)
    )
    session.expire(record, ["disputed"])


def mark_disputed(session: Session, record: Record) -> None:
    """Flag the record 异议处理中 for every view at once (an objection filed by its subject or
    accepted as substantiated)."""
    _set_disputed(session, record, True)


def clear_disputed(session: Session, record: Record) -> None:
    """Lift the 异议处理中 flag: the objection was decided, withdrawn or closed."""
    _set_disputed(session, record, False)


def mark_repaired(session: Session, record: Record, *, on: date) -> None:
    """Repair the record from ``on`` (终止公示、停止共享): from then it leaves the public file
    and authorized views and no longer counts for lists, checks or scores, whatever date is
    asked about later."""
    record.repaired_on = on
    session.flush()
