"""Tables of credit repair: one application, one review task per deciding department, one
item per record, the materials (three at most) and the event log of every move.

Statuses move only along ``workflow.py``'s tables, through ``xinyong.workflow.move``.
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


class RepairApplication(Base):
    """信用修复申请: one submission by an enterprise for any set of its records."""

    __tablename__ = "repair_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    applicant: Mapped[str] = mapped_column(String(64))
    applicant_name: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))  # online | window (服务大厅代办)
    status: Mapped[str] = mapped_column(String(24), index=True)
    rules_version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_on: Mapped[date] = mapped_column(Date)
    feedback_due_on: Mapped[date] = mapped_column(Date)
    feedback_due_provisional: Mapped[bool] = mapped_column(Boolean)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_on: Mapped[date | None] = mapped_column(Date)
    # The one online 信用承诺书 covering every record of the application.
    commitment_text: Mapped[str] = mapped_column(Text)
    commitment_signer: Mapped[str] = mapped_column(String(64))
    commitment_signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    commitment_id: Mapped[int | None] = mapped_column(Integer)
    form: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RepairTask(Base):
    """The review of one deciding department: its records of one application."""

    __tablename__ = "repair_tasks"
    __table_args__ = (Index("ix_repair_tasks_department_status", "department_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(24))
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean)
    supplement_reason: Mapped[str | None] = mapped_column(Text)
    supplement_requested_on: Mapped[date | None] = mapped_column(Date)
    supplement_due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RepairItem(Base):
    """One record of an application, decided on its own (partial approval is possible).
    At most one open item per record, enforced by a partial unique index."""

    __tablename__ = "repair_items"
    __table_args__ = (
        Index(
            "uq_repair_items_open_record",
            "record_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("repair_tasks.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    record_type: Mapped[str] = mapped_column(String(48))
    rule_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))


class RepairMaterial(Base):
    """A material of an application: the generated form, the signed commitment, or the one
    merged upload of proofs (several files, one material)."""

    __tablename__ = "repair_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # form | commitment | proof
    name: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RepairEvent(EventLog, Base):
    """Every move of an application, task or item: who, from, to, when, why."""

    __tablename__ = "repair_events"
    __action_length__ = 32
    __status_length__ = 24

    application_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
