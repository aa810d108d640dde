"""Marking subjects whose stored grades no longer hold, reading the marks, clearing handled ones.

Whatever changes what a grade is computed from marks the subjects in the same transaction:
every ingest chunk that stores or revokes records, a repair, an objection decision, and a
model's publication (one model-wide mark, not a row per subject). While a mark stands, reads
compute the grade online; the worker re-scores the marked subjects, stores the results and
clears the marks it handled. Marking is an upsert on both SQLite and PostgreSQL: a subject
already marked keeps one row whose ``version`` moves on, and the worker deletes a mark only at
the version it read, so a mark made while it was re-scoring survives for the next pass.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from xinyong.freshness.models import EVERY_MODEL, FOR_SUBJECT, MODEL_WIDE, StaleMark

PUBLICATION = "publication"
REPAIR = "repair"
OBJECTION = "objection"


def ingest_reason(batch_id: int) -> str:
    return f"ingest:{batch_id}"


@dataclass(frozen=True)
class Mark:
    """A mark as the worker read it: deleted later only if still at this ``version``."""

    id: int
    subject_id: int | None
    model_id: str
    version: int


def _upsert(
    session: Session, rows: list[dict[str, Any]], *, keys: list[str], where: TextClause
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(StaleMark)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=keys,
            index_where=where,
            set_={
                "version": StaleMark.version + 1,
                "reason": stmt.excluded.reason,
                "marked_at": stmt.excluded.marked_at,
            },
        ),
        rows,
    )


def mark_stale(
    session: Session,
    subject_ids: Iterable[int],
    *,
    reason: str,
    now: datetime,
    model_id: str = EVERY_MODEL,
) -> None:
    """Mark ``subject_ids`` stale under ``model_id`` (default: every model), in the caller's
    transaction. Sorted, so that concurrent markers lock rows in one order (no deadlock)."""
    ids = sorted(set(subject_ids))
    if not ids:
        return
    rows = [
        {
            "subject_id": sid,
            "model_id": model_id,
            "reason": reason,
            "since": now,
            "marked_at": now,
            "version": 1,
        }
        for sid in ids
    ]
    _upsert(session, rows, keys=["subject_id", "model_id"], where=FOR_SUBJECT)


def mark_model(session: Session, model_id: str, *, reason: str, now: datetime) -> None:
    """Mark every subject ``model_id`` evaluates with one row (a publication): the worker
    expands it into one batch run rather than millions of rows here."""
    row = {
        "subject_id": None,
        "model_id": model_id,
        "reason": reason,
        "since": now,
        "marked_at": now,
        "version": 1,
    }
    _upsert(session, [row], keys=["model_id"], where=MODEL_WIDE)


def pending(session: Session, *, limit: int, model_wide: bool) -> list[Mark]:
    """The oldest marks first: per subject, or (``model_wide``) per model."""
    column = StaleMark.subject_id
    stmt = (
        select(StaleMark.id, StaleMark.subject_id, StaleMark.model_id, StaleMark.version)
        .where(column.is_(None) if model_wide else column.is_not(None))
        .order_by(StaleMark.since, StaleMark.id)
        .limit(limit)
    )
    return [Mark(*row) for row in session.execute(stmt)]


def clear(session: Session, marks: Collection[Mark]) -> int:
    """Delete each mark only at the version read (compare-and-delete); how many went. The rows
    are locked first in (subject, model) order, the order every marker upserts them in, so a
    worker clearing and an ingest marking the same subjects never deadlock on PostgreSQL."""
    if not marks:
        return 0
    matches = [and_(StaleMark.id == m.id, StaleMark.version == m.version) for m in marks]
    handled = session.scalars(
        select(StaleMark.id)
        .where(or_(*matches))
        .order_by(StaleMark.subject_id, StaleMark.model_id)
        .with_for_update()
    ).all()
    if handled:
        session.execute(
            delete(StaleMark)
            .where(StaleMark.id.in_(handled))
            .execution_options(synchronize_session=False)
        )
    return len(handled)


def stale_pairs(session: Session, subject_ids: Collection[int]) -> set[tuple[int | None, str]]:
    """The marks that concern ``subject_ids``: (subject id or None for model-wide, model id)."""
    if not subject_ids:
        return set()
    rows = session.execute(
        select(StaleMark.subject_id, StaleMark.model_id).where(
            or_(StaleMark.subject_id.in_(list(subject_ids)), StaleMark.subject_id.is_(None))
        )
    )
    return {(sid, model_id) for sid, model_id in rows}


def is_stale(marks: set[tuple[int | None, str]], subject_id: int, model_id: str) -> bool:
    """Whether a stored grade of ``subject_id`` under ``model_id`` is out of date."""
    return bool({(subject_id, EVERY_MODEL), (subject_id, model_id), (None, model_id)} & marks)
