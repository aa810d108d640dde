"""The table of stale marks: which subject's stored grades no longer hold, since when, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime

# ``model_id`` of a mark that concerns every model scoring the subject.
EVERY_MODEL = "*"
FOR_SUBJECT = text("subject_id IS NOT NULL")
MODEL_WIDE = text("subject_id IS NULL")


class StaleMark(Base):
    """A subject (or, with no subject, every subject of a model) whose stored grades are out
    of date. One row per (subject, model): marking again bumps ``version`` and keeps ``since``,
    so the worker deletes only the version it handled and a later mark survives its pass."""

    __tablename__ = "stale_marks"
    __table_args__ = (
        Index(
            "uq_stale_marks_subject_model",
            "subject_id",
            "model_id",
            unique=True,
            sqlite_where=FOR_SUBJECT,
            postgresql_where=FOR_SUBJECT,
        ),
        Index(
            "uq_stale_marks_model_wide",
            "model_id",
            unique=True,
            sqlite_where=MODEL_WIDE,
            postgresql_where=MODEL_WIDE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: model-wide (a publication), expanded by the worker into one batch run.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    model_id: Mapped[str] = mapped_column(String(64))
    # ingest:<batch id> | repair | objection | publication
    reason: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
