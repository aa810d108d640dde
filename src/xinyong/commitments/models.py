"""Tables of credit commitments (信用承诺): one signed commitment and the event log of its moves.

A commitment keeps the exact text signed (with its SHA-256), the template and version it came
from, and links to the credit records made of it: the ``credit_commitment`` record written at
signing and, on breach, the ``commitment_breach`` record. Statuses move only along
``workflow.COMMITMENT``, by compare-and-set on ``version``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime
from xinyong.workflow import EventLog


class Commitment(Base):
    """信用承诺书: signed by a subject, received and later verified by one department."""

    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_department_status", "receiving_department_id", "status"),
        Index("ix_commitments_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    commitment_type: Mapped[str] = mapped_column(String(16))
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    matter: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[str]] = mapped_column(JSONType)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean)
    reference: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))  # online | repair
    signer: Mapped[str] = mapped_column(String(64))  # audit actor of the signing account
    signer_name: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    receiving_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    breach_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[str | None] = mapped_column(String(64))
    verification_note: Mapped[str | None] = mapped_column(Text)
    breach_kind: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)


class CommitmentEvent(EventLog, Base):
    """Every move of a commitment: who, from, to, when, why."""

    __tablename__ = "commitment_events"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
