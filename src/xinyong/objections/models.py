"""Tables of credit objections (信用异议): one objection per applicant and record, its evidence
files and the event log of every move.

An objection moves only along ``workflow.OBJECTION``, by compare-and-set on ``version``
(``xinyong.workflow.move``); every move and the filing append one ``ObjectionEvent``.
At most one pending (received or open) objection per (record, applicant), enforced by a
partial unique index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime
from xinyong.workflow import EventLog

PENDING_WHERE = "status IN ('received', 'open')"


class Objection(Base):
    """信用异议: an applicant disputes one record's content, its publicity period, or the
    rejection of its repair; routed to the department that provided the record."""

    __tablename__ = "objections"
    __table_args__ = (
        Index("ix_objections_department_status", "department_id", "status"),
        Index(
            "uq_objections_pending_record_applicant",
            "record_id",
            "applicant",
            unique=True,
            postgresql_where=text(PENDING_WHERE),
            sqlite_where=text(PENDING_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    repair_item_id: Mapped[int | None] = mapped_column(ForeignKey("repair_items.id"))
    applicant: Mapped[str] = mapped_column(String(64), index=True)
    applicant_name: Mapped[str] = mapped_column(String(128))
    applicant_role: Mapped[str | None] = mapped_column(String(16))
    # True when the applicant is the record's subject (信息主体); False for a third party
    # objecting to penalty information with evidence (市场监管总局令第45号 第十二条).
    by_subject: Mapped[bool] = mapped_column(Boolean)
    grounds: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(128))
    record_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_on: Mapped[date] = mapped_column(Date)
    # A third party's objection: the providing department accepts it by this day, or not.
    accept_due_on: Mapped[date | None] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    # Set when the record is flagged 异议处理中: at filing for the subject, on acceptance for
    # a third party (never, if dismissed).
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flag_due_on: Mapped[date | None] = mapped_column(Date)
    decision_due_on: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    corrected_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ObjectionEvidence(Base):
    """One evidence file of an objection (kept as uploaded, with its hash)."""

    __tablename__ = "objection_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ObjectionEvent(EventLog, Base):
    """Every move of an objection (and its filing): who, from, to, when, why."""

    __tablename__ = "objection_events"
    # The widths migration 0009 gave the columns.
    __action_length__ = 24
    __status_length__ = 16

    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
