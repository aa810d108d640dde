"""Builders and readers for ingestion tests that run on a committed (per-module) database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from xinyong.accounts.models import Department
from xinyong.accounts.service import create_department
from xinyong.db import unit_of_work
from xinyong.ingest.models import Batch, QuarantinedRow
from xinyong.records.models import Record, RecordVersion
from xinyong.subjects.models import Subject

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)

_seq = itertools.count(1)


def make_source(engine: Engine, *, sector: str | None = "market_regulation") -> str:
    """A new department (a source of records) committed in ``engine``; returns its code."""
    n = next(_seq)
    code = f"330100-S{n:04d}"
    with unit_of_work(engine) as session:
        create_department(session, code=code, name=f"杭州市数据来源局{n}", sector=sector, now=NOW)
    return code


def department_id(engine: Engine, code: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalars(select(Department.id).where(Department.code == code)).one()


def records_of(engine: Engine, source: str) -> list[Record]:
    """Every stored record of ``source``, by source key."""
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(Record)
                .join(Department, Department.id == Record.source_department_id)
                .where(Department.code == source)
                .order_by(Record.source_key)
            )
        )


def record_by_key(engine: Engine, source: str, key: str) -> Record:
    [record] = [r for r in records_of(engine, source) if r.source_key == key]
    return record


def versions_of(engine: Engine, record_id: int) -> list[RecordVersion]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(RecordVersion)
                .where(RecordVersion.record_id == record_id)
                .order_by(RecordVersion.version)
            )
        )


def version_count(engine: Engine, source: str) -> int:
    with unit_of_work(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(RecordVersion)
                .join(Record, Record.id == RecordVersion.record_id)
                .join(Department, Department.id == Record.source_department_id)
                .where(Department.code == source)
            )
            or 0
        )


def batches_of(engine: Engine, source: str) -> list[Batch]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(Batch)
                .join(Department, Department.id == Batch.source_department_id)
                .where(Department.code == source)
                .order_by(Batch.id)
            )
        )


def quarantined(engine: Engine, batch_id: int) -> list[QuarantinedRow]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(QuarantinedRow)
                .where(QuarantinedRow.batch_id == batch_id)
                .order_by(QuarantinedRow.row_number)
            )
        )


def subject_of(engine: Engine, record: Record) -> Subject:
    with unit_of_work(engine) as session:
        return session.get_one(Subject, record.subject_id)
