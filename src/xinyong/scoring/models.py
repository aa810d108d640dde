"""Tables of evaluation runs, scores (stamped with model version, definition hash and as_of)
and grade changes with their reasons."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime
from xinyong.workflow import EventLog


class ScoreRun(Base):
    """One batch evaluation of one model as of one date."""

    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    definition_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(16))  # database | duckdb
    status: Mapped[str] = mapped_column(String(16))  # running | completed
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    grade_changes: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Score(Base):
    """A subject's score under one model version as of one date, with every part."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("subject_id", "model_id", "model_version", "as_of"),
        Index("ix_scores_model_as_of", "model_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    definition_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    grade: Mapped[str] = mapped_column(String(32))
    # {item_id: {"value": str|None, "points": str}} and {veto_id: {"veto": bool}}
    parts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("score_runs.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GradeChange(Base):
    """A subject's grade under a model changed between two evaluations, and why."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    model_id: Mapped[str] = mapped_column(String(64))
    from_grade: Mapped[str | None] = mapped_column(String(32))
    to_grade: Mapped[str] = mapped_column(String(32))
    from_as_of: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(1000))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("score_runs.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelVersion(Base):
    """A scorecard definition submitted as YAML text, moving draft → tested → published →
    retired (``scoring.workflow.MODEL_VERSION``). The text is kept verbatim; its hash is
    stamped on results."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)
    # ``version`` is the model's version number, not a lock: moves compare the status.
    __move_by_status__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    definition_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # {"as_of", "subjects", "grades", "published_grades", "changed", "examples": [...]}
    dry_run: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModelVersionEvent(EventLog, Base):
    """One move of a model version: its history, next to the audit chain."""

    __tablename__ = "model_version_events"

    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
