"""Tables of ingest batches (with their checkpoint) and quarantined rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime


class BatchStatus(StrEnum):
    RUNNING = "running"  # being imported, or killed mid-file: the same file resumes it
    COMPLETED = "completed"
    # Ended early by a limit or a problem found mid-file (stats["stop"] says which); the
    # chunks stored before it are kept, and the file is not resumed.
    STOPPED = "stopped"


class Batch(Base):
    """One file or API batch. ``rows_done`` is the checkpoint: rows up to it are committed."""

    __tablename__ = "ingest_batches"
    __table_args__ = (
        Index(
            "ix_ingest_batches_resume",
            "source_department_id",
            "record_type",
            "file_sha256",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    record_type: Mapped[str] = mapped_column(String(48))
    channel: Mapped[str] = mapped_column(String(8))  # file | api
    filename: Mapped[str | None] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[BatchStatus] = mapped_column(
        Enum(
            BatchStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=BatchStatus.RUNNING,
    )
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unknown_columns: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # {"filled": {field: rows with a value}, "valid_rows": n, "reject_codes": {code: n},
    #  "stop": {"code", "message"} once stopped}
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuarantinedRow(Base):
    """A rejected row: its number, raw values (ID numbers masked) and every error found."""

    __tablename__ = "quarantine_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
