"""Tables of credit records and their superseded versions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime


class RecordStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # 当前状态 = 撤销: gone from every view, kept in history


STATUS_TYPE = Enum(
    RecordStatus,
    name="record_status",
    native_enum=False,
    length=16,
    values_callable=lambda enum: [m.value for m in enum],
)


class Record(Base):
    """The current version of one record, keyed by (source, type, source key).

    ``fields`` holds the normalised values (ID numbers only masked). The publicity columns are
    computed from the catalog regime of the decision date when the version is written.
    """

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("source_key", "source_department_id", "record_type"),
        Index("ix_records_subject_type", "subject_id", "record_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    record_type: Mapped[str] = mapped_column(String(48))
    source_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    source_key: Mapped[str] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[RecordStatus] = mapped_column(STATUS_TYPE, default=RecordStatus.ACTIVE)
    decided_on: Mapped[date] = mapped_column(Date)
    polarity: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str | None] = mapped_column(String(8))
    publicised: Mapped[bool] = mapped_column(Boolean)
    publicity_starts_on: Mapped[date | None] = mapped_column(Date)
    publicity_ends_on: Mapped[date | None] = mapped_column(Date)
    repair_possible_from: Mapped[date | None] = mapped_column(Date)
    # 信用修复: from this day the record is no longer public, shared or counted (it stays in
    # the subject's and the departments' history).
    repaired_on: Mapped[date | None] = mapped_column(Date)
    regime_id: Mapped[str | None] = mapped_column(String(48))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(32))
    disputed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordVersion(Base):
    """A superseded version of a record (corrected or revoked), kept for history and audit."""

    __tablename__ = "record_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[RecordStatus] = mapped_column(STATUS_TYPE)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int | None] = mapped_column(Integer)
    superseded_by_batch_id: Mapped[int | None] = mapped_column(Integer)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime())
