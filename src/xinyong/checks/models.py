"""Tables of credit checks and the measures each applied.

A check keeps a snapshot of what it decided on (grades, lists, measures with their text and
basis), so that a later change of the catalog or of the subject's records never rewrites what
a department was told. ``credit_check_measures`` repeats the measure ids for statistics.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime


class CreditCheck(Base):
    """One 信用核查: who asked about whom for which matter, the decision, and the feedback."""

    __tablename__ = "credit_checks"
    __table_args__ = (
        Index("ix_credit_checks_checked_at", "checked_at"),
        Index("ix_credit_checks_department_at", "department_code", "checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    # The code as given, normalised; a person's ID number only in its masked form.
    subject_code: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    found: Mapped[bool] = mapped_column(Boolean)
    matter: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    batch_ref: Mapped[str | None] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_by: Mapped[str | None] = mapped_column(String(64))
    applied: Mapped[bool | None] = mapped_column(Boolean)
    action_taken: Mapped[str | None] = mapped_column(String(16))
    feedback_note: Mapped[str | None] = mapped_column(Text)
    key_supervision_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("manual_list_entries.id")
    )


class CreditCheckMeasure(Base):
    """A measure a check found applicable (for statistics by measure)."""

    __tablename__ = "credit_check_measures"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("credit_checks.id", ondelete="CASCADE"), primary_key=True
    )
    measure_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
